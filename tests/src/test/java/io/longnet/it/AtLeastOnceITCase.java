package io.longnet.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.longnet.demo.SampleCorpus;
import io.longnet.job.JobOptions;
import io.longnet.job.JobTaps;
import io.longnet.kafka.Document;
import io.longnet.kafka.EmbeddingOut;
import io.longnet.kafka.PredictionOut;
import io.longnet.model.ModelDirectory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code delivery-guarantee at-least-once} on a MiniCluster against a real broker, with a failure injected after
 * an output was written and before the next checkpoint: the restart writes it again. The outputs, read as a
 * consumer reads them, hold every document; every repeat equals the first output of its id (position, values);
 * and the first outputs, one per id, are exactly what the streaming decoder gives when run directly.
 */
class AtLeastOnceITCase {

    private static final Logger LOG = LoggerFactory.getLogger(AtLeastOnceITCase.class);
    private static final int DOCUMENTS = 24;
    /** Float32 round-off: a replay may cut the stream into other chunks (the flush timer is processing time). */
    private static final double TOLERANCE = 1e-5;

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = Pipeline.miniCluster();

    @TempDir
    static Path dir;

    @Test
    void afterAFailureEveryDocumentIsOutAndEveryRepeatEqualsTheFirstOutputOfItsId() throws Exception {
        ModelDirectory model = TinyModel.write(dir.resolve("model"));
        List<Document> docs = SampleCorpus.documents(DOCUMENTS);
        FailOnceAfterWrite.reset();
        int first = DOCUMENTS / 3;
        try (Pipeline pipeline = new Pipeline("it-at-least-once", model.dir(), dir.resolve("cp"),
                Map.of(JobOptions.DELIVERY_GUARANTEE.key(), "at-least-once"))) {
            pipeline.write(docs.subList(0, first));
            pipeline.start(new FailingTaps());
            pipeline.awaitOutputs(() -> FailOnceAfterWrite.failed()
                    || pipeline.outputs().embeddings().size() >= first, "the injected failure or the first documents");
            pipeline.write(docs.subList(first, DOCUMENTS));
            pipeline.awaitOutputs(() -> firstById(pipeline.outputs().embeddings(), EmbeddingOut::id).size() >= DOCUMENTS
                    && firstById(pipeline.outputs().predictions(), PredictionOut::id).size() >= DOCUMENTS,
                    "an embedding and a prediction of every document");
            pipeline.outputs().poll(java.time.Duration.ofSeconds(1));

            List<EmbeddingOut> embeddings = pipeline.outputs().embeddings();
            List<PredictionOut> predictions = pipeline.outputs().predictions();
            assertThat(FailOnceAfterWrite.failed()).as("a failure was injected").isTrue();
            Map<String, EmbeddingOut> firstEmbeddings = firstById(embeddings, EmbeddingOut::id);
            Map<String, PredictionOut> firstPredictions = firstById(predictions, PredictionOut::id);
            LOG.info("{} embeddings ({} repeats), {} predictions ({} repeats) for {} documents", embeddings.size(),
                    embeddings.size() - firstEmbeddings.size(), predictions.size(),
                    predictions.size() - firstPredictions.size(), DOCUMENTS);
            assertThat(embeddings.size()).as("embeddings written again after the restart")
                    .isGreaterThan(firstEmbeddings.size());

            for (EmbeddingOut repeat : embeddings) {
                EmbeddingOut want = firstEmbeddings.get(repeat.id());
                assertThat(List.of(repeat.stream(), repeat.firstPosition(), repeat.tokenCount(), repeat.model()))
                        .as("coordinates of a repeat of %s", repeat.id())
                        .isEqualTo(List.of(want.stream(), want.firstPosition(), want.tokenCount(), want.model()));
                assertThat(repeat.vector()).as("embedding of a repeat of %s", repeat.id())
                        .containsExactly(want.vector(), within((float) TOLERANCE));
            }
            for (PredictionOut repeat : predictions) {
                PredictionOut want = firstPredictions.get(repeat.id());
                assertThat(repeat.firstPosition()).as("position of a repeat of %s", repeat.id())
                        .isEqualTo(want.firstPosition());
                assertThat(repeat.meanNll()).as("meanNll of a repeat of %s", repeat.id())
                        .isCloseTo(want.meanNll(), within(TOLERANCE));
                assertThat(repeat.topNext()).as("top-k of a repeat of %s", repeat.id()).hasSameSizeAs(want.topNext());
            }
            ExpectedOutputs.assertExactlyOnceAsDecodedDirectly(model, docs, new ArrayList<>(firstEmbeddings.values()),
                    new ArrayList<>(firstPredictions.values()), TOLERANCE);
        }
    }

    /** What a consumer that drops repeats by document id keeps: the first output of each id, in reading order. */
    private static <T> Map<String, T> firstById(List<T> outputs, Function<T, String> id) {
        Map<String, T> first = new LinkedHashMap<>();
        outputs.forEach(output -> first.putIfAbsent(id.apply(output), output));
        return first;
    }

    /** Fails the job once, between the heads and the embeddings sink, after an embedding was written. */
    private static final class FailingTaps implements JobTaps {
        private static final long serialVersionUID = 1L;

        @Override
        public DataStream<EmbeddingOut> embeddings(DataStream<EmbeddingOut> embeddings) {
            return embeddings.map(new FailOnceAfterWrite<EmbeddingOut>()).returns(embeddings.getType())
                    .name("fail once after a written output").uid("fail-once-after-write");
        }
    }
}
