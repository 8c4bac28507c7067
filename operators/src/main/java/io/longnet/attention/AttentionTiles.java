package io.longnet.attention;

import io.longnet.compute.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector micro-kernels of {@link DilatedAttention}: score tiles Q K^T against key panels, the online
 * softmax's exponentials, and P V tiles. Tiles are 4 query rows by 4 vectors (L = {@link KeyPanels#LANES}
 * lanes), small enough that their 16 accumulators stay in registers; edges fall back to 4 rows by 1 vector.
 */
final class AttentionTiles {

    /** Query rows per tile: callers pad query blocks to a multiple of this. */
    static final int ROWS = 4;

    private static final VectorSpecies<Float> S = KeyPanels.SPECIES;
    private static final int L = KeyPanels.LANES;

    private AttentionTiles() {
    }

    /**
     * Scores of 4 query rows against {@code panels} key panels from {@code panel0}: s[r][p * L + lane] = q[r] . key.
     *
     * @param q  query rows [4][D] from qOff
     * @param kp key panels [*][D][L]
     * @param s  score rows from sOff, row stride sStride
     */
    static void scores(float[] q, int qOff, int d, float[] kp, int panel0, int panels, float[] s, int sOff,
                       int sStride) {
        int p = 0;
        for (; p + 4 <= panels; p += 4) {
            scores4x4(q, qOff, d, kp, (panel0 + p) * d * L, s, sOff + p * L, sStride);
        }
        for (; p < panels; p++) {
            scores4x1(q, qOff, d, kp, (panel0 + p) * d * L, s, sOff + p * L, sStride);
        }
    }

    private static void scores4x4(float[] q, int qOff, int d, float[] kp, int kOff, float[] s, int sOff,
                                  int sStride) {
        FloatVector a00 = FloatVector.zero(S);
        FloatVector a01 = a00;
        FloatVector a02 = a00;
        FloatVector a03 = a00;
        FloatVector a10 = a00;
        FloatVector a11 = a00;
        FloatVector a12 = a00;
        FloatVector a13 = a00;
        FloatVector a20 = a00;
        FloatVector a21 = a00;
        FloatVector a22 = a00;
        FloatVector a23 = a00;
        FloatVector a30 = a00;
        FloatVector a31 = a00;
        FloatVector a32 = a00;
        FloatVector a33 = a00;
        int panel = d * L;
        for (int c = 0; c < d; c++) {
            int k = kOff + c * L;
            FloatVector k0 = FloatVector.fromArray(S, kp, k);
            FloatVector k1 = FloatVector.fromArray(S, kp, k + panel);
            FloatVector k2 = FloatVector.fromArray(S, kp, k + 2 * panel);
            FloatVector k3 = FloatVector.fromArray(S, kp, k + 3 * panel);
            FloatVector q0 = FloatVector.broadcast(S, q[qOff + c]);
            a00 = k0.fma(q0, a00);
            a01 = k1.fma(q0, a01);
            a02 = k2.fma(q0, a02);
            a03 = k3.fma(q0, a03);
            FloatVector q1 = FloatVector.broadcast(S, q[qOff + d + c]);
            a10 = k0.fma(q1, a10);
            a11 = k1.fma(q1, a11);
            a12 = k2.fma(q1, a12);
            a13 = k3.fma(q1, a13);
            FloatVector q2 = FloatVector.broadcast(S, q[qOff + 2 * d + c]);
            a20 = k0.fma(q2, a20);
            a21 = k1.fma(q2, a21);
            a22 = k2.fma(q2, a22);
            a23 = k3.fma(q2, a23);
            FloatVector q3 = FloatVector.broadcast(S, q[qOff + 3 * d + c]);
            a30 = k0.fma(q3, a30);
            a31 = k1.fma(q3, a31);
            a32 = k2.fma(q3, a32);
            a33 = k3.fma(q3, a33);
        }
        store4(s, sOff, a00, a01, a02, a03);
        store4(s, sOff + sStride, a10, a11, a12, a13);
        store4(s, sOff + 2 * sStride, a20, a21, a22, a23);
        store4(s, sOff + 3 * sStride, a30, a31, a32, a33);
    }

    private static void store4(float[] s, int off, FloatVector v0, FloatVector v1, FloatVector v2, FloatVector v3) {
        v0.intoArray(s, off);
        v1.intoArray(s, off + L);
        v2.intoArray(s, off + 2 * L);
        v3.intoArray(s, off + 3 * L);
    }

