package io.longnet.kafka;

import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TopicsTest {
    private static final String THIRTY_DAYS_MS = "2592000000";
    private static final String SEVEN_DAYS_MS = "604800000";

    @Test
    void defaultNames() {
        TopicNames names = TopicNames.defaults();
        assertThat(names.all()).containsExactly(
                "longnet.documents", "longnet.embeddings", "longnet.predictions", "longnet.dead-letters");
        assertThat(names.documents()).isEqualTo("longnet.documents");
        assertThat(names.deadLetters()).isEqualTo("longnet.dead-letters");
    }

    @Test
    void specsCarryPartitionsReplicationAndRetentionPerTopic() {
        List<TopicSpec> specs = Topics.specs(TopicNames.defaults(), 6, 1);
        assertThat(specs).containsExactly(
                new TopicSpec("longnet.documents", 6, 1, configs(THIRTY_DAYS_MS, "1")),
                new TopicSpec("longnet.embeddings", 6, 1, configs(SEVEN_DAYS_MS, "1")),
                new TopicSpec("longnet.predictions", 6, 1, configs(SEVEN_DAYS_MS, "1")),
                new TopicSpec("longnet.dead-letters", 6, 1, configs(THIRTY_DAYS_MS, "1")));
    }

    @Test
    void minInSyncReplicasIsTwoFromThreeReplicasOn() {
        assertThat(Topics.specs(TopicNames.defaults(), 1, 3).get(0).configs()).containsEntry("min.insync.replicas", "2");
        assertThat(Topics.specs(TopicNames.defaults(), 1, 2).get(0).configs()).containsEntry("min.insync.replicas", "1");
    }

    @Test
    void specConvertsToNewTopic() {
        NewTopic topic = new TopicSpec("t", 4, 3, Map.of("retention.ms", "1000")).toNewTopic();
        assertThat(topic.name()).isEqualTo("t");
        assertThat(topic.numPartitions()).isEqualTo(4);
        assertThat(topic.replicationFactor()).isEqualTo((short) 3);
        assertThat(topic.configs()).isEqualTo(Map.of("retention.ms", "1000"));
    }

    @Test
    void specRejectsBadValuesNamingThem() {
        assertThatThrownBy(() -> new TopicSpec("t", 0, 1, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("partitions of topic t must be >= 1, was 0");
        assertThatThrownBy(() -> new TopicSpec("t", 1, 0, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("replicationFactor of topic t must be in 1..32767, was 0");
        assertThatThrownBy(() -> new TopicSpec("has space", 1, 1, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("topic name 'has space' is not a legal Kafka topic name");
        assertThatThrownBy(() -> new TopicSpec("x".repeat(250), 1, 1, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not a legal Kafka topic name");
    }

    @Test
    void namesMustBeLegalAndDistinct() {
        assertThatThrownBy(() -> new TopicNames("a", "b", "a", "c"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("topic names must be distinct, got [a, b, a, c]");
        assertThatThrownBy(() -> new TopicNames("a", "b", "c", ".."))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("topic deadLetters '..' is not a legal Kafka topic name");
        assertThatThrownBy(() -> new TopicNames("", "b", "c", "d"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("topic documents must not be empty, was ''");
    }

    @Test
    void specCopiesItsConfigs() {
        Map<String, String> configs = new HashMap<>(Map.of("a", "1"));
        TopicSpec spec = new TopicSpec("t", 1, 1, configs);
        configs.put("b", "2");
        assertThat(spec.configs()).isEqualTo(Map.of("a", "1"));
        assertThatThrownBy(() -> spec.configs().put("c", "3")).isInstanceOf(UnsupportedOperationException.class);
    }

    private static Map<String, String> configs(String retentionMs, String minIsr) {
        return Map.of("cleanup.policy", "delete", "retention.ms", retentionMs, "min.insync.replicas", minIsr);
    }
}
