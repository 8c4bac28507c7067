package io.longnet.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.longnet.demo.SampleCorpus;
import io.longnet.job.JobTaps;
import io.longnet.kafka.Document;
import io.longnet.kafka.EmbeddingOut;
import io.longnet.kafka.PredictionOut;
import io.longnet.kafka.TopToken;
import io.longnet.model.ModelDirectory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The corpus job end to end: a real broker, the job on a MiniCluster with RocksDB and checkpoints, documents
 * of two streams in, embeddings and predictions out (read_committed). One failure-free run is made first;
 * the tests check it against the decoder run directly, and a run with an injected failure against it.
 */
class CorpusJobITCase {

    /** Float32 round-off between chunkings (streaming equals batch up to this). */
    private static final double TOLERANCE = 1e-5;
    private static final int DOCUMENTS = 24;

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = Pipeline.miniCluster();

    @TempDir
    static Path dir;

    private static ModelDirectory model;
    private static List<Document> docs;
    private static List<EmbeddingOut> embeddings;
    private static List<PredictionOut> predictions;

    @BeforeAll
    static void failureFreeRun() throws Exception {
        model = TinyModel.write(dir.resolve("model"));
        docs = SampleCorpus.documents(DOCUMENTS);
        try (Pipeline pipeline = new Pipeline("it-baseline", model.dir(), dir.resolve("cp-baseline"), Map.of())) {
            pipeline.write(docs);
            pipeline.start(JobTaps.NONE);
            pipeline.awaitCounts(DOCUMENTS, 0);
            embeddings = List.copyOf(pipeline.outputs().embeddings());
            predictions = List.copyOf(pipeline.outputs().predictions());
        }
    }

    @Test
    void everyDocumentIdExactlyOnceInEmbeddingsAndPredictions() {
        List<String> ids = docs.stream().map(Document::id).toList();

        assertThat(embeddings).extracting(EmbeddingOut::id).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(predictions).extracting(PredictionOut::id).containsExactlyInAnyOrderElementsOf(ids);
        Map<String, Document> byId = docs.stream().collect(Collectors.toMap(Document::id, Function.identity()));
        assertThat(embeddings).allSatisfy(e -> {
            assertThat(e.stream()).isEqualTo(byId.get(e.id()).stream());
            assertThat(e.model()).isEqualTo(model.fingerprint());
            assertThat(e.dimension()).isEqualTo(model.config().embedDim());
        });
    }

    @Test
    void embeddingsAndPredictionsEqualTheStreamingDecoderRunDirectly() {
        Map<String, DirectDecoding.Expected> expected = DirectDecoding.run(model, docs);
        Map<String, PredictionOut> predictionsById = byId(predictions, PredictionOut::id);

        assertThat(embeddings).hasSize(expected.size());
        for (EmbeddingOut actual : embeddings) {
            DirectDecoding.Expected want = expected.get(actual.id());
            assertThat(actual.firstPosition()).as("firstPosition of %s", actual.id()).isEqualTo(want.firstPosition());
            assertThat(actual.tokenCount()).as("tokenCount of %s", actual.id()).isEqualTo(want.tokenCount());
            assertClose(actual.vector(), want.embedding(), "embedding of " + actual.id());

            PredictionOut prediction = predictionsById.get(actual.id());
            assertThat(prediction.meanNll()).as("meanNll of %s", actual.id()).isCloseTo(want.meanNll(), within(TOLERANCE));
            assertThat(prediction.perplexity()).as("perplexity of %s", actual.id())
                    .isCloseTo(Math.exp(want.meanNll()), within(TOLERANCE * prediction.perplexity()));
            assertThat(prediction.bitsPerByte()).as("bitsPerByte of %s", actual.id())
                    .isCloseTo(want.bitsPerByte(), within(TOLERANCE));
            assertTopK(prediction.topNext(), want.nextProbs(), actual.id());
        }
    }