    private static void scores4x1(float[] q, int qOff, int d, float[] kp, int kOff, float[] s, int sOff,
                                  int sStride) {
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int c = 0; c < d; c++) {
            FloatVector k = FloatVector.fromArray(S, kp, kOff + c * L);
            a0 = k.fma(FloatVector.broadcast(S, q[qOff + c]), a0);
            a1 = k.fma(FloatVector.broadcast(S, q[qOff + d + c]), a1);
            a2 = k.fma(FloatVector.broadcast(S, q[qOff + 2 * d + c]), a2);
            a3 = k.fma(FloatVector.broadcast(S, q[qOff + 3 * d + c]), a3);
        }
        a0.intoArray(s, sOff);
        a1.intoArray(s, sOff + sStride);
        a2.intoArray(s, sOff + 2 * sStride);
        a3.intoArray(s, sOff + 3 * sStride);
    }

    /** max of s[off .. off + count), count >= 1 a multiple of L. */
    static float max(float[] s, int off, int count) {
        FloatVector m = FloatVector.fromArray(S, s, off);
        for (int j = L; j < count; j += L) {
            m = m.max(FloatVector.fromArray(S, s, off + j));
        }
        return m.reduceLanes(VectorOperators.MAX);
    }

    /**
     * Replaces s[off + j] by exp(s[off + j] - max) for j < count, a multiple of L; returns their sum.
     */
    static float exponentiate(float[] s, int off, int count, float max) {
        FloatVector sum = FloatVector.zero(S);
        for (int j = 0; j < count; j += L) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, s, off + j).sub(max));
            e.intoArray(s, off + j);
            sum = sum.add(e);
        }
        return VectorMath.sum(sum);
    }

    /**
     * The softmax's backward for one row: ds[off + j] = p[off + j] (ds[off + j] - dot) for j < count, a multiple
     * of L, where ds held dP = dO . v and dot = dO . out.
     */
    static void softmaxGrad(float[] p, float[] ds, int off, int count, float dot) {
        for (int j = 0; j < count; j += L) {
            FloatVector probs = FloatVector.fromArray(S, p, off + j);
            probs.mul(FloatVector.fromArray(S, ds, off + j).sub(dot)).intoArray(ds, off + j);
        }
    }

    /** x[off .. off + n) *= factor, n a multiple of L. */
    static void scale(float[] x, int off, int n, float factor) {
        for (int j = 0; j < n; j += L) {
            FloatVector.fromArray(S, x, off + j).mul(factor).intoArray(x, off + j);
        }
    }

    /**
     * o[r][..dp) += sum over j < count of p[r][j] v[j][..dp) for the 4 rows r of a tile.
     *
     * @param p  probability rows from pOff, row stride pStride
     * @param v  value rows [*][Dp] from row vRow
     * @param o  output rows [4][Dp] from oOff
     */
    static void accumulate(float[] p, int pOff, int pStride, int count, float[] v, int vRow, int dp, float[] o,
                           int oOff) {
        int col = 0;
        for (; col + 4 * L <= dp; col += 4 * L) {
            accumulate4x4(p, pOff, pStride, count, v, vRow * dp + col, dp, o, oOff + col);
        }
        for (; col < dp; col += L) {
            accumulate4x1(p, pOff, pStride, count, v, vRow * dp + col, dp, o, oOff + col);
        }
    }

    private static void accumulate4x4(float[] p, int pOff, int pStride, int count, float[] v, int vOff, int dp,
                                      float[] o, int oOff) {
        FloatVector a00 = FloatVector.fromArray(S, o, oOff);
        FloatVector a01 = FloatVector.fromArray(S, o, oOff + L);
        FloatVector a02 = FloatVector.fromArray(S, o, oOff + 2 * L);
        FloatVector a03 = FloatVector.fromArray(S, o, oOff + 3 * L);
        FloatVector a10 = FloatVector.fromArray(S, o, oOff + dp);
        FloatVector a11 = FloatVector.fromArray(S, o, oOff + dp + L);
        FloatVector a12 = FloatVector.fromArray(S, o, oOff + dp + 2 * L);
        FloatVector a13 = FloatVector.fromArray(S, o, oOff + dp + 3 * L);
        FloatVector a20 = FloatVector.fromArray(S, o, oOff + 2 * dp);
        FloatVector a21 = FloatVector.fromArray(S, o, oOff + 2 * dp + L);
        FloatVector a22 = FloatVector.fromArray(S, o, oOff + 2 * dp + 2 * L);
        FloatVector a23 = FloatVector.fromArray(S, o, oOff + 2 * dp + 3 * L);
        FloatVector a30 = FloatVector.fromArray(S, o, oOff + 3 * dp);
        FloatVector a31 = FloatVector.fromArray(S, o, oOff + 3 * dp + L);
        FloatVector a32 = FloatVector.fromArray(S, o, oOff + 3 * dp + 2 * L);
        FloatVector a33 = FloatVector.fromArray(S, o, oOff + 3 * dp + 3 * L);
        for (int j = 0; j < count; j++) {
            int vj = vOff + j * dp;
            FloatVector v0 = FloatVector.fromArray(S, v, vj);
            FloatVector v1 = FloatVector.fromArray(S, v, vj + L);
            FloatVector v2 = FloatVector.fromArray(S, v, vj + 2 * L);
            FloatVector v3 = FloatVector.fromArray(S, v, vj + 3 * L);
            FloatVector p0 = FloatVector.broadcast(S, p[pOff + j]);
            a00 = v0.fma(p0, a00);
            a01 = v1.fma(p0, a01);
            a02 = v2.fma(p0, a02);
            a03 = v3.fma(p0, a03);
            FloatVector p1 = FloatVector.broadcast(S, p[pOff + pStride + j]);
            a10 = v0.fma(p1, a10);
            a11 = v1.fma(p1, a11);
            a12 = v2.fma(p1, a12);
            a13 = v3.fma(p1, a13);
            FloatVector p2 = FloatVector.broadcast(S, p[pOff + 2 * pStride + j]);
            a20 = v0.fma(p2, a20);
            a21 = v1.fma(p2, a21);
            a22 = v2.fma(p2, a22);
            a23 = v3.fma(p2, a23);
            FloatVector p3 = FloatVector.broadcast(S, p[pOff + 3 * pStride + j]);
            a30 = v0.fma(p3, a30);
            a31 = v1.fma(p3, a31);
            a32 = v2.fma(p3, a32);
            a33 = v3.fma(p3, a33);
        }
        store4(o, oOff, a00, a01, a02, a03);
        store4(o, oOff + dp, a10, a11, a12, a13);
        store4(o, oOff + 2 * dp, a20, a21, a22, a23);
        store4(o, oOff + 3 * dp, a30, a31, a32, a33);
    }

    private static void accumulate4x1(float[] p, int pOff, int pStride, int count, float[] v, int vOff, int dp,
                                      float[] o, int oOff) {
        FloatVector a0 = FloatVector.fromArray(S, o, oOff);
        FloatVector a1 = FloatVector.fromArray(S, o, oOff + dp);
        FloatVector a2 = FloatVector.fromArray(S, o, oOff + 2 * dp);
        FloatVector a3 = FloatVector.fromArray(S, o, oOff + 3 * dp);
        for (int j = 0; j < count; j++) {
            FloatVector vj = FloatVector.fromArray(S, v, vOff + j * dp);
            a0 = vj.fma(FloatVector.broadcast(S, p[pOff + j]), a0);
            a1 = vj.fma(FloatVector.broadcast(S, p[pOff + pStride + j]), a1);
            a2 = vj.fma(FloatVector.broadcast(S, p[pOff + 2 * pStride + j]), a2);
            a3 = vj.fma(FloatVector.broadcast(S, p[pOff + 3 * pStride + j]), a3);
        }
        a0.intoArray(o, oOff);
        a1.intoArray(o, oOff + dp);
        a2.intoArray(o, oOff + 2 * dp);
        a3.intoArray(o, oOff + 3 * dp);
    }

    /**
     * o[r][..dp) += sum over j < count of p[j][r] v[j][..dp) for the 4 rows r of a tile: p is read down four of its
     * columns (p[pOff + j * pStride + r]), so that P^T V needs no transposed copy of P (the backward pass's dV and dK).
     *
     * @param v value rows [*][Dp] from row vRow
     * @param o output rows [4][Dp] from oOff
     */
    static void accumulateColumns(float[] p, int pOff, int pStride, int count, float[] v, int vRow, int dp,
                                  float[] o, int oOff) {
        int col = 0;
        for (; col + 4 * L <= dp; col += 4 * L) {
            accumulateColumns4x4(p, pOff, pStride, count, v, vRow * dp + col, dp, o, oOff + col);
        }
        for (; col < dp; col += L) {
            accumulateColumns4x1(p, pOff, pStride, count, v, vRow * dp + col, dp, o, oOff + col);
        }
    }

    private static void accumulateColumns4x4(float[] p, int pOff, int pStride, int count, float[] v, int vOff,
                                             int dp, float[] o, int oOff) {
        FloatVector a00 = FloatVector.fromArray(S, o, oOff);
        FloatVector a01 = FloatVector.fromArray(S, o, oOff + L);
        FloatVector a02 = FloatVector.fromArray(S, o, oOff + 2 * L);
        FloatVector a03 = FloatVector.fromArray(S, o, oOff + 3 * L);
        FloatVector a10 = FloatVector.fromArray(S, o, oOff + dp);
        FloatVector a11 = FloatVector.fromArray(S, o, oOff + dp + L);
        FloatVector a12 = FloatVector.fromArray(S, o, oOff + dp + 2 * L);
        FloatVector a13 = FloatVector.fromArray(S, o, oOff + dp + 3 * L);
        FloatVector a20 = FloatVector.fromArray(S, o, oOff + 2 * dp);
        FloatVector a21 = FloatVector.fromArray(S, o, oOff + 2 * dp + L);
        FloatVector a22 = FloatVector.fromArray(S, o, oOff + 2 * dp + 2 * L);
        FloatVector a23 = FloatVector.fromArray(S, o, oOff + 2 * dp + 3 * L);
        FloatVector a30 = FloatVector.fromArray(S, o, oOff + 3 * dp);
        FloatVector a31 = FloatVector.fromArray(S, o, oOff + 3 * dp + L);
        FloatVector a32 = FloatVector.fromArray(S, o, oOff + 3 * dp + 2 * L);
        FloatVector a33 = FloatVector.fromArray(S, o, oOff + 3 * dp + 3 * L);
        for (int j = 0; j < count; j++) {
            int vj = vOff + j * dp;
            int pj = pOff + j * pStride;
            FloatVector v0 = FloatVector.fromArray(S, v, vj);
            FloatVector v1 = FloatVector.fromArray(S, v, vj + L);
            FloatVector v2 = FloatVector.fromArray(S, v, vj + 2 * L);
            FloatVector v3 = FloatVector.fromArray(S, v, vj + 3 * L);
            FloatVector p0 = FloatVector.broadcast(S, p[pj]);
            a00 = v0.fma(p0, a00);
            a01 = v1.fma(p0, a01);
            a02 = v2.fma(p0, a02);
            a03 = v3.fma(p0, a03);
            FloatVector p1 = FloatVector.broadcast(S, p[pj + 1]);
            a10 = v0.fma(p1, a10);
            a11 = v1.fma(p1, a11);
            a12 = v2.fma(p1, a12);
            a13 = v3.fma(p1, a13);
            FloatVector p2 = FloatVector.broadcast(S, p[pj + 2]);
            a20 = v0.fma(p2, a20);
            a21 = v1.fma(p2, a21);
            a22 = v2.fma(p2, a22);
            a23 = v3.fma(p2, a23);
            FloatVector p3 = FloatVector.broadcast(S, p[pj + 3]);
            a30 = v0.fma(p3, a30);
            a31 = v1.fma(p3, a31);
            a32 = v2.fma(p3, a32);
            a33 = v3.fma(p3, a33);
        }
        store4(o, oOff, a00, a01, a02, a03);
        store4(o, oOff + dp, a10, a11, a12, a13);
        store4(o, oOff + 2 * dp, a20, a21, a22, a23);
        store4(o, oOff + 3 * dp, a30, a31, a32, a33);
    }

    private static void accumulateColumns4x1(float[] p, int pOff, int pStride, int count, float[] v, int vOff,
                                             int dp, float[] o, int oOff) {
        FloatVector a0 = FloatVector.fromArray(S, o, oOff);
        FloatVector a1 = FloatVector.fromArray(S, o, oOff + dp);
        FloatVector a2 = FloatVector.fromArray(S, o, oOff + 2 * dp);
        FloatVector a3 = FloatVector.fromArray(S, o, oOff + 3 * dp);
        for (int j = 0; j < count; j++) {
            FloatVector vj = FloatVector.fromArray(S, v, vOff + j * dp);
            int pj = pOff + j * pStride;
            a0 = vj.fma(FloatVector.broadcast(S, p[pj]), a0);
            a1 = vj.fma(FloatVector.broadcast(S, p[pj + 1]), a1);
            a2 = vj.fma(FloatVector.broadcast(S, p[pj + 2]), a2);
            a3 = vj.fma(FloatVector.broadcast(S, p[pj + 3]), a3);
        }
        a0.intoArray(o, oOff);
        a1.intoArray(o, oOff + dp);
        a2.intoArray(o, oOff + 2 * dp);
        a3.intoArray(o, oOff + 3 * dp);
    }

    private static final float[] IOTA = new float[L]; // [L] 0, 1, ..., L-1

    static {
        for (int i = 0; i < L; i++) {
            IOTA[i] = i;
        }
    }

    /**
     * One key panel [D][L] from src[off..] to dst[off..], pair i of lane l (key delta0 - l kept rows before the
     * query block's first row) times exp((delta0 - l) * decay[i]): the xPos scale of keys relative to a block.
     */
    static void scalePanel(float[] src, float[] dst, int off, int pairs, float[] decay, int delta0) {
        FloatVector delta = FloatVector.broadcast(S, (float) delta0).sub(FloatVector.fromArray(S, IOTA, 0));
        for (int i = 0; i < pairs; i++) {
            FloatVector factor = VectorMath.exp(delta.mul(decay[i]));
            int even = off + 2 * i * L;
            FloatVector.fromArray(S, src, even).mul(factor).intoArray(dst, even);
            FloatVector.fromArray(S, src, even + L).mul(factor).intoArray(dst, even + L);
        }
    }
}
