package io.longnet.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.longnet.heads.Pooling;
import io.longnet.kafka.DocumentFailure;
import io.longnet.kafka.EmbeddingOut;
import io.longnet.kafka.PredictionOut;
import io.longnet.kafka.TopToken;
import io.longnet.text.DocSpan;
import java.util.List;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.junit.jupiter.api.Test;

/**
 * Hand-made encoded chunks (E = 2, feature of position p is [p, 10 p], nll of position p is p / 10):
 * stream S holds {@code SEP x x x x | x SEP y}, document "x" (5 tokens, 8 UTF-8 bytes) split over two chunks, then
 * "y" (1 token, 1 byte).
 */
class DocumentHeadsTest {

    private static final double LN_2 = Math.log(2);
    private static final List<TopToken> TOP_X = List.of(new TopToken(1, "a", 0.5), new TopToken(2, "b", 0.25));
    private static final List<TopToken> TOP_Y = List.of(new TopToken(3, "c", 0.75), new TopToken(4, "d", 0.125));

    private static EncodedChunk first(String stream, boolean predictions) {
        return chunk(stream, 0, 5, List.of(new DocSpan("x", 1, 5, 8, 1, 4, true, false)), List.of(), predictions);
    }

    private static EncodedChunk second(String stream, boolean predictions) {
        return chunk(stream, 5, 3, List.of(new DocSpan("x", 1, 5, 8, 0, 1, false, true),
                new DocSpan("y", 7, 1, 1, 2, 1, true, true)),
                List.of(new DocTopNext(1, TOP_X), new DocTopNext(7, TOP_Y)), predictions);
    }

    private static EncodedChunk chunk(String stream, long firstPosition, int n, List<DocSpan> spans,
            List<DocTopNext> top, boolean predictions) {
        float[] features = new float[2 * n]; // [n, 2]
        double[] nll = new double[n];        // [n]
        for (int i = 0; i < n; i++) {
            long p = firstPosition + i;
            features[2 * i] = p;
            features[2 * i + 1] = 10 * p;
            nll[i] = p == 0 ? Double.NaN : p / 10.0;
        }
        return new EncodedChunk(stream, firstPosition, n, 2, features, predictions ? nll : null, spans,
                predictions ? top : List.of(), "fp");
    }

    /** A chunk in which the encoder failed every document. */
    private static EncodedChunk failed(String stream, long firstPosition, int n, int embedDim, List<DocSpan> spans,
            String model, String reason) {
        double[] nll = new double[n];
        java.util.Arrays.fill(nll, Double.NaN);
        return new EncodedChunk(stream, firstPosition, n, embedDim, new float[n * embedDim], nll, spans, List.of(),
                model, spans.stream().map(s -> new DocFailure(s.docFirstPosition(), reason)).distinct().toList());
    }

    private static OpsTestSupport.Harness<EncodedChunk, EmbeddingOut> harness(Pooling pooling, int topK,
            boolean predictions) throws Exception {
        return OpsTestSupport.keyed(new DocumentHeads(pooling, topK, predictions), EncodedChunk::stream);
    }

    /** A snapshot while "x" is open on two streams with the same document ids: each resumes its own. */
    @Test
    void anOpenDocumentSurvivesARestoreAndKeysDoNotShareIt() throws Exception {
        OperatorSubtaskState snapshot;
        try (OpsTestSupport.Harness<EncodedChunk, EmbeddingOut> h = harness(Pooling.MEAN, 1, true).open()) {
            h.process(first("S", true));
            h.process(first("T", true));
            assertThat(h.drainOutput()).isEmpty();
            snapshot = h.checkpoint(1);
        }
        try (OpsTestSupport.Harness<EncodedChunk, EmbeddingOut> h = harness(Pooling.MEAN, 1, true).restore(snapshot)) {
            h.process(second("S", true));
            assertThat(h.drainOutput()).containsExactly(
                    new EmbeddingOut("x", "S", 1, 5, new float[] {3, 30}, "fp"),
                    new EmbeddingOut("y", "S", 7, 1, new float[] {7, 70}, "fp"));
            // x, the stream's first document, is scored on every token (only the separator at 0 is not), across a
            // restore: 0.1 + 0.2 + 0.3 + 0.4 + 0.5 = 1.5 nats = 2.164 bits over 8 bytes. y: 0.7 nats over 1 byte.
            assertThat(predictions(h)).containsExactly(
                    new PredictionOut("x", "S", 1, 5, 0.3, Math.exp(0.3), 1.5 / LN_2 / 8, TOP_X.subList(0, 1)),
                    new PredictionOut("y", "S", 7, 1, 0.7, Math.exp(0.7), 0.7 / LN_2, TOP_Y.subList(0, 1)));
            assertThat(predictions(h).get(0).bitsPerByte()).isCloseTo(0.27050532016668, within(1e-13));
            h.process(second("S", true)); // continues an "x" that is not open: no output, both documents fail
            assertThat(h.drainOutput()).isEmpty();
            assertThat(failures(h)).extracting(DocumentFailure::id).containsExactly("x", "y");
            assertThat(failures(h).get(0).reason()).contains("no document is open");
        }
        try (OpsTestSupport.Harness<EncodedChunk, EmbeddingOut> h = harness(Pooling.MEAN, 1, true).restore(snapshot)) {
            h.process(second("T", true)); // T's x, untouched by S having finished its own x above
            assertThat(h.drainOutput()).extracting(EmbeddingOut::stream).containsExactly("T", "T");
            assertThat(h.counter("documentsEmitted")).isEqualTo(2);
        }
    }

