package io.longnet.attention;

import io.longnet.model.Branch;
import io.longnet.model.DilationSchedule;
import java.util.ArrayList;
import java.util.List;

/**
 * The slow, obvious backward pass of dilated attention, in double precision: for each (position, head), every key
 * its covering branches show it forms one softmax (spec section 3: the lse-weighted mixture is exactly that), so
 * the gradient is plain softmax attention's over that list of keys, one (position, head) at a time.
 *
 * <p>Rows are indexed from the stream's first position {@code streamStart} (a multiple of every w); rows before
 * {@code chunkStart} are the stream's earlier chunks: they are keys, but constants (no gradient).
 */
public final class DilatedAttentionGradReference {

    /** dq, dk, dv of the chunk's rows, each [chunk rows][E]. */
    public record Grads(double[][] dq, double[][] dk, double[][] dv) {
    }

    private DilatedAttentionGradReference() {
    }

    /**
     * The gradient of sum over chunk rows p of dOut[p] . out[p] with respect to the chunk's q, k, v.
     *
     * @param q, k, v    [N][E] rows of stream positions streamStart + index
     * @param chunkStart index of the chunk's first row; rows before it are constants
     * @param dOut       [N - chunkStart][E]
     */
    public static Grads backward(double[][] q, double[][] k, double[][] v, long streamStart, int chunkStart,
                                 double[][] dOut, int heads, DilationSchedule schedule, XPos xpos) {
        int n = q.length - chunkStart;
        int e = q[0].length;
        int d = e / heads;
        Grads g = new Grads(new double[n][e], new double[n][e], new double[n][e]);
        for (int p = chunkStart; p < q.length; p++) {
            for (int h = 0; h < heads; h++) {
                backwardAt(q, k, v, streamStart, chunkStart, p, h, d, dOut[p - chunkStart], heads, schedule, xpos,
                        g);
            }
        }
        return g;
    }

    /** One visible key of (p, h): its row index, local rows of query and key, and scaled logit. */
    private record Key(int row, long t, long tk, double logit) {
    }

    private static void backwardAt(double[][] q, double[][] k, double[][] v, long streamStart, int chunkStart,
                                   int p, int h, int d, double[] dOut, int heads, DilationSchedule schedule,
                                   XPos xpos, Grads g) {
        long position = streamStart + p;
        double scale = 1.0 / Math.sqrt(d);
        List<Key> keys = new ArrayList<>();
        for (int b = 0; b < schedule.size(); b++) {
            Branch branch = schedule.branch(b);
            int offset = schedule.offset(b, h, heads);
            long segmentStart = Math.floorDiv(position, branch.segmentLength()) * (long) branch.segmentLength();
            long t = position - segmentStart;
            if (t < offset || (t - offset) % branch.dilatedRatio() != 0) {
                continue;
            }
            for (long tk = offset; tk <= t; tk += branch.dilatedRatio()) {
                int row = (int) (segmentStart + tk - streamStart);
                if (row >= 0) {
                    keys.add(new Key(row, t, tk, scale * dot(slice(q[p], h, d), slice(k[row], h, d), t, tk, xpos)));
                }
            }
        }
        if (keys.isEmpty()) {
            return; // out = 0 whatever q, k, v: no gradient
        }
        double max = Double.NEGATIVE_INFINITY;
        for (Key key : keys) {
            max = Math.max(max, key.logit());
        }
        double sum = 0;
        for (Key key : keys) {
            sum += Math.exp(key.logit() - max);
        }
        double lse = max + Math.log(sum);
        double[] out = new double[d];
        for (Key key : keys) {
            double prob = Math.exp(key.logit() - lse);
            for (int c = 0; c < d; c++) {
                out[c] += prob * v[key.row()][h * d + c];
            }
        }
        double outDot = 0;
        for (int c = 0; c < d; c++) {
            outDot += dOut[h * d + c] * out[c];
        }
        for (Key key : keys) {
            double prob = Math.exp(key.logit() - lse);
            double dProb = 0;
            for (int c = 0; c < d; c++) {
                dProb += dOut[h * d + c] * v[key.row()][h * d + c];
            }
            double dLogit = prob * (dProb - outDot) * scale;
            double[] dq = logitGrad(slice(k[key.row()], h, d), key.tk(), key.t(), key.t() - key.tk(), xpos);
            add(g.dq()[p - chunkStart], h * d, dq, dLogit);
            if (key.row() >= chunkStart) {
                double[] dk = logitGrad(slice(q[p], h, d), key.t(), key.tk(), key.t() - key.tk(), xpos);
                add(g.dk()[key.row() - chunkStart], h * d, dk, dLogit);
                add(g.dv()[key.row() - chunkStart], h * d, slice(dOut, h, d), prob);
            }
        }
    }

    /** q . k, or with xPos sum_i zeta_i^((t - tk) / b) (R(t) q)_i . (R(tk) k)_i. */
    private static double dot(double[] q, double[] k, long t, long tk, XPos xpos) {
        if (xpos == null) {
            double s = 0;
            for (int c = 0; c < q.length; c++) {
                s += q[c] * k[c];
            }
            return s;
        }
        double[] qr = xpos.rotated(q, t);
        double[] kr = xpos.rotated(k, tk);
        double s = 0;
        for (int i = 0; i < q.length / 2; i++) {
            s += xpos.scale(i, t - tk) * (qr[2 * i] * kr[2 * i] + qr[2 * i + 1] * kr[2 * i + 1]);
        }
        return s;
    }

    /**
     * The derivative of {@link #dot} with respect to one side x at rotation position tx, the other side being
     * {@code other} at rotation position tOther: R(tx)^T (zeta^(distance / b) . R(tOther) other); without xPos just
     * other.
     */
    private static double[] logitGrad(double[] other, long tOther, long tx, long distance, XPos xpos) {
        if (xpos == null) {
            return other;
        }
        double[] rotated = xpos.rotated(other, tOther);
        for (int i = 0; i < rotated.length / 2; i++) {
            double s = xpos.scale(i, distance);
            rotated[2 * i] *= s;
            rotated[2 * i + 1] *= s;
        }
        return xpos.rotated(rotated, -tx);
    }

    private static double[] slice(double[] row, int h, int d) {
        double[] x = new double[d];
        System.arraycopy(row, h * d, x, 0, d);
        return x;
    }

    private static void add(double[] target, int column, double[] x, double factor) {
        for (int c = 0; c < x.length; c++) {
            target[column + c] += factor * x[c];
        }
    }
}
