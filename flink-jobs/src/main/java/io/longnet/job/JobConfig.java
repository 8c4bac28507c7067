package io.longnet.job;

import io.longnet.compute.EncoderThreads;
import io.longnet.heads.Pooling;
import io.longnet.job.JobOptions.StartingOffsets;
import io.longnet.kafka.TopicNames;
import io.longnet.ops.EncoderBatching;
import io.longnet.ops.ModelChange;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;

/**
 * The corpus job's settings, read once from {@link JobOptions} and validated here: every error names
 * the option and the value ("chunk-size must be >= 2, got 1").
 *
 * @param bootstrapServers      Kafka bootstrap servers
 * @param topics                the four topic names
 * @param modelDir              the model directory
 * @param chunkSize             most tokens per encoder step, >= 2
 * @param flushInterval         latest time pending tokens wait for a full chunk, > 0
 * @param batchWait             longest a chunk waits in the encoder for others to share its forward, in [0,
 *                              flushInterval]
 * @param pooling               embedding pooling
 * @param topK                  next-token candidates per document, >= 1
 * @param predictions           whether logits and predictions are computed
 * @param checkpointInterval    checkpoint interval, >= 10 ms (Flink's minimum)
 * @param unalignedCheckpoints  whether barriers overtake in-flight chunks
 * @param checkpointDir         checkpoint storage URI, or null for the cluster's
 * @param hotStateMemory        most k/v memory of one encoder before streams are written back and dropped
 * @param maxParallelism        key groups: the most subtasks the job can be rescaled to, in [1, 32768]
 * @param onModelChange         what a restore written by another model does
 * @param maxDocumentBytes      largest accepted input record value, >= 1
 * @param groupId               the source's consumer group id
 * @param transactionalIdPrefix prefix of the sinks' transactional ids
 * @param transactionTimeout    the sinks' transaction.timeout.ms, > checkpointInterval when exactly once
 * @param startingOffsets       where a job without a checkpoint starts reading
 * @param encoderThreads        threads per encoder: configured, or a share of its TaskManager's cores
 * @param deliveryGuarantee     how the sinks write: in transactions (exactly once) or at once (at least once)
 * @param unwrittenStateMemory  most new k/v rows one encoder holds unwritten between checkpoints
 */
