package io.longnet.kafka;

import org.apache.kafka.clients.admin.NewTopic;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * How one topic should be created.
 *
 * @param name              a legal Kafka topic name
 * @param partitions        number of partitions, >= 1
 * @param replicationFactor replicas per partition, 1..32767
 * @param configs           topic-level configs (cleanup.policy, retention.ms, ...); copied
 */
public record TopicSpec(String name, int partitions, int replicationFactor, Map<String, String> configs) {
    private static final Pattern LEGAL_NAME = Pattern.compile("[a-zA-Z0-9._-]+");
    private static final int MAX_NAME_LENGTH = 249;

    public TopicSpec {
        checkName(name, "name");
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions of topic " + name + " must be >= 1, was " + partitions);
        }
        if (replicationFactor < 1 || replicationFactor > Short.MAX_VALUE) {
            throw new IllegalArgumentException("replicationFactor of topic " + name
                    + " must be in 1.." + Short.MAX_VALUE + ", was " + replicationFactor);
        }
        if (configs == null) {
            throw new IllegalArgumentException("configs of topic " + name + " must not be null");
        }
        configs = Map.copyOf(configs);
    }

    public NewTopic toNewTopic() {
        return new NewTopic(name, partitions, (short) replicationFactor).configs(configs);
    }

    /** The broker's own rules (Topic.validate), checked here so a typo fails at startup, not at first write. */
    static String checkName(String topic, String setting) {
        if (topic == null || topic.isEmpty()) {
            throw new IllegalArgumentException("topic " + setting + " must not be empty, was " + (topic == null ? "null" : "''"));
        }
        if (topic.equals(".") || topic.equals("..") || topic.length() > MAX_NAME_LENGTH
                || !LEGAL_NAME.matcher(topic).matches()) {
            throw new IllegalArgumentException("topic " + setting + " '" + topic + "' is not a legal Kafka topic name"
                    + " (1.." + MAX_NAME_LENGTH + " chars of [a-zA-Z0-9._-], not '.' or '..')");
        }
        return topic;
    }
}
