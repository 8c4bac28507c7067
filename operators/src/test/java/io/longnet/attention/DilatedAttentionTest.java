package io.longnet.attention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.longnet.model.DilationSchedule;
import io.longnet.model.HeadOffsetRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class DilatedAttentionTest {

    @Test
    void headOffsetsFollowTorchscaleGroups() {
        assertThat(offsets(4, 2, HeadOffsetRule.GROUPED)).containsExactly(0, 0, 1, 1);
        assertThat(offsets(3, 2, HeadOffsetRule.GROUPED)).containsExactly(0, 0, 1);
        assertThat(offsets(6, 4, HeadOffsetRule.GROUPED)).containsExactly(0, 0, 1, 1, 2, 2);
        assertThat(offsets(2, 4, HeadOffsetRule.GROUPED)).containsExactly(0, 1);
        assertThat(offsets(6, 4, HeadOffsetRule.MODULO)).containsExactly(0, 1, 2, 3, 0, 1);
    }

    private static int[] offsets(int heads, int r, HeadOffsetRule rule) {
        return IntStream.range(0, heads).map(h -> rule.offset(h, heads, r)).toArray();
    }

    @Test
    void firstKeptRowIsTheNextRowOnTheHeadsGrid() {
        assertThat(DilatedAttention.firstKeptRow(0, 1, 3)).isEqualTo(1);
        assertThat(DilatedAttention.firstKeptRow(2, 1, 3)).isEqualTo(4);
        assertThat(DilatedAttention.firstKeptRow(4, 1, 3)).isEqualTo(4);
        assertThat(DilatedAttention.firstKeptRow(5, 0, 2)).isEqualTo(6);
    }

    record Case(String name, List<Integer> w, List<Integer> r, int heads, int headDim, int n, HeadOffsetRule rule) {
    }

    static List<Case> cases() {
        return List.of(
                new Case("several branches", List.of(4, 8, 16), List.of(1, 2, 4), 4, 4, 40, HeadOffsetRule.GROUPED),
                new Case("r does not divide w", List.of(6, 10), List.of(4, 3), 4, 4, 37, HeadOffsetRule.GROUPED),
                new Case("H not a multiple of r", List.of(8, 12), List.of(1, 4), 6, 2, 30, HeadOffsetRule.GROUPED),
                new Case("H < r", List.of(8, 16), List.of(2, 4), 2, 4, 33, HeadOffsetRule.GROUPED),
                new Case("shorter than w", List.of(64, 128), List.of(2, 4), 4, 4, 20, HeadOffsetRule.GROUPED),
                new Case("r > w", List.of(3, 5), List.of(4, 8), 8, 2, 21, HeadOffsetRule.GROUPED),
                new Case("paper's h mod r", List.of(4, 9), List.of(2, 3), 4, 4, 31, HeadOffsetRule.MODULO),
                new Case("long segment, query blocks", List.of(600), List.of(1), 2, 4, 700, HeadOffsetRule.GROUPED),
                new Case("head width 64: whole 4 x 4 tiles", List.of(130, 256), List.of(1, 3), 3, 64, 270,
                        HeadOffsetRule.GROUPED),
                new Case("head width 80: 4 x 4 and edge tiles", List.of(300), List.of(1), 2, 80, 333,
                        HeadOffsetRule.GROUPED));
    }

    @Test
    void fastKernelMatchesThePlainLoopReferenceOnRandomSchedules() {
        Random rnd = new Random(7);
        for (Case c : cases()) {
            DilationSchedule schedule = DilationSchedule.of(c.w(), c.r(), c.rule());
            int e = c.heads() * c.headDim();
            double[][] q = random(rnd, c.n(), e);
            double[][] k = random(rnd, c.n(), e);
            double[][] v = random(rnd, c.n(), e);
            for (XPos xpos : new XPos[] {null, new XPos(torchscaleZeta(c.headDim()), 16)}) {
                double[][] expected = DilatedAttentionReference.attend(q, k, v, c.heads(), schedule, xpos);
                DilatedAttention fast = new DilatedAttention(schedule, c.heads(), c.headDim(), xpos);
                float[] got = fast.attend(pack(q, k, v), c.n(), 0, fast.newState());
                assertClose(c.name() + (xpos == null ? "" : ", xPos"), got, expected, 2e-5);
            }
        }
    }

    @Test
    void anyChunkingEqualsOnePass() {
        Random rnd = new Random(11);
        for (Case c : cases()) {
            DilationSchedule schedule = DilationSchedule.of(c.w(), c.r(), c.rule());
            int e = c.heads() * c.headDim();
            float[] qkv = pack(random(rnd, c.n(), e), random(rnd, c.n(), e), random(rnd, c.n(), e));
            // with xPos, so that the kept keys are shown not to depend on the chunking
            DilatedAttention fast = new DilatedAttention(schedule, c.heads(), c.headDim(),
                    new XPos(torchscaleZeta(c.headDim()), 16));
            float[] whole = fast.attend(qkv, c.n(), 0, fast.newState());
            AttentionState state = fast.newState();
            long bound = schedule.maxKeptRowsPerLayer() * 2L * e;
            int pos = 0;
            while (pos < c.n()) {
                int len = Math.min(c.n() - pos, 1 + rnd.nextInt(9));
                float[] part = new float[len * 3 * e];
                System.arraycopy(qkv, pos * 3 * e, part, 0, part.length);
                float[] out = fast.attend(part, len, pos, state);
                for (int i = 0; i < len * e; i++) {
                    assertThat(out[i]).as("%s position %d", c.name(), pos + i / e)
                            .isCloseTo(whole[pos * e + i], org.assertj.core.data.Offset.offset(1e-5f));
                }
                assertThat(state.keptFloats()).as(c.name()).isLessThanOrEqualTo(bound);
                pos += len;
            }
        }
    }

    @Test
    void xposReferenceEqualsTorchscalesAbsolutePositionsAndTheKernelEqualsTheReference() {
        Random rnd = new Random(3);
        DilationSchedule schedule = DilationSchedule.of(List.of(8, 16), List.of(1, 2), HeadOffsetRule.GROUPED);
        int heads = 2;
        int d = 8;
        XPos xpos = new XPos(torchscaleZeta(d), 16); // a small base makes the scale matter within a few segments
        int n = 48;
        double[][] q = random(rnd, n, heads * d);
        double[][] k = random(rnd, n, heads * d);
        double[][] v = random(rnd, n, heads * d);
        double[][] expected = DilatedAttentionReference.attend(q, k, v, heads, schedule, xpos);
        // torchscale: rotation at the absolute position t, scale zeta^(+-(t - ceil(N / 2)) / b) on q and k
        double[][] qAbs = new double[n][];
        double[][] kAbs = new double[n][];
        for (int p = 0; p < n; p++) {
            qAbs[p] = torchscaleXpos(xpos, q[p], heads, d, p, p - Math.ceil(n / 2.0));
            kAbs[p] = torchscaleXpos(xpos, k[p], heads, d, p, -(p - Math.ceil(n / 2.0)));
        }
        double[][] torchscale = DilatedAttentionReference.attend(qAbs, kAbs, v, heads, schedule, null);
        for (int p = 0; p < n; p++) {
            for (int i = 0; i < heads * d; i++) {
                assertThat(expected[p][i]).isCloseTo(torchscale[p][i], org.assertj.core.data.Offset.offset(1e-12));
            }
        }
        DilatedAttention fast = new DilatedAttention(schedule, heads, d, xpos);
        assertClose("xpos", fast.attend(pack(q, k, v), n, 0, fast.newState()), expected, 5e-5);
    }

    static float[] torchscaleZeta(int d) {
        float[] zeta = new float[d / 2];
        for (int i = 0; i < zeta.length; i++) {
            zeta[i] = (float) ((2.0 * i + 0.4 * d) / (1.4 * d));
        }
        return zeta;
    }

    private static double[] torchscaleXpos(XPos xpos, double[] row, int heads, int d, double t, double n) {
        double[] out = new double[row.length];
        for (int h = 0; h < heads; h++) {
            double[] rotated = xpos.rotated(java.util.Arrays.copyOfRange(row, h * d, (h + 1) * d), t);
            for (int c = 0; c < d; c++) {
                out[h * d + c] = rotated[c] * xpos.scale(c / 2, n);
            }
        }
        return out;
    }

    @Test
    void xposIsFiniteAndExactAcrossASegmentOf2To17() {
        int heads = 2;
        int d = 8;
        int w = 1 << 17;
        DilationSchedule schedule = DilationSchedule.of(List.of(w), List.of(2048), HeadOffsetRule.GROUPED);
        XPos xpos = new XPos(torchscaleZeta(d), 512);
        int n = w + 4096;
        float[] qkv = randomQkv(new Random(17), n, heads * d);
        DilatedAttention fast = new DilatedAttention(schedule, heads, d, xpos);
        float[] got = fast.attend(qkv, n, 0, fast.newState());
        assertAllFinite(got);
        // rows 0, 1 (first kept rows), the last kept rows of segment 0, and the first of segment 1
        long[] positions = {0, 1, 2048, 2049, w - 2 * 2048, w - 2048, w - 2047, w, w + 1, w + 2048 + 1};
        assertMatchesReference(got, qkv, 0, 0, positions, heads, heads * d, schedule, xpos);
    }

    @Test
    void xposIsFiniteAndExactNearBothEndsOfASegmentOf2To30AtPosition2To40() {
        int heads = 2;
        int d = 8;
        int w = 1 << 30;
        int r = 1 << 16;
        DilationSchedule schedule = DilationSchedule.of(List.of(w), List.of(r), HeadOffsetRule.GROUPED);
        XPos xpos = new XPos(torchscaleZeta(d), 512);
        DilatedAttention fast = new DilatedAttention(schedule, heads, d, xpos);
        long segment = 1L << 40; // a segment start: 2^40 is a multiple of 2^30
        int n = 5 * r;
        Random rnd = new Random(30);
        // the start of the segment: a stream that begins at 2^40
        float[] head = randomKeptRows(rnd, n, heads * d, r);
        float[] got = fast.attend(head, n, segment, fast.newState());
        assertAllFinite(got);
        assertMatchesReference(got, head, segment, segment,
                new long[] {segment, segment + 1, segment + 3L * r, segment + 4L * r + 1}, heads, heads * d,
                schedule, xpos);
        // the end of the segment and the start of the next: a stream that begins 3 r before the boundary
        long start = segment + w - 3L * r;
        float[] tail = randomKeptRows(rnd, n, heads * d, r);
        got = fast.attend(tail, n, start, fast.newState());
        assertAllFinite(got);
        assertMatchesReference(got, tail, start, start,
                new long[] {start, start + 1, start + 2L * r, start + 2L * r + 1, segment + w, segment + w + r + 1},
                heads, heads * d, schedule, xpos);
    }

    private static float[] randomQkv(Random rnd, int n, int e) {
        float[] qkv = new float[n * 3 * e]; // [n, 3E]
        for (int i = 0; i < qkv.length; i++) {
            qkv[i] = (float) rnd.nextGaussian();
        }
        return qkv;
    }

    /** Random rows where some head keeps a row (chunk rows 0 and 1 mod r: offsets 0, 1); the others stay 0. */
    private static float[] randomKeptRows(Random rnd, int n, int e, int r) {
        float[] qkv = new float[n * 3 * e]; // [n, 3E]
        for (int row = 0; row < n; row++) {
            if (row % r < 2) {
                for (int i = 0; i < 3 * e; i++) {
                    qkv[row * 3 * e + i] = (float) rnd.nextGaussian();
                }
            }
        }
        return qkv;
    }

    private static void assertAllFinite(float[] out) {
        for (int i = 0; i < out.length; i++) {
            if (!Float.isFinite(out[i])) {
                throw new AssertionError("output " + i + " is " + out[i]);
            }
        }
    }

    /** The kernel's rows at the given stream positions equal the reference for a stream starting at start. */
    private static void assertMatchesReference(float[] got, float[] qkv, long first, long start, long[] positions,
                                               int heads, int e, DilationSchedule schedule, XPos xpos) {
        for (long p : positions) {
            double[] expected = DilatedAttentionReference.attendAt(pos -> part(qkv, pos - first, 0, e),
                    pos -> part(qkv, pos - first, 1, e), pos -> part(qkv, pos - first, 2, e), start, p, heads,
                    schedule, xpos);
            int row = (int) (p - first);
            assertClose("position " + p, java.util.Arrays.copyOfRange(got, row * e, (row + 1) * e),
                    new double[][] {expected}, 2e-5);
        }
    }

    /** q (part 0), k (1) or v (2) of chunk row {@code row}, [E]. */
    private static double[] part(float[] qkv, long row, int part, int e) {
        double[] x = new double[e];
        for (int i = 0; i < e; i++) {
            x[i] = qkv[(int) row * 3 * e + part * e + i];
        }
        return x;
    }

    @Test
    void appendingRowsBeyondTheSegmentBoundFails() {
        DilationSchedule schedule = DilationSchedule.of(List.of(4), List.of(2), HeadOffsetRule.GROUPED);
        AttentionState state = new AttentionState(schedule, 1, 2);
        float[] rows = new float[3 * 2]; // [3, 2]
        assertThatThrownBy(() -> state.append(0, 0, rows, rows))
                .hasMessageContaining("would keep 3 rows").hasMessageContaining("(2)");
    }

    static double[][] random(Random rnd, int n, int e) {
        double[][] x = new double[n][e];
        for (double[] row : x) {
            for (int i = 0; i < e; i++) {
                row[i] = (float) rnd.nextGaussian(); // float-representable, so both paths see the same inputs
            }
        }
        return x;
    }

    /** [n, 3E] row-major: q, k, v side by side, as the projection produces them. */
    static float[] pack(double[][] q, double[][] k, double[][] v) {
        int n = q.length;
        int e = q[0].length;
        float[] out = new float[n * 3 * e];
        for (int p = 0; p < n; p++) {
            for (int i = 0; i < e; i++) {
                out[p * 3 * e + i] = (float) q[p][i];
                out[p * 3 * e + e + i] = (float) k[p][i];
                out[p * 3 * e + 2 * e + i] = (float) v[p][i];
            }
        }
        return out;
    }

    static void assertClose(String what, float[] got, double[][] expected, double tol) {
        int e = expected[0].length;
        List<String> bad = new ArrayList<>();
        for (int p = 0; p < expected.length; p++) {
            for (int i = 0; i < e; i++) {
                double diff = Math.abs(got[p * e + i] - expected[p][i]);
                if (!(diff <= tol * (1 + Math.abs(expected[p][i]))) && bad.size() < 5) {
                    bad.add("[" + p + "," + i + "] got " + got[p * e + i] + " expected " + expected[p][i]);
                }
            }
        }
        assertThat(bad).as(what).isEmpty();
    }
}
