package io.longnet.heads;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Per-token NLL and top-k from a logits tensor that stays in ND4J (native or device memory).
 *
 * <p>Notation: m = logits rows, V = vocabulary. Row r predicts the token that follows it, {@code next[r]}:
 * {@code nll[r] = -ln softmax(row_r)[next[r]]}, the quantity {@link TokenScorer#nll} computes in double.
 * ND4J's fused softmax (one native op, the row maximum subtracted first, so nothing overflows) replaces the
 * logits in place; what crosses to Java is one probability per row and the rows asked for top-k, copied
 * before. The [m, V] logits are never copied whole.
 *
 * <p>Where the target's probability underflows float32 (its logit more than about 87 nats below the row's
 * log-sum-exp), {@code -ln p} would be wrong. Then the row's log-sum-exp is recovered from its likeliest
 * token, whose probability never underflows (it is at least 1/V): {@code lse = logit(top) - ln p(top)}, with
 * both logits recomputed exactly by the caller, and {@code nll = lse - logit(next)}. Against TokenScorer the
 * NLL differs by a few 1e-6 nats at V = 100k (float32 sums).
 */
public final class LogitsScorer {

    /** {@code next[r]} value for a row whose following token is not known yet (the chunk's last row). */
    public static final int NO_TARGET = -1;

    /** Below this a float32 probability has lost precision to underflow (normal floats end at 1.2e-38). */
    static final float SMALLEST_TRUSTED_PROBABILITY = 1e-30f;

    /**
     * @param nll {@code [m]}; NaN where {@code next[r] == NO_TARGET}
     * @param topK row index to its k likeliest next tokens, best first, for the rows asked for
     */
    public record Scores(double[] nll, Map<Integer, TopToken[]> topK) {
    }

    /** The logit of one token for one row, computed exactly (double) from the features and the weights. */
    @FunctionalInterface
    public interface ExactLogit {
        double of(int row, int tokenId);
    }

    private LogitsScorer() {
    }

    /**
     * Scores every row with a target and lists the top-k of the rows asked for.
     *
     * @param logits {@code [m, V]}; OVERWRITTEN (replaced by its softmax), pass a tensor you own
     * @param next {@code [m]} token following each row, or {@link #NO_TARGET}
     * @param topKRows rows whose top-k is wanted, in [0, m)
     * @param k tokens per top-k list, in [1, V] when {@code topKRows} is not empty
     * @param exactLogit the logits' own values, recomputed: used only for rows whose target probability underflows
     */
    public static Scores score(INDArray logits, int[] next, int[] topKRows, int k, ExactLogit exactLogit) {
        int m = checkShape(logits, next);
        int vocab = (int) logits.columns();
        for (int r = 0; r < m; r++) {
            if (next[r] != NO_TARGET && (next[r] < 0 || next[r] >= vocab)) {
                throw new IllegalArgumentException("token id " + next[r] + " after logits row " + r
                        + " is outside the logits row of " + vocab + " entries");
            }
        }
        Map<Integer, TopToken[]> topK = new LinkedHashMap<>();
        for (int r : topKRows) {
            if (r < 0 || r >= m) {
                throw new IllegalArgumentException("top-k row " + r + " is outside the " + m + " logits rows");
            }
            topK.put(r, TokenScorer.topK(logits.getRow(r).toFloatVector(), k)); // [V] copied, this row only
        }
        Nd4j.exec(new SoftMax(logits, logits, 1)); // [m, V], in place
        double[] nll = new double[m]; // [m]
        for (int r = 0; r < m; r++) {
            nll[r] = next[r] == NO_TARGET ? Double.NaN : nll(logits, r, next[r], exactLogit);
        }
        return new Scores(nll, topK);
    }

    private static double nll(INDArray probabilities, int r, int target, ExactLogit exactLogit) {
        float p = probabilities.getFloat(r, target);
        if (!(p >= 0f && p <= 1f)) {
            throw new IllegalArgumentException("logits row " + r + " holds NaN or +Infinity or is all -Infinity"
                    + " (softmax of the target token " + target + " is " + p + ")");
        }
        if (p >= SMALLEST_TRUSTED_PROBABILITY) {
            return -Math.log(p);
        }
        INDArray row = probabilities.getRow(r); // [V] view
        int top = row.argMax().getInt(0);
        double logSumExp = exactLogit.of(r, top) - Math.log(row.getFloat(top));
        return logSumExp - exactLogit.of(r, target);
    }

    private static int checkShape(INDArray logits, int[] next) {
        if (logits.rank() != 2 || logits.rows() != next.length) {
            throw new IllegalArgumentException("logits must be [m, V] with m = next.length (" + next.length
                    + "), got shape " + java.util.Arrays.toString(logits.shape()));
        }
        return next.length;
    }
}
