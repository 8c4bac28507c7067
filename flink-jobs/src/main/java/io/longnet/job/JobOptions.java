package io.longnet.job;

import io.longnet.kafka.DocumentParser;
import io.longnet.kafka.TopicNames;
import io.longnet.ops.EncoderOperator;
import io.longnet.ops.ModelChange;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.description.TextElement;
import org.apache.flink.util.TimeUtils;

/**
 * The corpus job's settings, as Flink {@link ConfigOption}s. The keys double as command-line flags
 * ({@code --chunk-size 256}) and as keys of a job properties file. They are read once, into a
 * validated {@link JobConfig}. Parallelism is Flink's own {@code parallelism.default}.
 */
public final class JobOptions {

    public static final ConfigOption<String> BOOTSTRAP_SERVERS = ConfigOptions.key("bootstrap-servers")
            .stringType()
            .noDefaultValue()
            .withDescription("Kafka bootstrap servers (host:port,...) for the source and the sinks. Required. "
                    + "Security settings (security.protocol, ssl.*, sasl.*) come from a Kafka client properties file.");

    public static final ConfigOption<String> DOCUMENTS_TOPIC = ConfigOptions.key("documents-topic")
            .stringType()
            .defaultValue(TopicNames.defaults().documents())
            .withDescription("Input topic of documents (JSON {\"id\", \"text\", \"stream\"}), keyed by stream by the "
                    + "producers so that one stream's documents stay in one partition, in order.");

    public static final ConfigOption<String> EMBEDDINGS_TOPIC = ConfigOptions.key("embeddings-topic")
            .stringType()
            .defaultValue(TopicNames.defaults().embeddings())
            .withDescription("Output topic of one embedding per document, keyed by document id.");

    public static final ConfigOption<String> PREDICTIONS_TOPIC = ConfigOptions.key("predictions-topic")
            .stringType()
            .defaultValue(TopicNames.defaults().predictions())
            .withDescription("Output topic of per-document predictions (perplexity, bits per byte, top-k next "
                    + "tokens), keyed by document id.");

    public static final ConfigOption<String> DEAD_LETTERS_TOPIC = ConfigOptions.key("dead-letters-topic")
            .stringType()
            .defaultValue(TopicNames.defaults().deadLetters())
            .withDescription("Output topic of rejected input records (original bytes and the reason).");

    public static final ConfigOption<String> MODEL_DIR = ConfigOptions.key("model")
            .stringType()
            .noDefaultValue()
            .withDescription("Model directory (config.json + model.safetensors). Required. On a cluster it must "
                    + "exist at this path on the client and on every TaskManager.");

    public static final ConfigOption<Integer> CHUNK_SIZE = ConfigOptions.key("chunk-size")
            .intType()
            .defaultValue(512)
            .withDescription("Most tokens the encoder takes in one step per stream (>= 2). Larger chunks use "
                    + "the matrix units better; smaller ones lower the latency.");

    public static final ConfigOption<Integer> ENCODER_THREADS = ConfigOptions.key("encoder-threads")
            .intType()
            .noDefaultValue()
            .withDescription("Threads each encoder uses for its arithmetic (gemms, attention, element-wise ops), in "
                    + "[1, 1024]. Unset: an equal share of its TaskManager's cores, max(1, cores / "
                    + "taskmanager.numberOfTaskSlots), so that slots x threads never exceeds the cores. Set it where "
                    + "TaskManagers share a host's cores without a CPU limit each (containers): host cores / all "
                    + "task slots on the host.");

    public static final ConfigOption<Duration> FLUSH_INTERVAL = ConfigOptions.key("flush-interval")
            .durationType()
            .defaultValue(Duration.ofMillis(500))
            .withDescription("A stream's pending tokens go to the encoder at the latest this long after they "
                    + "arrived, even if they do not fill a chunk.");

    public static final ConfigOption<Duration> BATCH_WAIT = ConfigOptions.key("batch-wait")
            .durationType()
            .defaultValue(Duration.ofMillis(10))
            .withDescription("Longest a chunk waits in the encoder for chunks of other streams to share its forward "
                    + "(rows stacked for the projections and the FFN, up to chunk-size tokens in all), at most "
                    + "flush-interval. 0 encodes every chunk on arrival, alone. Many small streams gain the most.");

    public static final ConfigOption<String> POOLING = ConfigOptions.key("pooling")
            .stringType()
            .defaultValue("mean")
            .withDescription("How a document's feature rows become its embedding: \"mean\" (all rows) or "
                    + "\"last\" (the row of its last token).");

