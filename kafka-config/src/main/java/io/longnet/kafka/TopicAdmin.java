package io.longnet.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Creates topics idempotently: a topic that already exists is reported, not treated as an error. Returns once
 * every partition of every topic has a leader, so producers can write at once.
 */
public final class TopicAdmin {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration LEADER_POLL = Duration.ofMillis(50);

    private static final Logger LOG = LoggerFactory.getLogger(TopicAdmin.class);

    private TopicAdmin() {
    }

    /**
     * Which topics this call created and which were already there (their settings are left as
     * they are). Both lists keep the order of the specs.
     */
    public record CreateResult(List<String> created, List<String> existed) {
        public CreateResult {
            created = List.copyOf(created);
            existed = List.copyOf(existed);
        }
    }

    public static CreateResult createAll(Properties clientProps, List<TopicSpec> specs) {
        return createAll(clientProps, specs, DEFAULT_TIMEOUT);
    }

    /** @throws KafkaException naming the topic, if one could not be created within {@code timeout} */
    public static CreateResult createAll(Properties clientProps, List<TopicSpec> specs, Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
        checkDistinct(specs);
        try (Admin admin = Admin.create(clientProps)) {
            CreateTopicsResult result = admin.createTopics(
                    specs.stream().map(TopicSpec::toNewTopic).toList(),
                    new CreateTopicsOptions().timeoutMs((int) Math.min(Integer.MAX_VALUE, timeout.toMillis())));
            long deadline = System.nanoTime() + timeout.toNanos();
            List<String> created = new ArrayList<>();
            List<String> existed = new ArrayList<>();
            for (TopicSpec spec : specs) {
                boolean isNew = awaitCreation(result, spec.name(), deadline, timeout);
                (isNew ? created : existed).add(spec.name());
            }
            List<String> names = specs.stream().map(TopicSpec::name).toList();
            Collection<TopicDescription> described = awaitLeaders(admin, names, deadline, timeout);
            awaitLeadersServing(admin, described, deadline, timeout);
            LOG.info("Topics created: {}; already existed: {}", created, existed);
            return new CreateResult(created, existed);
        }
    }

    private static void checkDistinct(List<TopicSpec> specs) {
        Set<String> seen = new HashSet<>();
        for (TopicSpec spec : specs) {
            if (!seen.add(spec.name())) {
                throw new IllegalArgumentException("topic specs name topic " + spec.name() + " more than once");
            }
        }
    }

    /**
     * Waits until every partition of the topics has a leader in the brokers' metadata. A topic exists once the
     * controller has committed it, but a broker learns it leads a partition a moment later; a producer that
     * writes in between gets NOT_LEADER_OR_FOLLOWER, and its idempotent retries can then be rejected as out
     * of order for good.
     */
    private static Collection<TopicDescription> awaitLeaders(Admin admin, List<String> topics, long deadlineNanos,
            Duration timeout) {
        while (true) {
            Optional<Map<String, TopicDescription>> described = describe(admin, topics, deadlineNanos, timeout);
            List<String> leaderless = described.map(TopicAdmin::leaderless).orElse(topics);
            if (leaderless.isEmpty()) {
                return described.get().values();
            }
            if (System.nanoTime() > deadlineNanos) {
                throw new KafkaException("topics " + leaderless + " have partitions without a leader after " + timeout);
            }
            try {
                Thread.sleep(LEADER_POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KafkaException("interrupted while waiting for the leaders of " + topics, e);
            }
        }
    }

    /** The topics' descriptions, or empty while one is not in the answering broker's metadata yet. */
    private static Optional<Map<String, TopicDescription>> describe(Admin admin, List<String> topics,
            long deadlineNanos, Duration timeout) {
        long waitNanos = Math.max(0, deadlineNanos - System.nanoTime());
        try {
            return Optional.of(admin.describeTopics(topics).allTopicNames().get(waitNanos, TimeUnit.NANOSECONDS));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return Optional.empty();
            }
            throw new KafkaException("describing topics " + topics + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new KafkaException("topics " + topics + " were not described within " + timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while describing topics " + topics, e);
        }
    }

    private static List<String> leaderless(Map<String, TopicDescription> descriptions) {
        return descriptions.values().stream()
                .filter(d -> d.partitions().stream().anyMatch(p -> p.leader() == null || p.leader().isEmpty()))
                .map(TopicDescription::name)
                .toList();
    }

    /**
     * The metadata names a leader a moment before that broker serves the partition. ListOffsets is answered
     * by the leader itself (and the admin client retries NOT_LEADER_OR_FOLLOWER), so once it answers for every
     * partition, produce requests will be accepted.
     */
    private static void awaitLeadersServing(Admin admin, Collection<TopicDescription> described, long deadlineNanos,
            Duration timeout) {
        List<String> topics = described.stream().map(TopicDescription::name).toList();
        Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
        described.forEach(d -> d.partitions().forEach(
                p -> partitions.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest())));
        long waitNanos = Math.max(1, deadlineNanos - System.nanoTime());
        try {
            int ms = (int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(waitNanos)));
            admin.listOffsets(partitions, new ListOffsetsOptions().timeoutMs(ms)).all()
                    .get(waitNanos, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new KafkaException("the leaders of " + topics + " did not answer: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new KafkaException("the leaders of " + topics + " did not answer within " + timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while waiting for the leaders of " + topics, e);
        }
    }

    /** True if created now, false if it already existed. */
    private static boolean awaitCreation(CreateTopicsResult result, String topic, long deadlineNanos, Duration timeout) {
        long waitNanos = Math.max(0, deadlineNanos - System.nanoTime());
        try {
            result.values().get(topic).get(waitNanos, TimeUnit.NANOSECONDS);
            return true;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException) {
                return false;
            }
            throw new KafkaException("creating topic " + topic + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new KafkaException("creating topic " + topic + " did not finish within " + timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while creating topic " + topic, e);
        }
    }
}
