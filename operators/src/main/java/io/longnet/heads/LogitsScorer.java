package io.longnet.heads;

import io.longnet.compute.VectorMath;
import io.longnet.attention.Arrays2;
import io.longnet.compute.ComputeThreads;
import io.longnet.compute.ParallelLoop;
import java.util.LinkedHashMap;
import java.util.Map;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Per-token NLL and top-k from a logits tensor in ND4J's native memory, in one read of each row.
 *
 * <p>Notation: m = logits rows, V = vocabulary. Row r predicts the token that follows it, {@code next[r]}:
 * {@code nll[r] = ln sum_j exp(row_r[j]) - row_r[next[r]]}, the quantity {@link TokenScorer#nll} computes in
 * double. Each row that has a target or is asked for its top-k is copied once into a Java array and read
 * there twice (its maximum, then exp(x - max) summed in Java vectors): no softmax is written, so the logits
 * are left as they are, and a target far in the tail costs no precision (its logit is read, not its
 * probability). Rows are split across the compute threads. Against TokenScorer the NLL differs by a few 1e-6
 * nats at V = 100k (float32 exponentials, summed in double per block of {@link #SUM_BLOCK}).
 */
public final class LogitsScorer {

    /** {@code next[r]} value for a row whose following token is not known yet (the chunk's last row). */
    public static final int NO_TARGET = -1;

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Terms summed in float lanes before the block's sum joins the double total. */
    private static final int SUM_BLOCK = 1024;

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
     * @param logits {@code [m, V]} dense row-major float32; only read
     * @param next {@code [m]} token following each row, or {@link #NO_TARGET}
     * @param topKRows rows whose top-k is wanted, in [0, m)
     * @param k tokens per top-k list, in [1, V] when {@code topKRows} is not empty
     */
    public static Scores score(INDArray logits, int[] next, int[] topKRows, int k) {
        int m = checkShape(logits, next);
        int vocab = (int) logits.columns();
        for (int r = 0; r < m; r++) {
            if (next[r] != NO_TARGET && (next[r] < 0 || next[r] >= vocab)) {
                throw new IllegalArgumentException("token id " + next[r] + " after logits row " + r
                        + " is outside the logits row of " + vocab + " entries");
            }
        }
        boolean[] wantsTopK = new boolean[m]; // [m]
        for (int r : topKRows) {
            if (r < 0 || r >= m) {
                throw new IllegalArgumentException("top-k row " + r + " is outside the " + m + " logits rows");
            }
            wantsTopK[r] = true;
        }
        double[] nll = new double[m]; // [m]
        TopToken[][] tops = new TopToken[m][];
        ParallelLoop.forEachRange(m, ComputeThreads.get(), (from, to) -> {
            float[] row = new float[vocab]; // [V]
            for (int r = from; r < to; r++) {
                if (next[r] == NO_TARGET && !wantsTopK[r]) {
                    nll[r] = Double.NaN;
                    continue;
                }
                Arrays2.copyRow(logits, r, row); // m x V may exceed 2^31 values at large chunk sizes
                nll[r] = next[r] == NO_TARGET ? Double.NaN : nll(row, r, next[r]);
                if (wantsTopK[r]) {
                    tops[r] = TokenScorer.topK(row, k);
                }
            }
        });
        java.lang.ref.Reference.reachabilityFence(logits); // the row copies read its native memory
        Map<Integer, TopToken[]> topK = new LinkedHashMap<>();
        for (int r : topKRows) {
            topK.put(r, tops[r]);
        }
        return new Scores(nll, topK);
    }

    /** -ln softmax(row)[target], with (max - logit) first so that large logits keep their precision. */
    static double nll(float[] row, int r, int target) {
        float max = max(row);
        if (Float.isNaN(max) || max == Float.POSITIVE_INFINITY || max == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("logits row " + r + " holds NaN or +Infinity or is all -Infinity"
                    + " (its maximum is " + max + "), so no softmax of the target token " + target + " follows");
        }
        return ((double) max - row[target]) + Math.log(sumOfExpBelow(row, max));
    }

    /** The row's maximum; NaN if it holds a NaN. */
    private static float max(float[] row) {
        int lanes = S.length();
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (; j <= row.length - lanes; j += lanes) {
            acc = acc.max(FloatVector.fromArray(S, row, j)); // NaN-propagating, as Math.max
        }
        float max = acc.reduceLanes(VectorOperators.MAX);
        for (; j < row.length; j++) {
            max = Math.max(max, row[j]);
        }
        return max;
    }

    /** sum_j exp(row[j] - max), at least 1 (the max's own term). */
    private static double sumOfExpBelow(float[] row, float max) {
        int lanes = S.length();
        double total = 0;
        int j = 0;
        while (j <= row.length - lanes) {
            int blockEnd = Math.min(row.length - lanes, j + SUM_BLOCK - lanes);
            FloatVector block = FloatVector.zero(S);
            for (; j <= blockEnd; j += lanes) {
                block = block.add(VectorMath.exp(FloatVector.fromArray(S, row, j).sub(max)));
            }
            total += VectorMath.sum(block);
        }
        for (; j < row.length; j++) {
            total += Math.exp(row[j] - max);
        }
        return total;
    }

    private static int checkShape(INDArray logits, int[] next) {
        if (logits.rank() != 2 || logits.rows() != next.length) {
            throw new IllegalArgumentException("logits must be [m, V] with m = next.length (" + next.length
                    + "), got shape " + java.util.Arrays.toString(logits.shape()));
        }
        return next.length;
    }
}