    @Test
    void withoutPredictionsOnlyEmbeddingsGoOut() throws Exception {
        try (OpsTestSupport.Harness<EncodedChunk, EmbeddingOut> h = harness(Pooling.LAST, 5, false).open()) {
            h.process(first("S", false));
            h.process(second("S", false));
            assertThat(h.drainOutput()).containsExactly(
                    new EmbeddingOut("x", "S", 1, 5, new float[] {5, 50}, "fp"),
                    new EmbeddingOut("y", "S", 7, 1, new float[] {7, 70}, "fp"));
            assertThat(h.h().getSideOutput(DocumentHeads.PREDICTIONS)).isNull();
        }
    }

    @Test
    void predictionsOnNeedAnEncoderThatScored() throws Exception {
        try (OpsTestSupport.Harness<EncodedChunk, EmbeddingOut> h = harness(Pooling.MEAN, 2, true).open()) {
            h.process(first("S", false));
            assertThat(failures(h)).singleElement().satisfies(f -> assertThat(f.reason()).contains("has no NLL"));
        }
    }

    /** The encoder failed on the second chunk: "x" (open) and "y" fail; a later document is untouched. */
    @Test
    void aFailedChunkFailsEveryDocumentInItAndTheStreamGoesOn() throws Exception {
        try (OpsTestSupport.Harness<EncodedChunk, EmbeddingOut> h = harness(Pooling.MEAN, 1, true).open()) {
            h.process(first("S", true));
            h.process(failed("S", 5, 3, 2, second("S", true).spans(), "fp", "encoder: NaN"));
            assertThat(failures(h)).containsExactly(new DocumentFailure("x", "S", 1, 5, "encoder: NaN", "fp"),
                    new DocumentFailure("y", "S", 7, 1, "encoder: NaN", "fp"));
            h.process(chunk("S", 8, 2, List.of(new DocSpan("z", 9, 1, 1, 1, 1, true, true)),
                    List.of(new DocTopNext(9, TOP_X)), true));
            assertThat(h.drainOutput()).containsExactly(new EmbeddingOut("z", "S", 9, 1, new float[] {9, 90}, "fp"));
            assertThat(h.counter("documentsFailed")).isEqualTo(2);
            assertThat(h.counter("documentsEmitted")).isEqualTo(1);
        }
    }

    /** The encoder failed on the first chunk, inside "x": the rest of "x" is skipped, "y" comes out. */
    @Test
    void theRestOfADocumentThatFailedIsSkipped() throws Exception {
        try (OpsTestSupport.Harness<EncodedChunk, EmbeddingOut> h = harness(Pooling.MEAN, 1, true).open()) {
            h.process(failed("S", 0, 5, 2, first("S", true).spans(), "fp", "encoder: NaN"));
            OperatorSubtaskState snapshot = h.checkpoint(1);
            try (OpsTestSupport.Harness<EncodedChunk, EmbeddingOut> restored =
                    harness(Pooling.MEAN, 1, true).restore(snapshot)) {
                restored.process(second("S", true));
                assertThat(restored.drainOutput()).containsExactly(
                        new EmbeddingOut("y", "S", 7, 1, new float[] {7, 70}, "fp"));
                assertThat(failures(restored)).isEmpty();
            }
            assertThat(failures(h)).extracting(DocumentFailure::id).containsExactly("x");
        }
    }

