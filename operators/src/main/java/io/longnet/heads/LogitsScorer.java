package io.longnet.heads;

import io.longnet.attention.Arrays2;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Per-token NLL and top-k from a logits tensor that stays in ND4J (native or device memory).
 *
 * <p>Notation: m = logits rows, V = vocabulary. Row r predicts the token that follows it, {@code next[r]}:
 * {@code nll[r] = (max_r - row_r[next[r]]) + ln sum_j exp(row_r[j] - max_r)}, the same formula as
 * {@link TokenScorer}. The [m, V] logits are never copied to Java: what crosses is m row maxima, m sums,
 * m target logits (one {@code getFloat} each) and only the rows asked for top-k.
 *
 * <p>The exponentials are summed by ND4J in float32 after subtracting the row maximum, so nothing
 * overflows; against {@link TokenScorer}'s double sums the NLL differs by a few 1e-6 nats at V = 100k.
 */
public final class LogitsScorer {

    /** {@code next[r]} value for a row whose following token is not known yet (the chunk's last row). */
    public static final int NO_TARGET = -1;

    /**
     * @param nll {@code [m]}; NaN where {@code next[r] == NO_TARGET}
     * @param topK row index to its k likeliest next tokens, best first, for the rows asked for
     */
    public record Scores(double[] nll, Map<Integer, TopToken[]> topK) {
    }

    private LogitsScorer() {
    }

    /**
     * Scores every row with a target and lists the top-k of the rows asked for.
     *
     * @param logits {@code [m, V]}; OVERWRITTEN (used as scratch for the exponentials), pass a tensor you own
     * @param next {@code [m]} token following each row, or {@link #NO_TARGET}
     * @param topKRows rows whose top-k is wanted, in [0, m)
     * @param k tokens per top-k list, in [1, V] when {@code topKRows} is not empty
     */
    public static Scores score(INDArray logits, int[] next, int[] topKRows, int k) {
        int m = checkShape(logits, next);
        int vocab = (int) logits.columns();
        float[] target = new float[m]; // [m]
        for (int r = 0; r < m; r++) {
            if (next[r] != NO_TARGET) {
                if (next[r] < 0 || next[r] >= vocab) {
                    throw new IllegalArgumentException("token id " + next[r] + " after logits row " + r
                            + " is outside the logits row of " + vocab + " entries");
                }
                target[r] = logits.getFloat(r, next[r]);
            }
        }
        Map<Integer, TopToken[]> topK = new LinkedHashMap<>();
        for (int r : topKRows) {
            if (r < 0 || r >= m) {
                throw new IllegalArgumentException("top-k row " + r + " is outside the " + m + " logits rows");
            }
            topK.put(r, TokenScorer.topK(logits.getRow(r).toFloatVector(), k)); // [V] copied, this row only
        }
        INDArray rowMax = logits.max(true, 1); // [m, 1]
        float[] max = Arrays2.rowMajor(rowMax); // [m]
        logits.subiColumnVector(rowMax); // [m, V], in place
        Transforms.exp(logits, false);
        float[] sum = Arrays2.rowMajor(logits.sum(1)); // [m], each >= 1 (the max term is exp(0))
        double[] nll = new double[m]; // [m]
        for (int r = 0; r < m; r++) {
            if (!(sum[r] >= 1f) || Float.isInfinite(sum[r]) || !Float.isFinite(max[r])) {
                throw new IllegalArgumentException("logits row " + r + " holds NaN or +Infinity or is all"
                        + " -Infinity (row max " + max[r] + ", shifted exp sum " + sum[r] + ")");
            }
            nll[r] = next[r] == NO_TARGET ? Double.NaN : ((double) max[r] - target[r]) + Math.log(sum[r]);
        }
        return new Scores(nll, topK);
    }

    private static int checkShape(INDArray logits, int[] next) {
        if (logits.rank() != 2 || logits.rows() != next.length) {
            throw new IllegalArgumentException("logits must be [m, V] with m = next.length (" + next.length
                    + "), got shape " + java.util.Arrays.toString(logits.shape()));
        }
        return next.length;
    }
}
