package io.longnet.attention;

import io.longnet.model.Branch;
import io.longnet.model.DilationSchedule;
import java.util.ArrayList;
import java.util.List;

/**
 * The slow, obvious dilated attention of spec sections 2-3, in double precision: plain loops, no state, no
 * blocking, one (position, head) at a time.
 *
 * <p>xPos (optional): torchscale multiplies a query at t by zeta^(n/b) R(t) and a key at t' by
 * zeta^(-n'/b) R(t'), n - n' = t - t'. Per pair i their dot product is
 * zeta_i^((t - t') / b) (R(t) q)_i . (R(t') k)_i, which is what this class computes, with t and t'
 * relative to the segment (a rotation dot product depends on t - t' only). So it equals torchscale at
 * any stream position and any segment length, and its factors are all <= 1: always finite.
 *
 * <p>Notation: N positions, E = H * D; q, k, v, out rows are [E] with column h*D + d.
 */
public final class DilatedAttentionReference {

    /** The rows of q, k or v of a stream by stream position, each [E]. */
    @FunctionalInterface
    public interface Rows {
        double[] at(long position);
    }

    private DilatedAttentionReference() {
    }

    /** A whole sequence from position 0: q, k, v [N][E]; returns [N][E], 0 where no branch covers (p, h). */
    public static double[][] attend(double[][] q, double[][] k, double[][] v, int heads,
                                    DilationSchedule schedule, XPos xpos) {
        double[][] out = new double[q.length][];
        for (int p = 0; p < q.length; p++) {
            out[p] = attendAt(pos -> q[(int) pos], pos -> k[(int) pos], pos -> v[(int) pos], 0, p, heads,
                    schedule, xpos);
        }
        return out;
    }

    /**
     * The output [E] at stream position p of a stream whose first position is {@code start} (no keys before
     * it; a segment is cut short there, as the streaming state is when it starts at {@code start}).
     */
    public static double[] attendAt(Rows q, Rows k, Rows v, long start, long p, int heads,
                                    DilationSchedule schedule, XPos xpos) {
        int e = q.at(p).length;
        int d = e / heads;
        double[] out = new double[e];
        for (int h = 0; h < heads; h++) {
            List<BranchRow> covering = new ArrayList<>();
            for (int b = 0; b < schedule.size(); b++) {
                BranchRow r = attendOne(q, k, v, start, p, h, d, schedule.branch(b), schedule.offset(b, h, heads),
                        xpos);
                if (r != null) {
                    covering.add(r);
                }
            }
            mix(covering, out, h * d);
        }
        return out;
    }

    /** out = sum_i alpha_i O_i with alpha_i = exp(lse_i - M) / sum_j exp(lse_j - M) (spec section 3). */
    private static void mix(List<BranchRow> covering, double[] out, int column) {
        double m = Double.NEGATIVE_INFINITY;
        for (BranchRow r : covering) {
            m = Math.max(m, r.lse());
        }
        double denominator = 0;
        for (BranchRow r : covering) {
            denominator += Math.exp(r.lse() - m);
        }
        for (BranchRow r : covering) {
            double alpha = Math.exp(r.lse() - m) / denominator;
            for (int c = 0; c < r.out().length; c++) {
                out[column + c] += alpha * r.out()[c];
            }
        }
    }

    /** One branch's output and lse at (p, h), or null when the branch does not cover (p, h). */
    private static BranchRow attendOne(Rows q, Rows k, Rows v, long start, long p, int h, int d, Branch branch,
                                       int offset, XPos xpos) {
        int w = branch.segmentLength();
        int r = branch.dilatedRatio();
        long segmentStart = Math.floorDiv(p, w) * (long) w;
        long t = p - segmentStart;
        if (t < offset || (t - offset) % r != 0) {
            return null;
        }
        double[] qh = head(q.at(p), h, d);
        double scale = 1.0 / Math.sqrt(d);
        List<Long> keys = new ArrayList<>(); // local rows t' <= t on the head's grid, at or after start
        for (long tk = offset; tk <= t; tk += r) {
            if (segmentStart + tk >= start) {
                keys.add(tk);
            }
        }
        double[] logits = new double[keys.size()];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < keys.size(); j++) {
            long tk = keys.get(j);
            double[] kh = head(k.at(segmentStart + tk), h, d);
            logits[j] = logit(qh, kh, t, tk, xpos) * scale;
            max = Math.max(max, logits[j]);
        }
        double sum = 0;
        double[] o = new double[d];
        for (int j = 0; j < keys.size(); j++) {
            double[] vh = head(v.at(segmentStart + keys.get(j)), h, d);
            double pj = Math.exp(logits[j] - max);
            sum += pj;
            for (int c = 0; c < d; c++) {
                o[c] += pj * vh[c];
            }
        }
        for (int c = 0; c < d; c++) {
            o[c] /= sum;
        }
        return new BranchRow(o, max + Math.log(sum));
    }

    /** q . k, or with xPos sum_i zeta_i^((t - t') / b) (R(t) q)_i . (R(t') k)_i, t and t' local rows. */
    private static double logit(double[] q, double[] k, long t, long tk, XPos xpos) {
        if (xpos == null) {
            double dot = 0;
            for (int c = 0; c < q.length; c++) {
                dot += q[c] * k[c];
            }
            return dot;
        }
        double[] qr = xpos.rotated(q, t);
        double[] kr = xpos.rotated(k, tk);
        double dot = 0;
        for (int i = 0; i < q.length / 2; i++) {
            dot += xpos.scale(i, t - tk) * (qr[2 * i] * kr[2 * i] + qr[2 * i + 1] * kr[2 * i + 1]);
        }
        return dot;
    }

    private static double[] head(double[] row, int h, int d) {
        double[] x = new double[d];
        System.arraycopy(row, h * d, x, 0, d);
        return x;
    }

    record BranchRow(double[] out, double lse) {
    }
}