    @Test
    void afterAnInjectedFailureTheOutputsAreExactlyThoseOfTheFailureFreeRun() throws Exception {
        FailOnceAfterCheckpoint.reset();
        int first = DOCUMENTS / 3;
        try (Pipeline pipeline = new Pipeline("it-failure", model.dir(), dir.resolve("cp-failure"), Map.of())) {
            pipeline.write(docs.subList(0, first));
            pipeline.start(new FailingTaps());
            // The rest goes in once the failure happened, or once the first part is out: then the failure comes
            // with the rest at the latest, so it always lands mid-stream.
            pipeline.awaitOutputs(() -> FailOnceAfterCheckpoint.failed()
                    || pipeline.outputs().embeddings().size() >= first, "the injected failure or the first documents");
            pipeline.write(docs.subList(first, DOCUMENTS));
            pipeline.awaitCounts(DOCUMENTS, 0);

            assertThat(FailOnceAfterCheckpoint.failed()).as("a failure was injected").isTrue();
            assertThat(FailOnceAfterCheckpoint.failedAfterCheckpoint()).as("failed after a completed checkpoint")
                    .isPositive();
            assertSameRecords(pipeline.outputs().embeddings(), pipeline.outputs().predictions());
        }
    }

    /**
     * A job that checkpoints every 500 ms for good keeps its sinks' transactional ids to a pool: the brokers hold
     * each id for days ({@code transactional.id.expiration.ms}), so a new one per checkpoint would grow their
     * memory for as long as the job runs.
     */
    @Test
    void theBrokerHoldsAPoolOfTransactionalIdsNotOnePerCheckpoint() throws Exception {
        int sinks = 4; // dead letters, document failures, embeddings, predictions
        try (Pipeline pipeline = new Pipeline("it-txn-ids", model.dir(), dir.resolve("cp-txn-ids"), Map.of())) {
            pipeline.write(docs.subList(0, 4));
            pipeline.start(JobTaps.NONE);
            pipeline.awaitCounts(4, 0);
            long checkpoints = 30;
            pipeline.awaitOutputs(() -> pipeline.newestCheckpoint() >= checkpoints, checkpoints + " checkpoints");

            Set<String> ids = pipeline.transactionalIds();
            assertThat(ids).as("the pipeline's transactional ids on the broker after %d checkpoints", checkpoints)
                    .isNotEmpty()
                    .hasSizeLessThanOrEqualTo(sinks * Pipeline.PARALLELISM * 3);
        }
    }

    /**
     * A model with the bytes tokenizer through the whole job: each document is its UTF-8 bytes after separator
     * 256 (positions count bytes), and the top next tokens are bytes shown as text, a non-ASCII one escaped.
     */
    @Test
    void aBytesTokenizerModelRunsThroughTheJob() throws Exception {
        ModelDirectory bytesModel = TinyModel.writeBytes(dir.resolve("bytes-model"));
        List<Document> texts = List.of(
                new Document("x1", "int x = 1;", "code", null),
                new Document("x2", "// caf\u00e9 \u65e5\u672c\n", "code", null),
                new Document("x3", "<|endoftext|> is text", "code", null),
                new Document("y1", "GET /index.html 200", "log", null),
                new Document("y2", "\uD83D\uDE00 done", "log", null));
        List<EmbeddingOut> out;
        List<PredictionOut> predicted;
        try (Pipeline pipeline = new Pipeline("it-bytes", bytesModel.dir(), dir.resolve("cp-bytes"), Map.of())) {
            pipeline.write(texts);
            pipeline.start(JobTaps.NONE);
            pipeline.awaitCounts(texts.size(), 0);
            out = List.copyOf(pipeline.outputs().embeddings());
            predicted = List.copyOf(pipeline.outputs().predictions());
        }

        Map<String, EmbeddingOut> embeddingsById = byId(out, EmbeddingOut::id);
        Map<String, Long> next = new HashMap<>(); // stream -> position of its next separator
        for (Document doc : texts) {
            int bytes = doc.text().getBytes(StandardCharsets.UTF_8).length;
            long first = next.getOrDefault(doc.stream(), 0L) + 1;
            EmbeddingOut e = embeddingsById.get(doc.id());
            assertThat(List.of(e.firstPosition(), (long) e.tokenCount())).as("position and bytes of %s", doc.id())
                    .isEqualTo(List.of(first, (long) bytes));
            assertThat(e.model()).isEqualTo(bytesModel.fingerprint());
            next.put(doc.stream(), first + bytes);
        }
        assertThat(embeddingsById.get("x2").tokenCount()).as("é is 2 bytes, 日 and 本 3 each").isEqualTo(16);

        Map<String, DirectDecoding.Expected> expected = DirectDecoding.run(bytesModel, texts);
        for (PredictionOut p : predicted) {
            DirectDecoding.Expected want = expected.get(p.id());
            assertThat(p.meanNll()).as("meanNll of %s", p.id()).isCloseTo(want.meanNll(), within(TOLERANCE));
            assertTopK(p.topNext(), want.nextProbs(), p.id());
            assertThat(p.topNext()).allSatisfy(t -> assertThat(t.text()).as("text of token %d", t.id())
                    .isEqualTo(t.id() == 256 ? "<|endoftext|>"
                            : t.id() < 0x80 ? String.valueOf((char) t.id())
                            : String.format("\\x%02X", t.id())));
        }
        assertThat(predicted.stream().flatMap(p -> p.topNext().stream()).map(TopToken::id).distinct())
                .as("every id listed is a byte or the separator").allMatch(id -> id >= 0 && id <= 256);
    }

