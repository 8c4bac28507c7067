package io.longnet.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.longnet.job.CheckpointDirectory;
import io.longnet.job.CorpusJob;
import io.longnet.job.JobTaps;
import io.longnet.job.JobConfig;
import io.longnet.job.JobOptions;
import io.longnet.kafka.Document;
import io.longnet.kafka.EmbeddedKafka;
import io.longnet.kafka.EmbeddingOut;
import io.longnet.kafka.PredictionOut;
import io.longnet.kafka.OutputReader;
import io.longnet.kafka.TopicAdmin;
import io.longnet.kafka.TopicNames;
import io.longnet.kafka.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * One test's corpus job: its own topics (two partitions), consumer group and transactional ids on the shared
 * broker, the job on the test's MiniCluster with parallelism 2, and a read_committed reader of its outputs.
 */
final class Pipeline implements AutoCloseable {

    static final int PARALLELISM = 2;
    static final Duration OUTPUT_TIMEOUT = Duration.ofSeconds(120);

    /** One TaskManager with a slot per parallel subtask, for a test class's {@code @RegisterExtension}. */
    static MiniClusterExtension miniCluster() {
        return new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
                .setNumberTaskManagers(1)
                .setNumberSlotsPerTaskManager(PARALLELISM)
                .build());
    }

    final EmbeddedKafka kafka = SharedKafka.get();
    final TopicNames topics;
    final JobConfig config;
    private final Map<String, String> options;
    private final Path checkpoints;
    private JobClient job;
    private OutputReader reader;

    /** @param name unique per test: prefixes the topics, the group id and the transactional ids */
    Pipeline(String name, Path modelDir, Path checkpoints, Map<String, String> extraOptions) {
        this.checkpoints = checkpoints;
        topics = new TopicNames(name + ".documents", name + ".embeddings", name + ".predictions", name + ".dead-letters");
        TopicAdmin.createAll(kafka.clientProperties(), Topics.specs(topics, 2, 1));
        Map<String, String> options = new HashMap<>(Map.of(
                JobOptions.BOOTSTRAP_SERVERS.key(), kafka.bootstrapServers(),
                JobOptions.MODEL_DIR.key(), modelDir.toString(),
                JobOptions.DOCUMENTS_TOPIC.key(), topics.documents(),
                JobOptions.EMBEDDINGS_TOPIC.key(), topics.embeddings(),
                JobOptions.PREDICTIONS_TOPIC.key(), topics.predictions(),
                JobOptions.DEAD_LETTERS_TOPIC.key(), topics.deadLetters(),
                JobOptions.CHUNK_SIZE.key(), "32",
                JobOptions.FLUSH_INTERVAL.key(), "100 ms",
                JobOptions.CHECKPOINT_INTERVAL.key(), "500 ms",
                JobOptions.CHECKPOINT_DIR.key(), checkpoints.toUri().toString()));
        options.put(JobOptions.GROUP_ID.key(), name);
        options.put(JobOptions.TRANSACTIONAL_ID_PREFIX.key(), name);
        options.putAll(extraOptions);
        this.options = Map.copyOf(options);
        config = JobConfig.fromMap(options);
    }

    /** The job's options as the command line of {@code flink run} takes them: --key value ... */
    List<String> jobArguments() {
        return options.entrySet().stream().flatMap(e -> Stream.of("--" + e.getKey(), e.getValue())).toList();
    }

    Properties clientProperties() {
        return kafka.clientProperties();
    }

    /** Writes documents keyed by stream, so that each stream stays in one partition, in order. */
    void write(List<Document> docs) {
        try (KafkaProducer<String, byte[]> producer = producer()) {
            docs.forEach(d -> producer.send(new ProducerRecord<>(topics.documents(), d.stream(), d.toJson())));
        }
    }

    /** Writes raw values under the given stream keys, in order. */
    void writeRaw(List<Map.Entry<String, byte[]>> records) {
        try (KafkaProducer<String, byte[]> producer = producer()) {
            records.forEach(r -> producer.send(new ProducerRecord<>(topics.documents(), r.getKey(), r.getValue())));
        }
    }

    private KafkaProducer<String, byte[]> producer() {
        Properties props = clientProperties();
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        // One request in flight: a retried first batch can never land behind a later one (out of order, for good).
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    /** Builds and submits the job; a failed task restarts from the last checkpoint (fixed delay). */
    JobClient start(JobTaps taps) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(PARALLELISM);
        Configuration restart = new Configuration();
        restart.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        restart.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
        restart.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(500));
        env.configure(restart);
        CorpusJob.build(env, config, clientProperties(), taps);
        job = env.executeAsync(CorpusJob.JOB_NAME);
        return job;
    }

    OutputReader outputs() {
        if (reader == null) {
            reader = new OutputReader(clientProperties(), topics);
        }
        return reader;
    }

    /** Polls the outputs until {@code done}, failing after {@link #OUTPUT_TIMEOUT} or if the job stopped. */
    void awaitOutputs(BooleanSupplier done, String what) throws Exception {
        long deadline = System.nanoTime() + OUTPUT_TIMEOUT.toNanos();
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("%s within %s; have %d embeddings, %d predictions, %d dead letters",
                    what, OUTPUT_TIMEOUT, outputs().embeddings().size(), outputs().predictions().size(),
                    outputs().deadLetters().size()).isLessThan(deadline);
            if (job != null) {
                // RESTARTING is fine (the failure test); a terminal state means the outputs will never come.
                assertThat(status().isGloballyTerminalState()).as("job ended (%s) while waiting for %s", status(), what)
                        .isFalse();
            }
            outputs().poll(Duration.ofMillis(200));
        }
    }

    void awaitCounts(int documents, int deadLetters) throws Exception {
        boolean predictions = config.predictions();
        awaitOutputs(() -> outputs().embeddings().size() >= documents
                        && (!predictions || outputs().predictions().size() >= documents)
                        && outputs().deadLetters().size() >= deadLetters,
                documents + " embeddings" + (predictions ? " and predictions" : "") + ", " + deadLetters + " dead letters");
        // Anything extra (a duplicate) would be committed with the same checkpoint: read all that is committed.
        outputs().readToEnd(OUTPUT_TIMEOUT);
    }

    /** Waits for an embedding and a prediction of {@code documents} distinct ids (at least once: repeats may come). */
    void awaitDistinctIds(int documents) throws Exception {
        awaitOutputs(() -> outputs().embeddings().stream().map(EmbeddingOut::id).distinct().count() >= documents
                        && outputs().predictions().stream().map(PredictionOut::id).distinct().count() >= documents,
                "an embedding and a prediction of " + documents + " documents");
        // Repeats may still be on their way, in the network buffers or the sinks' producers. The sinks flush at
        // every checkpoint, one checkpoint runs at a time, so the one after any in flight now (id now + 2) is
        // triggered after now. Its barrier may overtake records in the buffers (unaligned checkpoints, the job's
        // default); those reach the sinks before the next barrier and are flushed at checkpoint now + 3. Ids only
        // grow (an aborted checkpoint uses one up), so once any checkpoint from now + 3 on has completed, everything
        // computed before now is in Kafka.
        long now = newestCheckpoint();
        awaitOutputs(() -> newestCheckpoint() >= now + 3,
                "a checkpoint triggered after the last document's outputs");
        outputs().readToEnd(OUTPUT_TIMEOUT);
    }

    /** The id of the running job's newest completed checkpoint (one with its metadata written), 0 before any. */
    long newestCheckpoint() {
        return new CheckpointDirectory(checkpoints, job.getJobID().toHexString()).completed().stream()
                .mapToLong(CheckpointDirectory.Checkpoint::id).max().orElse(0);
    }

    /** The transactional ids of this pipeline's sinks that the broker holds, in whatever state. */
    Set<String> transactionalIds() throws Exception {
        try (Admin admin = Admin.create(clientProperties())) {
            return admin.listTransactions().all().get(30, TimeUnit.SECONDS).stream()
                    .map(TransactionListing::transactionalId)
                    .filter(id -> id.startsWith(config.transactionalIdPrefix() + "-"))
                    .collect(Collectors.toSet());
        }
    }

    JobStatus status() throws Exception {
        return job.getJobStatus().get(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        if (reader != null) {
            reader.close();
        }
        if (job != null && !status().isGloballyTerminalState()) {
            job.cancel().get(60, TimeUnit.SECONDS);
            // The cancel is acknowledged before the tasks stop writing checkpoint files; wait for the job's end
            // so that the test's temporary directories can be deleted.
            try {
                job.getJobExecutionResult().get(60, TimeUnit.SECONDS);
            } catch (ExecutionException cancelled) {
                // the expected end of a cancelled job
            }
        }
    }
}
