package io.longnet.heads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.longnet.text.DocSpan;
import java.util.List;
import org.junit.jupiter.api.Test;

class DocumentTrackerTest {

    // Stream: SEP a a a SEP b ; chunks [0, 3) and [3, 6). E = 1, feature of position p is p.
    private static final DocSpan A_FIRST = new DocSpan("a", 1, 3, 1, 2, true, false);
    private static final DocSpan A_REST = new DocSpan("a", 1, 3, 0, 1, false, true);
    private static final DocSpan B = new DocSpan("b", 5, 1, 2, 1, true, true);
    private static final java.util.function.Function<Long, String> NONE = first -> null;

    @Test
    void aDocumentSplitOverTwoChunksIsPooledOnce() {
        DocumentTracker.Step first = DocumentTracker.accept(null, null, Pooling.MEAN, 1, 0, List.of(A_FIRST),
                new float[] {0, 1, 2}, new double[] {Double.NaN, 1, 2}, NONE);
        assertThat(first.finished()).isEmpty();
        DocumentAccumulator open = DocumentAccumulator.fromBytes(first.stillOpen().toBytes());

        DocumentTracker.Step second = DocumentTracker.accept(null, open, Pooling.MEAN, 1, 3, List.of(A_REST, B),
                new float[] {3, 4, 5}, new double[] {3, 9, 7}, NONE);

        assertThat(second.stillOpen()).isNull();
        assertThat(second.finished()).containsExactly(
                new DocumentResult("a", 1, 3, new float[] {2}, 2.0, Math.exp(2.0)),
                new DocumentResult("b", 5, 1, new float[] {5}, 7.0, Math.exp(7.0)));
    }

    @Test
    void withoutNllTheScoresAreNaN() {
        DocumentTracker.Step step = DocumentTracker.accept(null, null, Pooling.LAST, 1, 3,
                List.of(new DocSpan("b", 5, 1, 2, 1, true, true)), new float[] {3, 4, 5}, null, NONE);
        assertThat(step.finished().get(0).embedding()).containsExactly(5f);
        assertThat(step.finished().get(0).meanNll()).isNaN();
    }

    @Test
    void aLostOrReorderedChunkFailsLoudly() {
        assertThatThrownBy(() -> DocumentTracker.accept(null, null, Pooling.MEAN, 1, 3, List.of(A_REST, B),
                new float[3], new double[3], NONE)).hasMessageContaining("no document is open");
        DocumentAccumulator open = DocumentTracker.accept(null, null, Pooling.MEAN, 1, 0, List.of(A_FIRST),
                new float[3], new double[] {Double.NaN, 1, 2}, NONE).stillOpen();
        assertThatThrownBy(() -> DocumentTracker.accept(null, open, Pooling.MEAN, 1, 3,
                List.of(new DocSpan("c", 4, 1, 1, 1, true, true)), new float[3], new double[3], NONE))
                .hasMessageContaining("document 'a' is still open");
    }
}
