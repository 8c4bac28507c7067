package io.longnet.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.longnet.demo.SampleCorpus;
import io.longnet.job.JobOptions;
import io.longnet.job.JobTaps;
import io.longnet.kafka.Document;
import io.longnet.kafka.EmbeddingOut;
import io.longnet.kafka.PredictionOut;
import io.longnet.model.ModelDirectory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
            pipeline.awaitDistinctIds(DOCUMENTS);

            List<EmbeddingOut> embeddings = pipeline.outputs().embeddings();
            List<PredictionOut> predictions = pipeline.outputs().predictions();
            assertThat(FailOnceAfterWrite.failed()).as("a failure was injected").isTrue();
            List<EmbeddingOut> firstEmbeddings = ExpectedOutputs.firstOfEachId(embeddings, EmbeddingOut::id);
            List<PredictionOut> firstPredictions = ExpectedOutputs.firstOfEachId(predictions, PredictionOut::id);
            LOG.info("{} embeddings ({} repeats), {} predictions ({} repeats) for {} documents", embeddings.size(),
                    embeddings.size() - firstEmbeddings.size(), predictions.size(),
                    predictions.size() - firstPredictions.size(), DOCUMENTS);
            assertThat(embeddings.size()).as("embeddings written again after the restart")
                    .isGreaterThan(firstEmbeddings.size());
            ExpectedOutputs.assertRepeatsEqualTheFirst(embeddings, predictions, TOLERANCE);
            ExpectedOutputs.assertExactlyOnceAsDecodedDirectly(model, docs, firstEmbeddings, firstPredictions,
                    TOLERANCE);
        }
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
