package io.longnet.kafka;

import org.apache.kafka.common.config.TopicConfig;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The pipeline's four topics with their retention. All four use cleanup.policy=delete:
 *
 * <ul>
 *   <li>documents: 30 days. The job replays from its last checkpoint after a failure, and a
 *       reprocessing run (new model, new job) needs the history, so keep it long.</li>
 *   <li>embeddings, predictions: 7 days, delete rather than compact. They are event logs for
 *       downstream consumers (an index, alerting) that keep their own state; with exactly-once
 *       output there are no duplicates for compaction to remove, and a compacted topic rejects
 *       key-less records, which would turn a sink that forgot its key into a failing job.</li>
 *   <li>dead letters: 30 days, so rejected input can be investigated and replayed by hand.</li>
 * </ul>
 */
public final class Topics {
    public static final Duration DOCUMENTS_RETENTION = Duration.ofDays(30);
    public static final Duration OUTPUTS_RETENTION = Duration.ofDays(7);
    public static final Duration DEAD_LETTERS_RETENTION = Duration.ofDays(30);

    private Topics() {
    }

    /** The four specs, in the order documents, embeddings, predictions, dead letters. */
    public static List<TopicSpec> specs(TopicNames names, int partitions, int replicationFactor) {
        return List.of(
                spec(names.documents(), partitions, replicationFactor, DOCUMENTS_RETENTION),
                spec(names.embeddings(), partitions, replicationFactor, OUTPUTS_RETENTION),
                spec(names.predictions(), partitions, replicationFactor, OUTPUTS_RETENTION),
                spec(names.deadLetters(), partitions, replicationFactor, DEAD_LETTERS_RETENTION));
    }

    private static TopicSpec spec(String name, int partitions, int replicationFactor, Duration retention) {
        return new TopicSpec(name, partitions, replicationFactor, Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                TopicConfig.RETENTION_MS_CONFIG, Long.toString(retention.toMillis()),
                TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(minInSyncReplicas(replicationFactor))));
    }

    /**
     * 2 once there are 3 replicas (an acked, committed write survives one broker loss while one
     * broker may be down); 1 below that, because demanding every replica would stop all writes
     * whenever a single broker restarts.
     */
    static int minInSyncReplicas(int replicationFactor) {
        return replicationFactor >= 3 ? 2 : 1;
    }
}