    public static final ConfigOption<Integer> TOP_K = ConfigOptions.key("top-k")
            .intType()
            .defaultValue(5)
            .withDescription("Number of likeliest next tokens listed per document in the predictions (>= 1).");

    public static final ConfigOption<Boolean> PREDICTIONS = ConfigOptions.key("predictions")
            .booleanType()
            .defaultValue(true)
            .withDescription("Whether to compute logits and write predictions. Off, only embeddings are "
                    + "written and the encoder skips the output projection (vocab_size x E per token).");

    public static final ConfigOption<Duration> CHECKPOINT_INTERVAL = ConfigOptions.key("checkpoint-interval")
            .durationType()
            .defaultValue(Duration.ofSeconds(10))
            .withDescription("Checkpoint interval. With delivery-guarantee exactly-once, outputs become visible to "
                    + "read_committed consumers when the checkpoint that covers them completes, so this is also the "
                    + "output latency. With at-least-once it only bounds how much a restart replays.");

    public static final ConfigOption<Delivery> DELIVERY_GUARANTEE = ConfigOptions.key("delivery-guarantee")
            .enumType(Delivery.class)
            .defaultValue(Delivery.EXACTLY_ONCE)
            .withDescription("How the Kafka sinks write. exactly-once: in transactions, visible to read_committed "
                    + "consumers when the checkpoint that covers them completes (up to checkpoint-interval later), "
                    + "never repeated. at-least-once: written as soon as computed, without transactions; after a "
                    + "restart the outputs since the restored checkpoint come again, with the same id, position and "
                    + "values, so a consumer drops repeats by document id.");

    public static final ConfigOption<Boolean> UNALIGNED_CHECKPOINTS = ConfigOptions.key("unaligned-checkpoints")
            .booleanType()
            .defaultValue(true)
            .withDescription("Whether checkpoint barriers overtake the chunks queued in front of the encoder "
                    + "(Flink's unaligned checkpoints). The source reads far faster than the encoder computes; with "
                    + "aligned barriers a checkpoint, and so every output, waits until the whole backlog is encoded.");

    public static final ConfigOption<String> CHECKPOINT_DIR = ConfigOptions.key("checkpoint-dir")
            .stringType()
            .noDefaultValue()
            .withDescription("Checkpoint storage URI (file:///..., s3://...). Unset: the cluster's "
                    + "execution.checkpointing.dir; for longnet run, ~/.longnet/checkpoints, where it resumes from.");

    public static final ConfigOption<Integer> MAX_DOCUMENT_BYTES = ConfigOptions.key(DocumentParser.MAX_DOCUMENT_BYTES)
            .intType()
            .defaultValue(DocumentParser.DEFAULT_MAX_DOCUMENT_BYTES)
            .withDescription("Largest input record value accepted, in bytes; larger ones go to the dead-letter "
                    + "topic.");

    public static final ConfigOption<String> GROUP_ID = ConfigOptions.key("group-id")
            .stringType()
            .defaultValue("longnet-corpus")
            .withDescription("Kafka consumer group id of the source (offsets are committed there for "
                    + "monitoring; the job restores its own from checkpoints).");

    public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX = ConfigOptions.key("transactional-id-prefix")
            .stringType()
            .defaultValue("longnet-corpus")
            .withDescription("Prefix of the exactly-once sinks' transactional ids; each sink appends its own "
                    + "suffix. Must be unique per job on the Kafka cluster and kept across restarts (longnet run "
                    + "also names the job, and so its checkpoints, by it, whatever the delivery-guarantee).");

    public static final ConfigOption<Duration> TRANSACTION_TIMEOUT = ConfigOptions.key("transaction-timeout")
            .durationType()
            .defaultValue(Duration.ofMinutes(15))
            .withDescription("transaction.timeout.ms of the sinks' producers. At most the brokers' "
                    + "transaction.max.timeout.ms (15 min by default) and well above the checkpoint interval. "
                    + "Unused with delivery-guarantee at-least-once.");

    public static final ConfigOption<StartingOffsets> STARTING_OFFSETS = ConfigOptions.key("starting-offsets")
            .enumType(StartingOffsets.class)
            .defaultValue(StartingOffsets.EARLIEST)
            .withDescription("Where a job without a checkpoint starts reading documents: EARLIEST, LATEST, or "
                    + "COMMITTED (the group's committed offsets, earliest where there are none).");

