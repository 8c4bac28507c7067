package io.longnet.heads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TokenScorerTest {

    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    @Test
    void nllOfEachTokenComesFromThePreviousRow() {
        float[] logits = { // [3, 2]
            2, 0,
            0, 2,
            5, 5};
        int[] tokens = {1, 0, 0};

        double[] nll = TokenScorer.nll(logits, 2, tokens);

        // ln(e^2 + 1) = 2.1269280110429727: token 0 under row [2, 0] costs 0.1269..., under [0, 2] 2.1269...
        assertThat(nll[0]).isNaN();
        assertThat(nll[1]).isCloseTo(0.1269280110429727, within(1e-15));
        assertThat(nll[2]).isCloseTo(2.1269280110429727, within(1e-15));
    }

    @Test
    void nllOfSingleRowsByHand() {
        float[] row = {1, 2, 3};

        // ln(e + e^2 + e^3) = 3.40760596444438
        assertThat(TokenScorer.logSumExp(row)).isCloseTo(3.40760596444438, within(1e-14));
        assertThat(TokenScorer.nll(row, 2)).isCloseTo(0.40760596444438013, within(1e-14));
        assertThat(TokenScorer.nll(row, 0)).isCloseTo(2.40760596444438, within(1e-14));
        assertThat(TokenScorer.nll(new float[] {7, 7, 7, 7}, 3)).isCloseTo(Math.log(4), within(1e-15));
    }

    @Test
    void nllIsStableForHugeAndMaskedLogits() {
        assertThat(TokenScorer.nll(new float[] {1000, 1000}, 0)).isCloseTo(0.6931471805599453, within(1e-15));
        assertThat(TokenScorer.nll(new float[] {-1000, 1000}, 0)).isCloseTo(2000.0, within(1e-12));
        assertThat(TokenScorer.nll(new float[] {-1000, 1000}, 1)).isEqualTo(0.0);
        assertThat(TokenScorer.nll(new float[] {0, NEG_INF}, 0)).isEqualTo(0.0);
        assertThat(TokenScorer.nll(new float[] {0, NEG_INF}, 1)).isEqualTo(Double.POSITIVE_INFINITY);
    }

    @Test
    void rowSourceAndRowMajorLogitsAgree() {
        Random random = new Random(7);
        int n = 9;
        int vocab = 1000;
        float[] logits = gaussian(random, n * vocab, 8f); // [n, vocab]
        int[] tokens = random.ints(n, 0, vocab).toArray();

        double[] fromFlat = TokenScorer.nll(logits, vocab, tokens);
        double[] fromRows = TokenScorer.nll(i -> Arrays.copyOfRange(logits, i * vocab, (i + 1) * vocab), tokens);

        assertThat(fromRows).containsExactly(fromFlat);
        for (int i = 1; i < n; i++) {
            assertThat(fromFlat[i]).isCloseTo(naiveNll(logits, (i - 1) * vocab, vocab, tokens[i]), within(1e-9));
        }
    }

    @Test
    void rejectsInvalidInput() {
        assertThatThrownBy(() -> TokenScorer.nll(new float[5], 2, new int[] {0, 1}))
                .hasMessageContainingAll("5 floats", "tokens (2)", "vocab (2)");
        assertThatThrownBy(() -> TokenScorer.nll(new float[4], 2, new int[] {0, 2}))
                .hasMessageContainingAll("token id 2", "chunk row 1", "2 entries");
        assertThatThrownBy(() -> TokenScorer.nll(new float[] {0, Float.NaN}, 0)).hasMessageContaining("NaN");
        assertThatThrownBy(() -> TokenScorer.nll(new float[] {Float.POSITIVE_INFINITY}, 0))
                .hasMessageContaining("Infinity");
        assertThatThrownBy(() -> TokenScorer.nll(new float[] {NEG_INF, NEG_INF}, 0)).hasMessageContaining("-Infinity");
        assertThatThrownBy(() -> TokenScorer.topK(new float[3], 4)).hasMessageContainingAll("top-k", "got 4");
        assertThatThrownBy(() -> TokenScorer.topK(new float[3], 0)).hasMessageContainingAll("top-k", "got 0");
    }

    @Test
    void topKByHandBreaksTiesByLowerId() {
        TopToken[] top = TokenScorer.topK(new float[] {1, 3, 2, 3}, 3);

        // S = e + e^2 + 2 e^3
        assertThat(top).extracting(TopToken::tokenId).containsExactly(1, 3, 2);
        assertThat(top[0].probability()).isCloseTo(0.39948630465030277, within(1e-15));
        assertThat(top[1].probability()).isCloseTo(0.39948630465030277, within(1e-15));
        assertThat(top[2].probability()).isCloseTo(0.14696279851039795, within(1e-15));
        assertThat(top[2].logit()).isEqualTo(2f);
        assertThat(TokenScorer.topK(new float[] {0f, -0f, 0f}, 3)).extracting(TopToken::tokenId)
                .containsExactly(0, 1, 2);
        assertThat(TokenScorer.topK(new float[] {3, 3}, 1)[0].tokenId()).isZero();
    }

    @Test
    void fastTopKMatchesTheReferenceOnRandomRows() {
        Random random = new Random(42);
        for (int trial = 0; trial < 2000; trial++) {
            int vocab = 1 + random.nextInt(300);
            int k = 1 + random.nextInt(Math.min(vocab, 40));
            float[] row = trial % 3 == 0 ? tiedRow(random, vocab) : randomRow(random, vocab, 1 + random.nextInt(20));
            assertSameTopK(row, k);
        }
    }

    @Test
    void fastTopKMatchesTheReferenceOnAFullCl100kRow() {
        Random random = new Random(3);
        float[] row = randomRow(random, 100277, 10f); // [V]

        assertSameTopK(row, 10);
        assertSameTopK(row, 1);
    }

    private static void assertSameTopK(float[] row, int k) {
        TopToken[] fast = TokenScorer.topK(row, k);
        TopToken[] reference = TokenScorer.topKReference(row, k);
        assertThat(fast).extracting(TopToken::tokenId).containsExactly(
                Arrays.stream(reference).map(TopToken::tokenId).toArray(Integer[]::new));
        for (int r = 0; r < k; r++) {
            assertThat(fast[r].probability()).isCloseTo(reference[r].probability(), within(1e-12));
        }
    }

    /** Gaussian logits with a few masked ids. */
    private static float[] randomRow(Random random, int length, float scale) {
        float[] row = gaussian(random, length, scale); // [length]
        for (int j = 0; j < length; j++) {
            row[j] = random.nextInt(50) == 0 ? NEG_INF : row[j];
        }
        row[random.nextInt(length)] = 0f; // never all masked
        return row;
    }

    /** Few distinct values, so ties decide the order. */
    private static float[] tiedRow(Random random, int length) {
        float[] row = new float[length]; // [length]
        for (int j = 0; j < length; j++) {
            row[j] = random.nextInt(4);
        }
        return row;
    }

    /** -ln(e^x_t / sum_j e^x_j) straight from the definition (fine for logits of a few tens). */
    private static double naiveNll(float[] data, int offset, int vocab, int token) {
        double sum = 0;
        for (int j = 0; j < vocab; j++) {
            sum += Math.exp(data[offset + j]);
        }
        return -Math.log(Math.exp(data[offset + token]) / sum);
    }

    private static float[] gaussian(Random random, int length, float scale) {
        float[] values = new float[length]; // [length]
        for (int j = 0; j < length; j++) {
            values[j] = (float) (random.nextGaussian() * scale);
        }
        return values;
    }
}
