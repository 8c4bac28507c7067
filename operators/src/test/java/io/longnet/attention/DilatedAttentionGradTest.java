package io.longnet.attention;

import static org.assertj.core.api.Assertions.assertThat;

import io.longnet.model.DilationSchedule;
import io.longnet.model.HeadOffsetRule;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DilatedAttentionGradTest {

    /** The reference backward against central finite differences of the reference forward, in double. */
    @Test
    void referenceBackwardIsTheDerivativeOfTheReferenceForward() {
        Random rnd = new Random(3);
        List<Object[]> cases = List.of(
                new Object[] {"several branches, r not dividing w", List.of(6, 10, 16), List.of(1, 4, 3), 4, 4,
                        30, 11, 0L},
                new Object[] {"uncovered heads (r > H), modulo offsets", List.of(5, 9), List.of(2, 6), 3, 2, 23, 7,
                        0L},
                new Object[] {"xPos far from 0", List.of(8, 16), List.of(1, 2), 2, 4, 26, 9, 3L << 40});
        for (Object[] c : cases) {
            @SuppressWarnings("unchecked")
            DilationSchedule schedule = DilationSchedule.of((List<Integer>) c[1], (List<Integer>) c[2],
                    c[0].toString().contains("modulo") ? HeadOffsetRule.MODULO : HeadOffsetRule.GROUPED);
            int heads = (int) c[3];
            int d = (int) c[4];
            int n = (int) c[5];
            int chunkStart = (int) c[6];
            long streamStart = (long) c[7];
            int e = heads * d;
            XPos xpos = c[0].toString().contains("xPos")
                    ? new XPos(DilatedAttentionTest.torchscaleZeta(d), 16) : null;
            double[][] q = DilatedAttentionTest.random(rnd, n, e);
            double[][] k = DilatedAttentionTest.random(rnd, n, e);
            double[][] v = DilatedAttentionTest.random(rnd, n, e);
            double[][] dOut = DilatedAttentionTest.random(rnd, n - chunkStart, e);
            DilatedAttentionGradReference.Grads g = DilatedAttentionGradReference.backward(q, k, v, streamStart,
                    chunkStart, dOut, heads, schedule, xpos);
            double[][][] inputs = {q, k, v};
            double[][][] grads = {g.dq(), g.dk(), g.dv()};
            double h = 1e-6;
            for (int trial = 0; trial < 60; trial++) {
                int which = trial % 3;
                int row = chunkStart + rnd.nextInt(n - chunkStart);
                int col = rnd.nextInt(e);
                double saved = inputs[which][row][col];
                inputs[which][row][col] = saved + h;
                double up = objective(q, k, v, streamStart, chunkStart, dOut, heads, schedule, xpos);
                inputs[which][row][col] = saved - h;
                double down = objective(q, k, v, streamStart, chunkStart, dOut, heads, schedule, xpos);
                inputs[which][row][col] = saved;
                double numeric = (up - down) / (2 * h);
                assertThat(grads[which][row - chunkStart][col]).as(c[0] + " d" + "qkv".charAt(which) + "[" + row
                        + "][" + col + "]").isCloseTo(numeric, org.assertj.core.data.Offset.offset(
                        1e-7 + 1e-6 * Math.abs(numeric)));
            }
        }
    }

    /** sum over chunk rows of dOut . out, out from the reference forward over the whole stream. */
    private static double objective(double[][] q, double[][] k, double[][] v, long streamStart, int chunkStart,
                                    double[][] dOut, int heads, DilationSchedule schedule, XPos xpos) {
        double sum = 0;
        for (int p = chunkStart; p < q.length; p++) {
            double[] out = DilatedAttentionReference.attendAt(pos -> q[(int) (pos - streamStart)],
                    pos -> k[(int) (pos - streamStart)], pos -> v[(int) (pos - streamStart)], streamStart,
                    streamStart + p, heads, schedule, xpos);
            for (int i = 0; i < out.length; i++) {
                sum += dOut[p - chunkStart][i] * out[i];
            }
        }
        return sum;
    }

    /** The vector backward against the reference on every schedule of the forward kernel's tests, chunked. */
    @Test
    void fastBackwardMatchesTheReferenceOnRandomSchedules() {
        Random rnd = new Random(5);
        for (DilatedAttentionTest.Case c : DilatedAttentionTest.cases()) {
            DilationSchedule schedule = DilationSchedule.of(c.w(), c.r(), c.rule());
            for (XPos xpos : new XPos[] {null, new XPos(DilatedAttentionTest.torchscaleZeta(c.headDim()), 16)}) {
                for (int chunkStart : new int[] {0, c.n() / 3}) {
                    long streamStart = xpos != null && chunkStart > 0 ? lcm(c.w()) * 4096L : 0;
                    checkAgainstReference(rnd, c.name() + (xpos == null ? "" : ", xPos") + ", chunk from "
                            + chunkStart, schedule, c.heads(), c.headDim(), c.n(), chunkStart, streamStart, xpos);
                }
            }
        }
    }

    @Test
    void fastBackwardOnLongSegmentsWithManyQueryBlocks() {
        Random rnd = new Random(9);
        DilationSchedule schedule = DilationSchedule.of(List.of(256, 1024), List.of(1, 8), HeadOffsetRule.GROUPED);
        XPos xpos = new XPos(DilatedAttentionTest.torchscaleZeta(64), 512);
        checkAgainstReference(rnd, "two long branches, xPos", schedule, 2, 64, 900, 300, 0, xpos);
        checkAgainstReference(rnd, "two long branches", schedule, 2, 64, 900, 517, 0, null);
    }

    private static long lcm(List<Integer> ws) {
        long l = 1;
        for (int w : ws) {
            l = l / gcd(l, w) * w;
        }
        return l;
    }

    private static long gcd(long a, long b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    private static void checkAgainstReference(Random rnd, String what, DilationSchedule schedule, int heads, int d,
                                              int n, int chunkStart, long streamStart, XPos xpos) {
        int e = heads * d;
        double[][] q = DilatedAttentionTest.random(rnd, n, e);
        double[][] k = DilatedAttentionTest.random(rnd, n, e);
        double[][] v = DilatedAttentionTest.random(rnd, n, e);
        double[][] dOut = DilatedAttentionTest.random(rnd, n - chunkStart, e);
        float[] qkv = DilatedAttentionTest.pack(q, k, v);
        DilatedAttention forward = new DilatedAttention(schedule, heads, d, xpos);
        AttentionState state = forward.newState();
        if (chunkStart > 0) {
            forward.attend(Arrays.copyOf(qkv, chunkStart * 3 * e), chunkStart, streamStart, state);
        }
        AttentionState.KeptRows prior = state.copyKept();
        int m = n - chunkStart;
        FloatBuffer chunk = FloatBuffer.wrap(Arrays.copyOfRange(qkv, chunkStart * 3 * e, n * 3 * e));
        double[] lse = new double[m * heads];
        float[] out = forward.attend(chunk, m, streamStart + chunkStart, state, lse);
        float[] dOutFlat = flatten(dOut);
        float[] dqkv = new DilatedAttentionGrad(schedule, heads, d, xpos).backward(chunk, m,
                streamStart + chunkStart, prior, out, lse, dOutFlat);
        DilatedAttentionGradReference.Grads expected = DilatedAttentionGradReference.backward(q, k, v, streamStart,
                chunkStart, dOut, heads, schedule, xpos);
        assertClose(what + " dq", dqkv, 0, e, expected.dq());
        assertClose(what + " dk", dqkv, e, e, expected.dk());
        assertClose(what + " dv", dqkv, 2 * e, e, expected.dv());
    }

    private static float[] flatten(double[][] x) {
        float[] out = new float[x.length * x[0].length];
        for (int p = 0; p < x.length; p++) {
            for (int i = 0; i < x[p].length; i++) {
                out[p * x[p].length + i] = (float) x[p][i];
            }
        }
        return out;
    }

    /** got[p * 3E + column + i] against expected[p][i], within 1e-4 of the largest expected entry. */
    private static void assertClose(String what, float[] got, int column, int e, double[][] expected) {
        double max = 0;
        for (double[] row : expected) {
            for (double x : row) {
                max = Math.max(max, Math.abs(x));
            }
        }
        assertThat(max).as(what + ": a gradient that is all zero checks nothing").isGreaterThan(0);
        List<String> bad = new ArrayList<>();
        for (int p = 0; p < expected.length; p++) {
            for (int i = 0; i < e; i++) {
                double g = got[p * 3 * e + column + i];
                if (!(Math.abs(g - expected[p][i]) <= 1e-4 * max + 1e-6) && bad.size() < 5) {
                    bad.add("[" + p + "," + i + "] got " + g + " expected " + expected[p][i]);
                }
            }
        }
        assertThat(bad).as(what).isEmpty();
    }
}