    public static final ConfigOption<MemorySize> HOT_STATE_MEMORY = ConfigOptions.key("hot-state-memory")
            .memoryType()
            .defaultValue(MemorySize.ofMebiBytes(1024))
            .withDescription("Most JVM heap the encoder of one slot keeps streams' k/v rows in. Beyond it the least recently used streams are written to RocksDB and dropped, and "
                    + "read back on their next chunk. At least one stream's bound: layers x sum_i ceil(w_i/r_i) x 2E "
                    + "floats (95 MB for docker/model-config.json, 855 MB at E=768 with 12 layers).");

    public static final ConfigOption<MemorySize> UNWRITTEN_STATE_MEMORY = ConfigOptions.key("unwritten-state-memory")
            .memoryType()
            .defaultValue(new MemorySize(EncoderOperator.DEFAULT_UNWRITTEN_STATE_BYTES))
            .withDescription("Most new k/v rows the encoder of one slot holds unwritten between checkpoints. Beyond "
                    + "it the streams with the most are written to RocksDB after a forward, so a checkpoint barrier "
                    + "writes about this much at most while no output goes out (left all to the barrier, 10 s of the "
                    + "docker model at 15 documents/s were 85 MB, written in up to 0.9 s). Lower holds a barrier "
                    + "shorter; higher writes fewer rows of segments that close before the checkpoint (at the default "
                    + "a 10 s interval wrote 1.24 times the new kept rows to disk against 0.58 with all writes at the "
                    + "barriers).");

    public static final ConfigOption<Integer> MAX_PARALLELISM = ConfigOptions.key("max-parallelism")
            .intType()
            .defaultValue(128)
            .withDescription("Key groups the streams are hashed into: the most parallel subtasks the job can ever be "
                    + "rescaled to. Fixed by the first checkpoint; a savepoint restores only with the same value.");

    public static final ConfigOption<ModelChange> ON_MODEL_CHANGE = ConfigOptions.key("on-model-change")
            .enumType(ModelChange.class)
            .defaultValue(ModelChange.FAIL)
            .withDescription("What a restore does when its checkpoint or savepoint was written with another model "
                    + "(weights or config): FAIL stops the job at start, naming both model fingerprints; "
                    + "RESTART_STREAMS keeps every stream's position, drops its k/v rows and restarts its context "
                    + "there, so that from the stream's next multiple of the largest segment_length on its outputs "
                    + "are exactly the new model's.");

    /** Every option, for usage texts and to reject unknown keys. */
    public static final List<ConfigOption<?>> ALL = List.of(
            BOOTSTRAP_SERVERS, DOCUMENTS_TOPIC, EMBEDDINGS_TOPIC, PREDICTIONS_TOPIC, DEAD_LETTERS_TOPIC,
            MODEL_DIR, CHUNK_SIZE, ENCODER_THREADS, FLUSH_INTERVAL, BATCH_WAIT, POOLING, TOP_K, PREDICTIONS,
            CHECKPOINT_INTERVAL,
            DELIVERY_GUARANTEE, UNALIGNED_CHECKPOINTS, CHECKPOINT_DIR, HOT_STATE_MEMORY, UNWRITTEN_STATE_MEMORY,
            MAX_PARALLELISM, ON_MODEL_CHANGE, MAX_DOCUMENT_BYTES, GROUP_ID, TRANSACTIONAL_ID_PREFIX, TRANSACTION_TIMEOUT, STARTING_OFFSETS);

    /** Where the source starts when the job has no checkpoint to restore from. */
    public enum StartingOffsets {
        EARLIEST,
        LATEST,
        COMMITTED
    }

    private JobOptions() {
    }

    /** Whether {@code key} names one of {@link #ALL}. */
    public static boolean isKnown(String key) {
        return ALL.stream().anyMatch(o -> o.key().equals(key));
    }

    /** Two lines per option: key and default, then the description. */
    public static String describe() {
        StringBuilder out = new StringBuilder();
        for (ConfigOption<?> option : ALL) {
            out.append(String.format("  --%-24s %s%n", option.key(),
                    option.hasDefaultValue() ? "(default " + format(option.defaultValue()) + ")" : "(no default)"));
            out.append("      ").append(text(option)).append('\n');
        }
        return out.toString();
    }

    /** The option's description as plain text (ours are single text blocks without placeholders). */
    static String text(ConfigOption<?> option) {
        return option.description().getBlocks().stream()
                .map(block -> block instanceof TextElement text ? text.getFormat() : block.toString())
                .collect(Collectors.joining(" "));
    }

    private static String format(Object value) {
        if (value instanceof MemorySize size) {
            return size.toHumanReadableString();
        }
        return value instanceof Duration d ? TimeUtils.formatWithHighestUnit(d) : String.valueOf(value);
    }
}