    /**
     * Stream {@code SEP d d d d d d d d SEP e}: chunks [0, 3) and [3, 6) fail, the second wholly inside "d";
     * the healthy chunk [6, 11) holds the tail of "d" and all of "e". "d" is dead-lettered once, "e" comes out.
     */
    @Test
    void aDocumentOverTwoFailedChunksFailsOnceAndItsNeighbourIsKept() throws Exception {
        try (OpsTestSupport.Harness<EncodedChunk, EmbeddingOut> h = harness(Pooling.MEAN, 1, true).open()) {
            h.process(failed("S", 0, 3, 2, List.of(new DocSpan("d", 1, 8, 8, 1, 2, true, false)), "fp",
                    "encoder: NaN"));
            h.process(failed("S", 3, 3, 2, List.of(new DocSpan("d", 1, 8, 8, 0, 3, false, false)), "fp",
                    "encoder: NaN"));
            h.process(chunk("S", 6, 5, List.of(new DocSpan("d", 1, 8, 8, 0, 3, false, true),
                    new DocSpan("e", 10, 1, 1, 4, 1, true, true)),
                    List.of(new DocTopNext(1, TOP_X), new DocTopNext(10, TOP_Y)), true));
            assertThat(failures(h)).containsExactly(new DocumentFailure("d", "S", 1, 8, "encoder: NaN", "fp"));
            assertThat(h.drainOutput()).containsExactly(new EmbeddingOut("e", "S", 10, 1, new float[] {10, 100},
                    "fp"));
            assertThat(h.counter("documentsFailed")).isEqualTo(1);
            assertThat(h.counter("documentsEmitted")).isEqualTo(1);
        }
    }

    /**
     * The encoder failed "y" alone, in the middle of the chunk that ends "x" and holds "z": "x" and "z" come out,
     * "y" is dead-lettered once with the encoder's reason.
     */
    @Test
    void aDocumentTheEncoderFailedGoesAloneAndItsNeighboursComeOut() throws Exception {
        try (OpsTestSupport.Harness<EncodedChunk, EmbeddingOut> h = harness(Pooling.MEAN, 1, true).open()) {
            h.process(first("S", true));
            EncodedChunk healthy = chunk("S", 5, 5, List.of(new DocSpan("x", 1, 5, 8, 0, 1, false, true),
                    new DocSpan("y", 7, 1, 1, 2, 1, true, true), new DocSpan("z", 9, 1, 1, 4, 1, true, true)),
                    List.of(new DocTopNext(1, TOP_X), new DocTopNext(9, TOP_Y)), true);
            h.process(new EncodedChunk("S", 5, 5, 2, healthy.features(), healthy.nll(), healthy.spans(),
                    healthy.topNext(), "fp", List.of(new DocFailure(7, "encoder: NaN"))));
            assertThat(h.drainOutput()).containsExactly(new EmbeddingOut("x", "S", 1, 5, new float[] {3, 30}, "fp"),
                    new EmbeddingOut("z", "S", 9, 1, new float[] {9, 90}, "fp"));
            assertThat(failures(h)).containsExactly(new DocumentFailure("y", "S", 7, 1, "encoder: NaN", "fp"));
            assertThat(predictions(h)).extracting(PredictionOut::id).containsExactly("x", "z");
        }
    }

    /** After a context restart at 7 the token there has no score: a one-token document there fails alone. */
    @Test
    void aDocumentWithNoScoredTokenFails() throws Exception {
        try (OpsTestSupport.Harness<EncodedChunk, EmbeddingOut> h = harness(Pooling.MEAN, 1, true).open()) {
            EncodedChunk restarted = chunk("S", 7, 3, List.of(new DocSpan("y", 7, 1, 1, 0, 1, true, true),
                    new DocSpan("z", 9, 1, 1, 2, 1, true, true)), List.of(new DocTopNext(7, TOP_Y),
                    new DocTopNext(9, TOP_X)), true);
            double[] nll = restarted.nll().clone();
            nll[0] = Double.NaN;
            h.process(new EncodedChunk("S", 7, 3, 2, restarted.features(), nll, restarted.spans(),
                    restarted.topNext(), "fp"));
            assertThat(h.drainOutput()).extracting(EmbeddingOut::id).containsExactly("z");
            assertThat(failures(h)).singleElement().satisfies(f -> {
                assertThat(f.id()).isEqualTo("y");
                assertThat(f.reason()).contains("could be scored");
            });
        }
    }

    private static List<DocumentFailure> failures(OpsTestSupport.Harness<EncodedChunk, EmbeddingOut> h) {
        var out = h.h().getSideOutput(DocumentHeads.FAILURES);
        return out == null ? List.of() : out.stream().map(StreamRecord::getValue).toList();
    }

    private static List<PredictionOut> predictions(OpsTestSupport.Harness<EncodedChunk, EmbeddingOut> h) {
        return h.h().getSideOutput(DocumentHeads.PREDICTIONS).stream().map(StreamRecord::getValue).toList();
    }
}
