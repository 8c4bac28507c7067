package io.longnet.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Creates topics idempotently: a topic that already exists is reported, not treated as an error. */
public final class TopicAdmin {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

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