public record JobConfig(
        String bootstrapServers,
        TopicNames topics,
        Path modelDir,
        int chunkSize,
        Duration flushInterval,
        Duration batchWait,
        Pooling pooling,
        int topK,
        boolean predictions,
        Duration checkpointInterval,
        boolean unalignedCheckpoints,
        String checkpointDir,
        MemorySize hotStateMemory,
        int maxParallelism,
        ModelChange onModelChange,
        int maxDocumentBytes,
        String groupId,
        String transactionalIdPrefix,
        Duration transactionTimeout,
        StartingOffsets startingOffsets,
        EncoderThreads encoderThreads,
        Delivery deliveryGuarantee,
        MemorySize unwrittenStateMemory) {

    static final Duration MIN_CHECKPOINT_INTERVAL = Duration.ofMillis(10);
    static final int MAX_KEY_GROUPS = KeyGroupRangeAssignment.UPPER_BOUND_MAX_PARALLELISM;

    public JobConfig {
        requireText(JobOptions.BOOTSTRAP_SERVERS, bootstrapServers);
        if (topics == null) {
            throw new IllegalArgumentException("topic names must be set");
        }
        if (modelDir == null) {
            throw new IllegalArgumentException(JobOptions.MODEL_DIR.key() + " is required (the model directory)");
        }
        requireAtLeast(JobOptions.CHUNK_SIZE, chunkSize, 2);
        requirePositive(JobOptions.FLUSH_INTERVAL, flushInterval);
        if (batchWait == null || batchWait.isNegative() || batchWait.compareTo(flushInterval) > 0) {
            throw new IllegalArgumentException(JobOptions.BATCH_WAIT.key() + " must be in [0 ms, "
                    + JobOptions.FLUSH_INTERVAL.key() + " " + flushInterval.toMillis() + " ms], got "
                    + (batchWait == null ? null : batchWait.toMillis() + " ms"));
        }
        if (pooling == null) {
            throw new IllegalArgumentException(JobOptions.POOLING.key() + " must be set");
        }
        requireAtLeast(JobOptions.TOP_K, topK, 1);
        requirePositive(JobOptions.CHECKPOINT_INTERVAL, checkpointInterval);
        if (checkpointInterval.compareTo(MIN_CHECKPOINT_INTERVAL) < 0) {
            throw new IllegalArgumentException(JobOptions.CHECKPOINT_INTERVAL.key() + " must be at least "
                    + MIN_CHECKPOINT_INTERVAL.toMillis() + " ms, got " + checkpointInterval.toMillis() + " ms");
        }
        if (checkpointDir != null) {
            requireText(JobOptions.CHECKPOINT_DIR, checkpointDir);
        }
        if (hotStateMemory == null || hotStateMemory.getBytes() < 1) {
            throw new IllegalArgumentException(JobOptions.HOT_STATE_MEMORY.key() + " must be a positive size, got "
                    + hotStateMemory);
        }
        requireAtLeast(JobOptions.MAX_PARALLELISM, maxParallelism, 1);
        if (maxParallelism > MAX_KEY_GROUPS) {
            throw new IllegalArgumentException(JobOptions.MAX_PARALLELISM.key() + " must be <= " + MAX_KEY_GROUPS
                    + " (Flink's limit), got " + maxParallelism);
        }
        if (onModelChange == null) {
            throw new IllegalArgumentException(JobOptions.ON_MODEL_CHANGE.key() + " must be set");
        }
        requireAtLeast(JobOptions.MAX_DOCUMENT_BYTES, maxDocumentBytes, 1);
        requireText(JobOptions.GROUP_ID, groupId);
        requireText(JobOptions.TRANSACTIONAL_ID_PREFIX, transactionalIdPrefix);
        requirePositive(JobOptions.TRANSACTION_TIMEOUT, transactionTimeout);
        if (deliveryGuarantee == null) {
            throw new IllegalArgumentException(JobOptions.DELIVERY_GUARANTEE.key() + " must be set");
        }
        if (deliveryGuarantee.transactional() && transactionTimeout.compareTo(checkpointInterval) <= 0) {
            // A transaction spans one checkpoint interval; the broker would abort it before its commit.
            throw new IllegalArgumentException(JobOptions.TRANSACTION_TIMEOUT.key() + " " + transactionTimeout.toMillis()
                    + " ms must be longer than " + JobOptions.CHECKPOINT_INTERVAL.key() + " "
                    + checkpointInterval.toMillis() + " ms");
        }
        if (startingOffsets == null) {
            throw new IllegalArgumentException(JobOptions.STARTING_OFFSETS.key() + " must be set");
        }
        if (encoderThreads == null) {
            throw new IllegalArgumentException(JobOptions.ENCODER_THREADS.key() + " must be set or defaulted");
        }
        if (unwrittenStateMemory == null) {
            throw new IllegalArgumentException(JobOptions.UNWRITTEN_STATE_MEMORY.key() + " must be set");
        }
    }

    /** Reads and validates every {@link JobOptions} option; Flink's parse errors name the key and the value. */
    public static JobConfig from(ReadableConfig conf) {
        TopicNames topics;
        try {
            topics = new TopicNames(conf.get(JobOptions.DOCUMENTS_TOPIC), conf.get(JobOptions.EMBEDDINGS_TOPIC),
                    conf.get(JobOptions.PREDICTIONS_TOPIC), conf.get(JobOptions.DEAD_LETTERS_TOPIC));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("topic options: " + e.getMessage(), e);
        }
        String pooling = conf.get(JobOptions.POOLING);
        Pooling parsedPooling;
        try {
            parsedPooling = Pooling.parse(pooling);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(JobOptions.POOLING.key() + ": " + e.getMessage(), e);
        }
        String model = conf.get(JobOptions.MODEL_DIR);
        Integer threads = conf.getOptional(JobOptions.ENCODER_THREADS).orElse(null);
        if (threads != null && (threads < 1 || threads > 1024)) {
            throw new IllegalArgumentException(JobOptions.ENCODER_THREADS.key() + " must be in [1, 1024], got "
                    + threads);
        }
        return new JobConfig(
                conf.get(JobOptions.BOOTSTRAP_SERVERS),
                topics,
                model == null || model.isBlank() ? null : Path.of(model),
                conf.get(JobOptions.CHUNK_SIZE),
                conf.get(JobOptions.FLUSH_INTERVAL),
                conf.get(JobOptions.BATCH_WAIT),
                parsedPooling,
                conf.get(JobOptions.TOP_K),
                conf.get(JobOptions.PREDICTIONS),
                conf.get(JobOptions.CHECKPOINT_INTERVAL),
                conf.get(JobOptions.UNALIGNED_CHECKPOINTS),
                conf.get(JobOptions.CHECKPOINT_DIR),
                conf.get(JobOptions.HOT_STATE_MEMORY),
                conf.get(JobOptions.MAX_PARALLELISM),
                conf.get(JobOptions.ON_MODEL_CHANGE),
                conf.get(JobOptions.MAX_DOCUMENT_BYTES),
                conf.get(JobOptions.GROUP_ID),
                conf.get(JobOptions.TRANSACTIONAL_ID_PREFIX),
                conf.get(JobOptions.TRANSACTION_TIMEOUT),
                conf.get(JobOptions.STARTING_OFFSETS),
                new EncoderThreads(threads),
                conf.get(JobOptions.DELIVERY_GUARANTEE),
                conf.get(JobOptions.UNWRITTEN_STATE_MEMORY));
    }

    /**
     * Reads job options from {@code key -> value} strings (command-line flags, a properties file);
     * an unknown key is an error naming it, so that a typo never silently falls back to a default.
     */
    public static JobConfig fromMap(Map<String, String> options) {
        options.keySet().forEach(JobConfig::requireKnown);
        return from(Configuration.fromMap(options));
    }

    static void requireKnown(String key) {
        if (!JobOptions.isKnown(key)) {
            throw new IllegalArgumentException("unknown job option '" + key + "' (known: "
                    + String.join(", ", JobOptions.ALL.stream().map(ConfigOption::key).toList()) + ")");
        }
    }

    public Optional<String> checkpointStorage() {
        return Optional.ofNullable(checkpointDir);
    }

    /** How the encoder shares a forward between streams: up to chunk-size tokens, waiting at most batch-wait. */
    public EncoderBatching encoderBatching() {
        return new EncoderBatching(chunkSize, batchWait.toMillis());
    }

    /** The same settings with another checkpoint directory (the local runners pick a temporary one). */
    public JobConfig withCheckpointDir(String dir) {
        return new JobConfig(bootstrapServers, topics, modelDir, chunkSize, flushInterval, batchWait, pooling, topK,
                predictions,
                checkpointInterval, unalignedCheckpoints, dir, hotStateMemory, maxParallelism, onModelChange,
                maxDocumentBytes, groupId, transactionalIdPrefix, transactionTimeout, startingOffsets, encoderThreads,
                deliveryGuarantee, unwrittenStateMemory);
    }

    private static void requireText(ConfigOption<String> option, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(option.key() + " is required and must not be blank, got "
                    + (value == null ? "nothing" : "'" + value + "'"));
        }
    }

    private static void requireAtLeast(ConfigOption<Integer> option, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(option.key() + " must be >= " + min + ", got " + value);
        }
    }

    private static void requirePositive(ConfigOption<Duration> option, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(option.key() + " must be a positive duration, got " + value);
        }
    }
}