    /** Fails the job once, between the heads and the embeddings sink, with an embedding in an open transaction. */
    private static final class FailingTaps implements JobTaps {
        private static final long serialVersionUID = 1L;

        @Override
        public DataStream<EmbeddingOut> embeddings(DataStream<EmbeddingOut> embeddings) {
            return embeddings.map(new FailOnceAfterCheckpoint<EmbeddingOut>()).returns(embeddings.getType())
                    .name("fail once after a checkpoint").uid("fail-once");
        }
    }

    /** Same ids, each once; same coordinates; same values up to float round-off. */
    private static void assertSameRecords(List<EmbeddingOut> actualEmbeddings, List<PredictionOut> actualPredictions) {
        assertThat(actualEmbeddings).extracting(EmbeddingOut::id)
                .containsExactlyInAnyOrderElementsOf(embeddings.stream().map(EmbeddingOut::id).toList());
        assertThat(actualPredictions).extracting(PredictionOut::id)
                .containsExactlyInAnyOrderElementsOf(predictions.stream().map(PredictionOut::id).toList());
        Map<String, EmbeddingOut> baseline = byId(embeddings, EmbeddingOut::id);
        for (EmbeddingOut actual : actualEmbeddings) {
            EmbeddingOut want = baseline.get(actual.id());
            assertThat(List.of(actual.stream(), actual.firstPosition(), actual.tokenCount(), actual.model()))
                    .as("coordinates of %s", actual.id())
                    .isEqualTo(List.of(want.stream(), want.firstPosition(), want.tokenCount(), want.model()));
            assertClose(actual.vector(), want.vector(), "embedding of " + actual.id());
        }
        Map<String, PredictionOut> baselinePredictions = byId(predictions, PredictionOut::id);
        for (PredictionOut actual : actualPredictions) {
            PredictionOut want = baselinePredictions.get(actual.id());
            assertThat(actual.meanNll()).as("meanNll of %s", actual.id()).isCloseTo(want.meanNll(), within(TOLERANCE));
            assertThat(actual.topNext()).extracting(TopToken::id).as("top-k of %s", actual.id())
                    .containsExactlyElementsOf(want.topNext().stream().map(TopToken::id).toList());
        }
    }

    private static void assertClose(float[] actual, float[] expected, String what) {
        assertThat(actual).as("%s length", what).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) actual[i]).as("%s[%d]", what, i).isCloseTo(expected[i], within(TOLERANCE));
        }
    }

    /** The listed tokens are the k likeliest (up to ties), best first, with their probabilities. */
    private static void assertTopK(List<TopToken> top, double[] probs, String id) {
        assertThat(top).as("top-k of %s", id).hasSize(5);
        double[] sorted = Arrays.stream(probs).boxed().sorted(Comparator.reverseOrder())
                .mapToDouble(Double::doubleValue).toArray();
        double kth = sorted[top.size() - 1];
        for (TopToken token : top) {
            assertThat(token.probability()).as("probability of %s after %s", token.id(), id)
                    .isCloseTo(probs[token.id()], within(TOLERANCE * probs[token.id()] + 1e-9));
            assertThat(probs[token.id()]).as("token %s is among the top %d after %s", token.id(), top.size(), id)
                    .isGreaterThanOrEqualTo(kth * (1 - TOLERANCE));
        }
        assertThat(top.get(0).probability()).as("most likely first after %s", id)
                .isCloseTo(sorted[0], within(TOLERANCE * sorted[0]));
    }

    private static <T> Map<String, T> byId(List<T> records, Function<T, String> id) {
        return records.stream().collect(Collectors.toMap(id, Function.identity()));
    }
}
