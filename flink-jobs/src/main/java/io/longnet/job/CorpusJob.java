package io.longnet.job;

import io.longnet.kafka.BrokerLimits;
import io.longnet.kafka.DeadLetter;
import io.longnet.kafka.EmbeddingOut;
import io.longnet.kafka.PredictionOut;
import io.longnet.model.ModelDirectory;
import io.longnet.ops.DocumentHeads;
import io.longnet.ops.EncodedChunk;
import io.longnet.ops.EncoderOperator;
import io.longnet.ops.ParseDocuments;
import io.longnet.ops.RawRecord;
import io.longnet.ops.SourcedDocument;
import io.longnet.ops.StreamChunk;
import io.longnet.ops.TokenizeAndChunk;
import io.longnet.text.CorpusTokenizer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Properties;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.KafkaSinkBuilder;
import org.apache.flink.connector.kafka.sink.TransactionNamingStrategy;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.state.rocksdb.RocksDBOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The corpus job: documents in, one embedding and one prediction per document out, exactly once (or, with
 * {@link JobOptions#DELIVERY_GUARANTEE} at-least-once, at once and possibly repeated, identically).
 *
 * <pre>
 * KafkaSource(documents) -> parse --bad--> KafkaSink(dead letters)
 *   -> keyBy(stream) -> tokenize and chunk => dilated encoder => document heads -> KafkaSink(embeddings)
 *                                                                               \-> KafkaSink(predictions)
 *                                                          documents that failed \-> KafkaSink(dead letters)
 * (=> chained: the stream key is kept, no exchange)
 * </pre>
 *
 * <p>Run on a cluster with {@code flink run longnet-flink-jobs-*-job.jar --bootstrap-servers HOST:9092
 * --model /models/m [--config job.properties] [--properties kafka-client.properties] [--key value ...]}.
 */
public final class CorpusJob {

    public static final String JOB_NAME = "longnet corpus";

    /** EmbeddedRocksDBStateBackend's name for {@code state.backend.type}. */
    static final String ROCKSDB = "rocksdb";

    static final Duration BROKER_CHECK_TIMEOUT = Duration.ofSeconds(30);

    private static final Logger LOG = LoggerFactory.getLogger(CorpusJob.class);

    private CorpusJob() {
    }

    public static void main(String[] args) throws Exception {
        JobArguments arguments = JobArguments.parse(Arrays.asList(args));
        JobConfig cfg = arguments.jobConfig();
        Properties kafka = arguments.kafkaClientSettings(cfg).toProperties();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        build(env, cfg, kafka);
        env.execute(JOB_NAME);
    }

    /**
     * Adds the job to {@code env}. Fails before adding anything if the model cannot be used or the transaction
     * timeout is above what the brokers allow.
     */
    public static void build(StreamExecutionEnvironment env, JobConfig cfg, Properties kafkaClientProps) {
        build(env, cfg, kafkaClientProps, JobTaps.NONE);
    }

    /** As {@link #build(StreamExecutionEnvironment, JobConfig, Properties)}, with pass-through steps spliced in. */
    public static void build(StreamExecutionEnvironment env, JobConfig cfg, Properties kafkaClientProps, JobTaps taps) {
        ModelDirectory model = ModelCheck.validate(cfg.modelDir(), cfg.topK(), cfg.chunkSize(), cfg.predictions());
        CorpusTokenizer tokenizer = CorpusTokenizer.forModel(model.dir()); // checked against the model just now
        checkHotStateMemory(cfg, model);
        if (cfg.deliveryGuarantee().transactional()) {
            checkTransactionTimeout(cfg, kafkaClientProps);
        }
        LOG.info("Building {} with model {} ({}), topics {}, outputs {}", JOB_NAME, cfg.modelDir(), model.fingerprint(),
                cfg.topics(), cfg.deliveryGuarantee());
        configureCheckpoints(env, cfg);
        env.setMaxParallelism(cfg.maxParallelism());
        // No operator keeps or changes a record after passing it on, so chained operators hand records over
        // as they are instead of copying them through their serializers (a chunk's features: n x E floats).
        env.getConfig().enableObjectReuse();

        DataStream<RawRecord> records = env
                .fromSource(source(cfg, kafkaClientProps), WatermarkStrategy.noWatermarks(), "documents source")
                .uid("documents-source");

        SingleOutputStreamOperator<SourcedDocument> documents = records
                .process(new ParseDocuments(cfg.maxDocumentBytes()))
                .name("parse documents").uid("parse-documents");
        documents.getSideOutput(ParseDocuments.DEAD_LETTERS)
                .sinkTo(sink(cfg, kafkaClientProps, "dead-letters",
                        KeyedJsonSerializer.deadLetters(cfg.topics().deadLetters())))
                .name("dead letters sink").uid("dead-letters-sink");

        // One exchange by stream; the chunker, the encoder and the heads keep each record's stream, so they are
        // chained behind it and hand chunks over in memory, not through the network stack.
        DataStream<StreamChunk> chunks = documents
                .keyBy(SourcedDocument::stream, Types.STRING)
                .process(new TokenizeAndChunk(cfg.chunkSize(), cfg.flushInterval().toMillis(), tokenizer))
                .name("tokenize and chunk").uid("tokenize-and-chunk");

        DataStream<EncodedChunk> encoded = DataStreamUtils.reinterpretAsKeyedStream(chunks, StreamChunk::stream,
                        Types.STRING)
                .transform("dilated encoder", TypeInformation.of(EncodedChunk.class),
                        new EncoderOperator(cfg.modelDir().toString(), cfg.topK(), cfg.predictions(),
                                cfg.hotStateMemory().getBytes(), cfg.onModelChange(), cfg.encoderThreads(),
                                cfg.encoderBatching(), cfg.unwrittenStateMemory().getBytes()))
                .uid("dilated-encoder");

        SingleOutputStreamOperator<EmbeddingOut> embeddings = DataStreamUtils.reinterpretAsKeyedStream(
                        taps.encoded(encoded), EncodedChunk::stream, Types.STRING)
                .process(new DocumentHeads(cfg.pooling(), cfg.topK(), cfg.predictions()))
                .name("document heads").uid("document-heads");
        taps.embeddings(embeddings)
                .sinkTo(sink(cfg, kafkaClientProps, "embeddings",
                        KeyedJsonSerializer.embeddings(cfg.topics().embeddings())))
                .name("embeddings sink").uid("embeddings-sink");

        embeddings.getSideOutput(DocumentHeads.FAILURES)
                .sinkTo(sink(cfg, kafkaClientProps, "document-failures",
                        KeyedJsonSerializer.documentFailures(cfg.topics().deadLetters())))
                .name("document failures sink").uid("document-failures-sink");

        if (cfg.predictions()) {
            embeddings.getSideOutput(DocumentHeads.PREDICTIONS)
                    .sinkTo(sink(cfg, kafkaClientProps, "predictions",
                            KeyedJsonSerializer.predictions(cfg.topics().predictions())))
                    .name("predictions sink").uid("predictions-sink");
        }
    }

    /** One stream's k/v rows must fit in the encoder's hot memory, or no stream could ever be encoded. */
    static void checkHotStateMemory(JobConfig cfg, ModelDirectory model) {
        long oneStream = EncoderOperator.oneStreamBytes(model.config());
        if (cfg.hotStateMemory().getBytes() < oneStream) {
            throw new IllegalArgumentException(JobOptions.HOT_STATE_MEMORY.key() + " " + cfg.hotStateMemory()
                    .toHumanReadableString() + " is below what one stream of model " + cfg.modelDir() + " may hold: "
                    + oneStream + " bytes (" + MemorySize.parse(oneStream + "b").toHumanReadableString() + ")");
        }
    }

    /**
     * The brokers abort, and refuse to start, transactions longer than their transaction.max.timeout.ms; a sink
     * asking for more would fail on every restart. Checked here when the brokers tell (a warning when they don't).
     */
    static void checkTransactionTimeout(JobConfig cfg, Properties kafkaClientProps) {
        Properties props = new Properties();
        props.putAll(kafkaClientProps);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cfg.bootstrapServers());
        BrokerLimits.transactionMaxTimeout(props, BROKER_CHECK_TIMEOUT).ifPresent(max -> {
            if (cfg.transactionTimeout().compareTo(max) > 0) {
                throw new IllegalArgumentException(JobOptions.TRANSACTION_TIMEOUT.key() + " "
                        + cfg.transactionTimeout().toMillis() + " ms is above the brokers' "
                        + BrokerLimits.TRANSACTION_MAX_TIMEOUT + " " + max.toMillis() + " ms");
            }
        });
    }

    /**
     * RocksDB (EmbeddedRocksDBStateBackend) with incremental checkpoints, exactly-once checkpoints, unaligned
     * unless switched off, kept when the job is cancelled: the streams' positions and k/v state are the
     * corpus read so far, and a restart from the last checkpoint continues every stream where it stopped.
     */
    static void configureCheckpoints(StreamExecutionEnvironment env, JobConfig cfg) {
        Configuration conf = new Configuration();
        conf.set(StateBackendOptions.STATE_BACKEND, ROCKSDB);
        conf.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
        conf.set(RocksDBOptions.OPTIONS_FACTORY, KeyedStateRocksDbOptions.class.getName());
        conf.set(CheckpointingOptions.ENABLE_UNALIGNED, cfg.unalignedCheckpoints());
        conf.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        cfg.checkpointStorage().ifPresent(dir -> {
            conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
            conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir);
        });
        env.configure(conf);
        env.enableCheckpointing(cfg.checkpointInterval().toMillis(), CheckpointingMode.EXACTLY_ONCE);
    }

    static KafkaSource<RawRecord> source(JobConfig cfg, Properties kafkaClientProps) {
        return KafkaSource.<RawRecord>builder()
                .setProperties(kafkaClientProps)
                .setBootstrapServers(cfg.bootstrapServers())
                .setTopics(cfg.topics().documents())
                .setGroupId(cfg.groupId())
                .setStartingOffsets(startingOffsets(cfg.startingOffsets()))
                // Documents written in a producer transaction that was aborted must never be encoded.
                .setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
                .setDeserializer(new RawRecordDeserializer())
                .build();
    }

    static OffsetsInitializer startingOffsets(JobOptions.StartingOffsets offsets) {
        return switch (offsets) {
            case EARLIEST -> OffsetsInitializer.earliest();
            case LATEST -> OffsetsInitializer.latest();
            case COMMITTED -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
        };
    }

    /**
     * A sink with the job's delivery guarantee. Exactly once, its transactional ids are the job's prefix plus
     * {@code name}, taken from a pool that is reused ({@link TransactionNamingStrategy#POOLING}): each subtask holds
     * as many ids as it has transactions not yet committed, a few. The default strategy names a new id at every
     * checkpoint, and the brokers keep each one for {@code transactional.id.expiration.ms} (7 days by default): with
     * checkpoints every second and four sinks, 2.4 million ids a week per subtask, in the brokers' memory. After a
     * failure the pool's transactions left open are found by listing the open transactions on the sink's topic
     * (Kafka's ListTransactions and DescribeProducers; on a secured cluster the job's principal needs to be allowed
     * them). At least once, it writes each record at once and flushes at every checkpoint, so whatever a restored
     * checkpoint covers is in Kafka and only what followed it is written again.
     */
    static <T> KafkaSink<T> sink(JobConfig cfg, Properties kafkaClientProps, String name,
            KeyedJsonSerializer<T> serializer) {
        Properties producer = new Properties();
        producer.putAll(kafkaClientProps);
        KafkaSinkBuilder<T> builder = KafkaSink.<T>builder()
                .setKafkaProducerConfig(producer)
                .setBootstrapServers(cfg.bootstrapServers())
                .setRecordSerializer(serializer)
                .setDeliveryGuarantee(cfg.deliveryGuarantee().sinkGuarantee());
        if (cfg.deliveryGuarantee().transactional()) {
            builder.setTransactionalIdPrefix(cfg.transactionalIdPrefix() + "-" + name)
                    .setTransactionNamingStrategy(TransactionNamingStrategy.POOLING)
                    .setProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                            Long.toString(cfg.transactionTimeout().toMillis()));
        }
        return builder.build();
    }
}
