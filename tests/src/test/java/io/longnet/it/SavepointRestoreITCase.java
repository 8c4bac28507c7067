package io.longnet.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.longnet.demo.SampleCorpus;
import io.longnet.job.CorpusJob;
import io.longnet.job.JobOptions;
import io.longnet.kafka.Document;
import io.longnet.kafka.EmbeddingOut;
import io.longnet.kafka.PredictionOut;
import io.longnet.model.ModelDirectory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A savepoint carries the job forward: taken (stop-with-savepoint) at parallelism 2 mid-stream, with tokens
 * pending in the chunker under a flush timer an hour away, it is restored at parallelism 1, at 3, and with a
 * smaller chunk-size and a shorter flush interval. Each time the outputs before the savepoint plus those of the
 * restored job hold every document exactly once, with the values of an uninterrupted run (the decoder run
 * directly, which CorpusJobITCase pins to one).
 */
class SavepointRestoreITCase {

    private static final int DOCUMENTS = 24;
    private static final double TOLERANCE = 1e-4;
    private static final String NAME = "it-savepoint";

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(3).build());

    @TempDir
    static Path dir;

    private static ModelDirectory model;
    private static List<Document> docs;
    private static String savepoint;
    private static List<EmbeddingOut> embeddingsBefore;
    private static List<PredictionOut> predictionsBefore;

    /** The job at parallelism 2 over the first half, stopped with a savepoint; then the second half is written. */
    @BeforeAll
    static void savepointMidStream() throws Exception {
        model = TinyModel.write(dir.resolve("model"));
        docs = SampleCorpus.documents(DOCUMENTS);
        // Flushing only full chunks, so that tokens are pending at the savepoint, under a timer an hour away.
        try (Pipeline first = new Pipeline(NAME, model.dir(), dir.resolve("cp"),
                Map.of(JobOptions.FLUSH_INTERVAL.key(), "1 h"))) {
            first.write(docs.subList(0, DOCUMENTS / 2));
            JobClient job = start(first, 2, null);
            first.awaitOutputs(() -> first.outputs().embeddings().size() >= DOCUMENTS / 4, "the first full chunks");
            savepoint = job.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(),
                    SavepointFormatType.CANONICAL).get(120, TimeUnit.SECONDS);
            first.outputs().readToEnd(Duration.ofSeconds(120)); // everything the savepoint committed
            embeddingsBefore = List.copyOf(first.outputs().embeddings());
            predictionsBefore = List.copyOf(first.outputs().predictions());
            assertThat(embeddingsBefore).as("documents still to come after the savepoint").hasSizeLessThan(DOCUMENTS / 2);
            first.write(docs.subList(DOCUMENTS / 2, DOCUMENTS));
        }
    }

    @Test
    void restoredAtParallelismOne() throws Exception {
        restoreAndCheck("p1", 1, Map.of());
    }

    @Test
    void restoredAtParallelismThree() throws Exception {
        restoreAndCheck("p3", 3, Map.of());
    }

    @Test
    void restoredWithASmallerChunkSize() throws Exception {
        restoreAndCheck("chunk8", 2, Map.of(JobOptions.CHUNK_SIZE.key(), "8"));
    }

    /**
     * The savepoint's job (same documents topic, consumer group and transactional ids), writing to outputs of its
     * own, with a short flush interval.
     */
    private static void restoreAndCheck(String variant, int parallelism, Map<String, String> changes) throws Exception {
        Map<String, String> options = new HashMap<>(Map.of(
                JobOptions.DOCUMENTS_TOPIC.key(), NAME + ".documents",
                JobOptions.GROUP_ID.key(), NAME,
                JobOptions.TRANSACTIONAL_ID_PREFIX.key(), NAME,
                JobOptions.FLUSH_INTERVAL.key(), "100 ms"));
        options.putAll(changes);
        try (Pipeline restored = new Pipeline(NAME + "-" + variant, model.dir(), dir.resolve("cp-" + variant), options)) {
            JobClient job = start(restored, parallelism, savepoint);
            try {
                int rest = DOCUMENTS - embeddingsBefore.size();
                restored.awaitOutputs(() -> restored.outputs().embeddings().size() >= rest
                        && restored.outputs().predictions().size() >= rest, rest + " documents after the savepoint");
                restored.outputs().readToEnd(Duration.ofSeconds(120)); // a duplicate would come with the same commit
            } finally {
                job.cancel().get(60, TimeUnit.SECONDS);
            }
            List<EmbeddingOut> embeddings = new ArrayList<>(embeddingsBefore);
            embeddings.addAll(restored.outputs().embeddings());
            List<PredictionOut> predictions = new ArrayList<>(predictionsBefore);
            predictions.addAll(restored.outputs().predictions());
            ExpectedOutputs.assertExactlyOnceAsDecodedDirectly(model, docs, embeddings, predictions, TOLERANCE);
        }
    }

    private static JobClient start(Pipeline pipeline, int parallelism, String savepointPath) throws Exception {
        Configuration conf = new Configuration();
        if (savepointPath != null) {
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepointPath);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(parallelism);
        CorpusJob.build(env, pipeline.config, pipeline.clientProperties());
        return env.executeAsync(CorpusJob.JOB_NAME);
    }
}
