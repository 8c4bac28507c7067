package io.longnet.heads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.longnet.text.DocSpan;
import java.util.List;
import org.junit.jupiter.api.Test;

class DocumentTrackerTest {

    // Stream: SEP a a a SEP b ; chunks [0, 3) and [3, 6). E = 1, feature of position p is p. Document a's text is
    // 5 UTF-8 bytes (say "né!": tokens of 1, 2 and 2 bytes), b's 1.
    private static final DocSpan A_FIRST = new DocSpan("a", 1, 3, 5, 1, 2, true, false);
    private static final DocSpan A_REST = new DocSpan("a", 1, 3, 5, 0, 1, false, true);
    private static final DocSpan B = new DocSpan("b", 5, 1, 1, 2, 1, true, true);
    private static final java.util.function.Function<Long, String> NONE = first -> null;
    private static final double LN_2 = Math.log(2);

    @Test
    void aDocumentSplitOverTwoChunksIsPooledOnce() {
        DocumentTracker.Step first = DocumentTracker.accept(null, null, Pooling.MEAN, 1, 0, List.of(A_FIRST),
                new float[] {0, 1, 2}, new double[] {Double.NaN, 1, 2}, NONE);
        assertThat(first.finished()).isEmpty();
        DocumentAccumulator open = DocumentAccumulator.fromBytes(first.stillOpen().toBytes());

        DocumentTracker.Step second = DocumentTracker.accept(null, open, Pooling.MEAN, 1, 3, List.of(A_REST, B),
                new float[] {3, 4, 5}, new double[] {3, 9, 7}, NONE);

        assertThat(second.stillOpen()).isNull();
        // a: the stream's first document; only the separator at 0 is unscored, a's NLLs 1 + 2 + 3 = 6 nats are
        // 6 / ln 2 = 8.656 bits over its 5 bytes. b: 7 nats = 10.099 bits over 1 byte.
        assertThat(second.finished()).containsExactly(
                new DocumentResult("a", 1, 3, new float[] {2}, 2.0, Math.exp(2.0), 6.0 / LN_2 / 5),
                new DocumentResult("b", 5, 1, new float[] {5}, 7.0, Math.exp(7.0), 7.0 / LN_2 / 1));
        assertThat(second.finished().get(0).bitsPerByte()).isCloseTo(1.731234049066756, within(1e-12));
    }

    /**
     * The stream's context restarted at position 3, inside document a (a model change): its token there has no
     * score. Its bytes are known only when every token is one byte.
     */
    @Test
    void anUnscoredTokenInsideADocumentLeavesBitsPerByteExactOnlyForOneBytePerToken() {
        for (int aBytes : new int[] {3, 5}) {
            DocSpan aFirst = new DocSpan("a", 1, 3, aBytes, 1, 2, true, false);
            DocSpan aRest = new DocSpan("a", 1, 3, aBytes, 0, 1, false, true);
            DocumentAccumulator open = DocumentTracker.accept(null, null, Pooling.MEAN, 1, 0, List.of(aFirst),
                    new float[] {0, 1, 2}, new double[] {Double.NaN, 1, 2}, NONE).stillOpen();

            DocumentResult a = DocumentTracker.accept(null, open, Pooling.MEAN, 1, 3, List.of(aRest, B),
                    new float[] {3, 4, 5}, new double[] {Double.NaN, 9, 7}, NONE).finished().get(0);

            assertThat(a.meanNll()).isEqualTo(1.5);
            if (aBytes == 3) {
                // one byte per token: the 2 scored tokens are 2 bytes, (1 + 2) / ln 2 / 2 bits per byte
                assertThat(a.bitsPerByte()).isEqualTo(3.0 / LN_2 / 2);
            } else {
                assertThat(a.bitsPerByte()).as("the unscored token's bytes are unknown").isNaN();
            }
        }
    }

    /** A document open in state of format 1 (no byte count) finishes without bits per byte; its neighbour has them. */
    @Test
    void aDocumentOpenInStateWithoutAByteCountHasNoBitsPerByte() {
        byte[] formatOne = DocumentAccumulatorTest.formatOne("a", 1, 3, Pooling.MEAN, new double[] {1}, 2, 3.0, 2);

        DocumentTracker.Step step = DocumentTracker.accept(null, DocumentAccumulator.fromBytes(formatOne),
                Pooling.MEAN, 1, 3, List.of(A_REST, B), new float[] {3, 4, 5}, new double[] {3, 9, 7}, NONE);

        assertThat(step.finished()).extracting(DocumentResult::docId).containsExactly("a", "b");
        assertThat(step.finished().get(0).meanNll()).isEqualTo(2.0);
        assertThat(step.finished().get(0).bitsPerByte()).isNaN();
        assertThat(step.finished().get(1).bitsPerByte()).isEqualTo(7.0 / LN_2);
    }

    @Test
    void withoutNllTheScoresAreNaN() {
        DocumentTracker.Step step = DocumentTracker.accept(null, null, Pooling.LAST, 1, 3,
                List.of(new DocSpan("b", 5, 1, 1, 2, 1, true, true)), new float[] {3, 4, 5}, null, NONE);
        assertThat(step.finished().get(0).embedding()).containsExactly(5f);
        assertThat(step.finished().get(0).meanNll()).isNaN();
        assertThat(step.finished().get(0).bitsPerByte()).isNaN();
    }

    @Test
    void aLostOrReorderedChunkFailsLoudly() {
        assertThatThrownBy(() -> DocumentTracker.accept(null, null, Pooling.MEAN, 1, 3, List.of(A_REST, B),
                new float[3], new double[3], NONE)).hasMessageContaining("no document is open");
        DocumentAccumulator open = DocumentTracker.accept(null, null, Pooling.MEAN, 1, 0, List.of(A_FIRST),
                new float[3], new double[] {Double.NaN, 1, 2}, NONE).stillOpen();
        assertThatThrownBy(() -> DocumentTracker.accept(null, open, Pooling.MEAN, 1, 3,
                List.of(new DocSpan("c", 4, 1, 1, 1, 1, true, true)), new float[3], new double[3], NONE))
                .hasMessageContaining("document 'a' is still open");
    }
}
