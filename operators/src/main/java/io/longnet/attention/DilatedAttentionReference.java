package io.longnet.attention;

import io.longnet.model.Branch;
import io.longnet.model.DilationSchedule;
import java.util.ArrayList;
import java.util.List;

/**
 * The slow, obvious dilated attention of spec sections 2-3, in double precision over a whole sequence:
 * plain loops, no state, no ND4J. xPos (optional) is applied the way torchscale does it, on absolute
 * positions centred on the sequence, to check that the fast path's segment-relative positions are exact.
 *
 * <p>Notation: N positions, E = H * D; q, k, v, out are [N][E] with column h*D + d.
 */
public final class DilatedAttentionReference {

    private DilatedAttentionReference() {
    }

    public static double[][] attend(double[][] q, double[][] k, double[][] v, int heads,
                                    DilationSchedule schedule, XPos xpos) {
        int n = q.length;
        int d = q[0].length / heads;
        double[][] out = new double[n][q[0].length]; // [N][E], 0 where no branch covers (p, h)
        for (int p = 0; p < n; p++) {
            for (int h = 0; h < heads; h++) {
                List<BranchRow> covering = new ArrayList<>();
                for (int b = 0; b < schedule.size(); b++) {
                    BranchRow r = attendOne(q, k, v, p, h, d, schedule.branch(b), schedule.offset(b, h, heads), xpos, n);
                    if (r != null) {
                        covering.add(r);
                    }
                }
                mix(covering, out[p], h * d);
            }
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
    static BranchRow attendOne(double[][] q, double[][] k, double[][] v, int p, int h, int d,
                               Branch branch, int offset, XPos xpos, int n) {
        int w = branch.segmentLength();
        int r = branch.dilatedRatio();
        int segmentStart = p / w * w;
        int t = p - segmentStart;
        if (t < offset || (t - offset) % r != 0) {
            return null;
        }
        double[] qh = headRow(q[p], h, d, xpos, p, n, false);
        double scale = 1.0 / Math.sqrt(d);
        int count = (t - offset) / r + 1;
        double[] logits = new double[count];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < count; j++) {
            int key = segmentStart + offset + j * r;
            double[] kh = headRow(k[key], h, d, xpos, key, n, true);
            double dot = 0;
            for (int c = 0; c < d; c++) {
                dot += qh[c] * kh[c];
            }
            logits[j] = dot * scale;
            max = Math.max(max, logits[j]);
        }
        double sum = 0;
        double[] o = new double[d];
        for (int j = 0; j < count; j++) {
            int key = segmentStart + offset + j * r;
            double pj = Math.exp(logits[j] - max);
            sum += pj;
            for (int c = 0; c < d; c++) {
                o[c] += pj * v[key][h * d + c];
            }
        }
        for (int c = 0; c < d; c++) {
            o[c] /= sum;
        }
        return new BranchRow(o, max + Math.log(sum));
    }

    private static double[] headRow(double[] row, int h, int d, XPos xpos, int position, int n, boolean key) {
        double[] x = new double[d];
        System.arraycopy(row, h * d, x, 0, d);
        if (xpos == null) {
            return x;
        }
        // torchscale: min_pos = -(N // 2 rounded towards -inf of -N), i.e. scale position = t - ceil(N / 2)
        double scalePosition = position - Math.ceil(n / 2.0);
        double[] y = new double[d];
        xpos.apply(x, y, position, scalePosition, key);
        return y;
    }

    record BranchRow(double[] out, double lse) {
    }
}
