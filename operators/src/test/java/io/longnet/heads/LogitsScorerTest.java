package io.longnet.heads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.longnet.attention.Arrays2;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class LogitsScorerTest {

    @Test
    void matchesTokenScorerOnRandomLogits() {
        Random random = new Random(5);
        for (int vocab : new int[] {3, 257, 100_277}) {
            int m = 1 + random.nextInt(6);
            float[] logits = new float[m * vocab]; // [m, V]
            float scale = random.nextBoolean() ? 3f : 40f;
            for (int j = 0; j < logits.length; j++) {
                logits[j] = (float) (random.nextGaussian() * scale) + (j % vocab == 0 ? 500f : 0f);
            }
            int[] next = new int[m]; // [m]
            for (int r = 0; r < m; r++) {
                next[r] = r == m - 1 ? LogitsScorer.NO_TARGET : random.nextInt(vocab);
            }
            int k = Math.min(5, vocab);
            int[] topRows = {m - 1, 0};

            INDArray tensor = Arrays2.matrix(logits, m, vocab);
            LogitsScorer.Scores scores = LogitsScorer.score(tensor, next, topRows, k);
            assertThat(java.util.Arrays.equals(Arrays2.rowMajor(tensor), logits)).as("the logits are only read").isTrue();

            for (int r = 0; r < m; r++) {
                float[] row = java.util.Arrays.copyOfRange(logits, r * vocab, (r + 1) * vocab); // [V]
                if (next[r] == LogitsScorer.NO_TARGET) {
                    assertThat(scores.nll()[r]).isNaN();
                } else {
                    assertThat(scores.nll()[r]).as("V=%d row %d", vocab, r)
                            .isCloseTo(TokenScorer.nll(row, next[r]), within(2e-5));
                }
                if (r == 0 || r == m - 1) {
                    assertThat(scores.topK().get(r)).containsExactly(TokenScorer.topKReference(row, k));
                }
            }
            assertThat(scores.topK()).containsOnlyKeys(0, m - 1);
        }
    }

    @Test
    void aTargetWhoseProbabilityUnderflowsFloat32IsScoredExactly() {
        float[] logits = {0f, 95f, 120f, -300f}; // [1, 4]: softmax of tokens 0 and 3 underflows float32
        for (int target : new int[] {0, 3}) {
            LogitsScorer.Scores scores = LogitsScorer.score(Arrays2.matrix(logits.clone(), 1, 4), new int[] {target},
                    new int[0], 1);

            assertThat(scores.nll()[0]).as("target %d", target)
                    .isCloseTo(TokenScorer.nll(logits, target), within(1e-9 * Math.abs(TokenScorer.nll(logits, target))));
        }
        LogitsScorer.Scores ordinary = LogitsScorer.score(Arrays2.matrix(logits.clone(), 1, 4), new int[] {1},
                new int[0], 1);
        assertThat(ordinary.nll()[0]).isCloseTo(TokenScorer.nll(logits, 1), within(1e-6));
    }

    @Test
    void rejectsNonFiniteRowsAndOutOfRangeTargets() {
        INDArray nan = Arrays2.matrix(new float[] {0, Float.NaN, 1}, 1, 3);
        assertThatThrownBy(() -> LogitsScorer.score(nan, new int[] {0}, new int[0], 1))
                .hasMessageContaining("logits row 0");
        INDArray inf = Arrays2.matrix(new float[] {0, Float.POSITIVE_INFINITY, 1}, 1, 3);
        assertThatThrownBy(() -> LogitsScorer.score(inf, new int[] {0}, new int[0], 1))
                .hasMessageContaining("logits row 0");
        INDArray allMinusInfinity = Arrays2.matrix(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, 1, 2);
        assertThatThrownBy(() -> LogitsScorer.score(allMinusInfinity, new int[] {1}, new int[0], 1))
                .hasMessageContaining("logits row 0");
        INDArray ok = Arrays2.matrix(new float[] {0, 1, 2}, 1, 3);
        assertThatThrownBy(() -> LogitsScorer.score(ok, new int[] {3}, new int[0], 1))
                .hasMessageContaining("token id 3");
    }
}
