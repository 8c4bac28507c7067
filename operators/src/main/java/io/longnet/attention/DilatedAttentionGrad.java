package io.longnet.attention;

import io.longnet.compute.ComputeThreads;
import io.longnet.compute.ParallelLoop;
import io.longnet.model.DilationSchedule;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * The backward pass of {@link DilatedAttention} over one chunk, in Java vectors: the exact derivative of the
 * mixed output, branch-mixing weights included.
 *
 * <p>Why it is one formula: out[p,h] = sum_i alpha_i O_i with alpha_i = softmax(lse_i) is one softmax over every
 * key the covering branches show (p, h), a key seen by two branches counted twice (spec section 3). So with
 * L = the total log-sum-exp the forward returns and P = exp(s - L) per (branch, key), the gradient is flash
 * attention's: dV += P^T dO, dS = P (dO V^T - rowsum(dO o out)), dQ = dS K, dK = dS^T Q, summed over branches.
 * torchscale treats alpha as a constant instead (its lse weights are computed under no_grad); this does not.
 *
 * <p>Rows the stream kept before the chunk ({@link AttentionState.KeptRows}) enter as constants: they get no
 * gradient (Transformer-XL's stop-gradient memory). A chunk from position 0 on a fresh state is the full pass.
 *
 * <p>xPos: a query block starting at local row T0 sees queries scaled by zeta^((t - T0) / b) and keys by
 * zeta^((T0 - t') / b), exactly as the forward kernel does, so the recomputed scores are the forward's; the
 * gradients of the scaled, rotated rows go back through the same (linear) maps transposed.
 *
 * <p>Notation: n chunk rows at stream positions [first, first + n); E = H D; Dp = D padded to whole vectors;
 * "kept index" g counts a head's kept rows in the open segment (the earlier rows first, then the chunk's).
 */
public final class DilatedAttentionGrad {

    private static final int QUERY_BLOCK = 64;
    private static final double XPOS_BLOCK_EXPONENT = 40;
    private static final int L = KeyPanels.LANES;
    private static final int TILE = AttentionTiles.ROWS;

    private final DilationSchedule schedule;
    private final int heads;
    private final int headDim;
    private final int paddedDim;
    private final XPos xpos; // null without xPos
    private final float softmaxScale;
    private final int maxKeys; // max over branches of ceil(w / r)

    public DilatedAttentionGrad(DilationSchedule schedule, int heads, int headDim, XPos xpos) {
        this.schedule = schedule;
        this.heads = heads;
        this.headDim = headDim;
        this.paddedDim = KeyPanels.padded(headDim);
        this.xpos = xpos;
        this.softmaxScale = (float) (1.0 / Math.sqrt(headDim));
        int max = 0;
        for (int b = 0; b < schedule.size(); b++) {
            max = Math.max(max, schedule.branch(b).maxKeptRows());
        }
        this.maxKeys = max;
    }

    /**
     * The gradient of sum(dOut * out) with respect to the chunk's q, k and v (before xPos), out being what
     * {@link DilatedAttention#attend(FloatBuffer, int, long, AttentionState, double[])} returned for this chunk.
     *
     * @param qkv   [n, 3E] the chunk's projected q, k, v, as the forward read them
     * @param prior the state's kept rows before the forward of this chunk ({@link AttentionState#copyKept()})
     * @param out   [n, E] the forward's output
     * @param lse   [n, H] the forward's log-sum-exp
     * @param dOut  [n, E] the gradient of the loss with respect to out
     * @return dqkv [n, 3E]
     */
    public float[] backward(FloatBuffer qkv, int n, long first, AttentionState.KeptRows prior, float[] out,
                            double[] lse, float[] dOut) {
        int e = heads * headDim;
        if (out.length != n * e || dOut.length != n * e || lse.length != n * heads) {
            throw new IllegalArgumentException("backward of " + n + " rows needs out and dOut [n, " + e
                    + "] and lse [n, " + heads + "], got " + out.length + ", " + dOut.length + ", " + lse.length);
        }
        Chunk c = new Chunk(qkv, n, first, prior, out, lse, dOut, new float[n * 3 * e]);
        int threads = (double) n * maxKeys * headDim < 1e6 ? 1 : ComputeThreads.get();
        ParallelLoop.forEach(heads, threads, h -> backwardHead(c, new Scratch(), h));
        return c.dqkv;
    }

    /** Every branch and segment piece of head h: touches only head h's columns of dqkv. */
    private void backwardHead(Chunk c, Scratch s, int h) {
        long end = c.first + c.n;
        for (int b = 0; b < schedule.size(); b++) {
            int w = schedule.branch(b).segmentLength();
            long segmentStart = Math.floorDiv(c.first, w) * (long) w;
            for (boolean firstPiece = true; segmentStart < end; segmentStart += w, firstPiece = false) {
                int priorRows = firstPiece ? c.prior.keys()[b * heads + h].length / headDim : 0;
                backwardPiece(c, s, b, h, segmentStart, Math.max(c.first, segmentStart),
                        Math.min(end, segmentStart + w), priorRows);
            }
        }
    }

    /** Positions [pieceStart, pieceEnd) of the segment at segmentStart, for one (branch, head). */
    private void backwardPiece(Chunk c, Scratch s, int b, int h, long segmentStart, long pieceStart, long pieceEnd,
                               int priorRows) {
        int r = schedule.branch(b).dilatedRatio();
        int offset = schedule.offset(b, h, heads);
        int firstKept = DilatedAttention.firstKeptRow((int) (pieceStart - segmentStart), offset, r);
        int toRow = (int) (pieceEnd - segmentStart);
        if (firstKept >= toRow) {
            return;
        }
        if (firstKept != offset + priorRows * r) {
            throw new IllegalStateException("branch " + b + " head " + h + " keeps " + priorRows + " rows before "
                    + "local row " + firstKept + ": the kept rows do not match the stream position " + c.first);
        }
        int m = (toRow - 1 - firstKept) / r + 1;
        int chunkRow0 = (int) (segmentStart + firstKept - c.first);
        int keys = priorRows + m;
        gatherKeysAndValues(c, s, b, h, priorRows, m, chunkRow0, r, firstKept);
        int gradFrom = priorRows / TILE * TILE; // tiles of key gradients start here; rows below priorRows dropped
        Arrays.fill(s.dKeys, gradFrom * paddedDim, roundUp(keys, TILE) * paddedDim, 0f);
        Arrays.fill(s.dValues, gradFrom * paddedDim, roundUp(keys, TILE) * paddedDim, 0f);
        int block = queryBlock(r);
        for (int j0 = 0; j0 < m; j0 += block) {
            int rows = Math.min(block, m - j0);
            backwardBlock(c, s, h, r, priorRows + j0, rows, chunkRow0 + j0 * r, firstKept + j0 * r, gradFrom);
        }
        scatterKeyAndValueGrads(c, s, h, priorRows, m, chunkRow0, r, firstKept);
    }

    private int queryBlock(int r) {
        if (xpos == null) {
            return QUERY_BLOCK;
        }
        double rowsInRange = Math.floor(XPOS_BLOCK_EXPONENT / (r * xpos.maxDecay())) + 1;
        return (int) Math.max(1, Math.min(QUERY_BLOCK, rowsInRange));
    }

    /** Keys (rotated, unscaled) as panels and values as panels, kept indices [0, priorRows + m). */
    private void gatherKeysAndValues(Chunk c, Scratch s, int b, int h, int priorRows, int m, int chunkRow0, int r,
                                     int firstKept) {
        float[] priorKeys = c.prior.keys()[b * heads + h];
        float[] priorValues = c.prior.values()[b * heads + h];
        for (int g = 0; g < priorRows; g++) {
            KeyPanels.write(s.keyPanels, headDim, g, priorKeys, g * headDim);
            KeyPanels.write(s.valuePanels, headDim, g, priorValues, g * headDim);
        }
        int width = heads * headDim;
        XPos.Rotor rotor = xpos == null ? null : xpos.rotor(firstKept, r);
        for (int j = 0; j < m; j++) {
            int row = (chunkRow0 + j * r) * 3 * width + h * headDim;
            c.qkv.get(row + width, s.row, 0, headDim);
            if (rotor != null) {
                rotor.rotate(s.row, 0);
                rotor.advance();
            }
            KeyPanels.write(s.keyPanels, headDim, priorRows + j, s.row, 0);
            c.qkv.get(row + 2 * width, s.row, 0, headDim);
            KeyPanels.write(s.valuePanels, headDim, priorRows + j, s.row, 0);
        }
        int keys = priorRows + m;
        int padded = KeyPanels.roundUp(keys);
        for (int g = keys; g < padded; g++) { // lanes past the last key: zero, so that no NaN enters a score
            KeyPanels.write(s.keyPanels, headDim, g, s.zeros, 0);
            KeyPanels.write(s.valuePanels, headDim, g, s.zeros, 0);
        }
    }

    /**
     * One block of {@code rows} kept queries, kept indices [g0, g0 + rows), local rows t0, t0 + r, ..., chunk
     * rows chunkRow0, + r, ...: query g sees keys [0, g]. Adds the block's dq to dqkv and its dk, dv (for keys
     * from gradFrom on) to s.dKeys (rotated, unscaled) and s.dValues.
     */
    private void backwardBlock(Chunk c, Scratch s, int h, int r, int g0, int rows, int chunkRow0, int t0,
                               int gradFrom) {
        int keysSeen = g0 + rows;
        int stride = KeyPanels.roundUp(keysSeen); // score row stride
        int tiles = roundUp(rows, TILE);
        float[] keyPanels = xpos == null ? s.keyPanels : scaledKeys(s, keysSeen, g0, r);
        loadQueries(c, s, h, rows, tiles, chunkRow0, r, t0);
        keyRows(s, keyPanels, keysSeen);
        for (int i = 0; i < tiles; i += TILE) {
            int visible = Math.min(keysSeen, g0 + i + TILE);
            int panels = KeyPanels.roundUp(visible) / L;
            AttentionTiles.scores(s.queries, i * headDim, headDim, keyPanels, 0, panels, s.probs, i * stride,
                    stride);
            AttentionTiles.scores(s.dOut, i * headDim, headDim, s.valuePanels, 0, panels, s.dScores, i * stride,
                    stride);
        }
        for (int i = 0; i < tiles; i++) {
            softmaxGrad(s, i, i < rows ? g0 + i + 1 : 0, stride);
        }
        Arrays.fill(s.dQueries, 0, tiles * paddedDim, 0f);
        for (int i = 0; i < tiles; i += TILE) {
            int visible = Math.min(keysSeen, g0 + i + TILE);
            AttentionTiles.accumulate(s.dScores, i * stride, stride, visible, s.keyRows, 0, paddedDim, s.dQueries,
                    i * paddedDim);
        }
        float[] dKeys = xpos == null ? s.dKeys : s.dKeysBlock;
        if (xpos != null) {
            Arrays.fill(dKeys, gradFrom * paddedDim, roundUp(keysSeen, TILE) * paddedDim, 0f);
        }
        for (int g = gradFrom; g < keysSeen; g += TILE) { // dV += P^T dO, dK += dS^T Q, four keys at a time
            AttentionTiles.accumulateColumns(s.probs, g, stride, tiles, s.dOutPadded, 0, paddedDim, s.dValues,
                    g * paddedDim);
            AttentionTiles.accumulateColumns(s.dScores, g, stride, tiles, s.queriesPadded, 0, paddedDim, dKeys,
                    g * paddedDim);
        }
        if (xpos != null) {
            addUnscaledKeyGrads(s, gradFrom, keysSeen, g0, r);
        }
        scatterQueryGrads(c, s, h, rows, chunkRow0, r, t0);
    }

    /**
     * Queries of the block into s.queries [tiles][D] (rotated, times softmaxScale and the xPos scale relative to
     * the block) and s.queriesPadded [tiles][Dp]; the output gradients into s.dOut [tiles][D] and s.dOutPadded;
     * per row the lse and dO . out. Rows past {@code rows} are zero.
     */
    private void loadQueries(Chunk c, Scratch s, int h, int rows, int tiles, int chunkRow0, int r, int t0) {
        int width = heads * headDim;
        XPos.Rotor rotor = xpos == null ? null : xpos.rotor(t0, r);
        Arrays.fill(s.queriesPadded, 0, tiles * paddedDim, 0f);
        Arrays.fill(s.dOutPadded, 0, tiles * paddedDim, 0f);
        for (int i = 0; i < rows; i++) {
            int chunkRow = chunkRow0 + i * r;
            int off = i * headDim;
            c.qkv.get(chunkRow * 3 * width + h * headDim, s.queries, off, headDim);
            if (rotor != null) {
                rotor.rotate(s.queries, off);
                rotor.advance();
            }
            for (int d = 0; d < headDim; d++) {
                s.queries[off + d] *= queryScale(d / 2, i, r);
            }
            System.arraycopy(s.queries, off, s.queriesPadded, i * paddedDim, headDim);
            int col = chunkRow * width + h * headDim;
            System.arraycopy(c.dOut, col, s.dOut, off, headDim);
            System.arraycopy(c.dOut, col, s.dOutPadded, i * paddedDim, headDim);
            double dot = 0;
            for (int d = 0; d < headDim; d++) {
                dot += (double) c.dOut[col + d] * c.out[col + d];
            }
            s.outDot[i] = (float) dot;
            s.lse[i] = (float) c.lse[chunkRow * heads + h];
        }
        Arrays.fill(s.queries, rows * headDim, tiles * headDim, 0f);
        Arrays.fill(s.dOut, rows * headDim, tiles * headDim, 0f);
    }

    /** softmaxScale times, with xPos, zeta_pair^(i r / b): query row i of a block, relative to its first row. */
    private float queryScale(int pair, int i, int r) {
        return xpos == null ? softmaxScale : (float) (softmaxScale * xpos.scale(pair, (double) i * r));
    }

    /**
     * Row i of the block: probs[i][g] = exp(s - lse) and dScores[i][g] = probs (dP - dO . out) for the
     * {@code visible} keys it sees, 0 for the rest of the row.
     */
    private void softmaxGrad(Scratch s, int i, int visible, int stride) {
        int off = i * stride;
        if (visible <= 0) {
            Arrays.fill(s.probs, off, off + stride, 0f);
            Arrays.fill(s.dScores, off, off + stride, 0f);
            return;
        }
        int vectors = KeyPanels.roundUp(visible);
        Arrays.fill(s.probs, off + visible, off + vectors, Float.NEGATIVE_INFINITY);
        AttentionTiles.exponentiate(s.probs, off, vectors, s.lse[i]);
        Arrays.fill(s.probs, off + vectors, off + stride, 0f);
        AttentionTiles.softmaxGrad(s.probs, s.dScores, off, vectors, s.outDot[i]);
        Arrays.fill(s.dScores, off + vectors, off + stride, 0f);
    }

    /** The block's keys [0, keys) as row-major rows [keys][Dp] (for dQ = dS K), from its panels. */
    private void keyRows(Scratch s, float[] panels, int keys) {
        for (int g = 0; g < keys; g++) {
            KeyPanels.read(panels, headDim, g, s.keyRows, g * paddedDim);
        }
    }

    /** Key panels [0, keys) times zeta^((g0 - g) r / b) per pair: the keys as a block at kept index g0 sees them. */
    private float[] scaledKeys(Scratch s, int keys, int g0, int r) {
        int pairs = headDim / 2;
        for (int pair = 0; pair < pairs; pair++) {
            s.pairDecay[pair] = (float) (xpos.decay(pair) * r);
        }
        for (int p = 0; p * L < keys; p++) {
            AttentionTiles.scalePanel(s.keyPanels, s.scaledKeyPanels, p * headDim * L, pairs, s.pairDecay, g0 - p * L);
        }
        return s.scaledKeyPanels;
    }

    /** s.dKeys[g] += zeta^((g0 - g) r / b) s.dKeysBlock[g] per pair: the block's key scale, transposed. */
    private void addUnscaledKeyGrads(Scratch s, int from, int to, int g0, int r) {
        for (int g = from; g < to; g++) {
            int off = g * paddedDim;
            for (int pair = 0; pair < headDim / 2; pair++) {
                float factor = (float) Math.exp((double) (g0 - g) * r * xpos.decay(pair));
                s.dKeys[off + 2 * pair] += factor * s.dKeysBlock[off + 2 * pair];
                s.dKeys[off + 2 * pair + 1] += factor * s.dKeysBlock[off + 2 * pair + 1];
            }
        }
    }

    /** dq of the block's rows: scale and rotation transposed, added to dqkv's q columns. */
    private void scatterQueryGrads(Chunk c, Scratch s, int h, int rows, int chunkRow0, int r, int t0) {
        int width = heads * headDim;
        XPos.Rotor inverse = xpos == null ? null : xpos.rotor(-t0, -r);
        for (int i = 0; i < rows; i++) {
            int off = i * paddedDim;
            for (int d = 0; d < headDim; d++) {
                s.row[d] = s.dQueries[off + d] * queryScale(d / 2, i, r);
            }
            if (inverse != null) {
                inverse.rotate(s.row, 0);
                inverse.advance();
            }
            int col = (chunkRow0 + i * r) * 3 * width + h * headDim;
            for (int d = 0; d < headDim; d++) {
                c.dqkv[col + d] += s.row[d];
            }
        }
    }

    /** dk (rotation transposed) and dv of the piece's chunk keys, added to dqkv's k and v columns. */
    private void scatterKeyAndValueGrads(Chunk c, Scratch s, int h, int priorRows, int m, int chunkRow0, int r,
                                         int firstKept) {
        int width = heads * headDim;
        XPos.Rotor inverse = xpos == null ? null : xpos.rotor(-firstKept, -r);
        for (int j = 0; j < m; j++) {
            int off = (priorRows + j) * paddedDim;
            System.arraycopy(s.dKeys, off, s.row, 0, headDim);
            if (inverse != null) {
                inverse.rotate(s.row, 0);
                inverse.advance();
            }
            int col = (chunkRow0 + j * r) * 3 * width + h * headDim;
            for (int d = 0; d < headDim; d++) {
                c.dqkv[col + width + d] += s.row[d];
                c.dqkv[col + 2 * width + d] += s.dValues[off + d];
            }
        }
    }

    private static int roundUp(int n, int step) {
        return (n + step - 1) / step * step;
    }

    private record Chunk(FloatBuffer qkv, int n, long first, AttentionState.KeptRows prior, float[] out,
                         double[] lse, float[] dOut, float[] dqkv) {
    }

    /** One head's working memory. */
    private final class Scratch {
        final int keyCapacity = roundUp(KeyPanels.roundUp(maxKeys), TILE);
        final float[] row = new float[headDim];                                    // [D]
        final float[] zeros = new float[headDim];                                  // [D]
        final float[] keyPanels = new float[keyCapacity * headDim];                // panels of [0, keys)
        final float[] scaledKeyPanels = xpos == null ? null : new float[keyCapacity * headDim];
        final float[] valuePanels = new float[keyCapacity * headDim];
        final float[] keyRows = new float[keyCapacity * paddedDim];                // [keys][Dp]
        final float[] dKeys = new float[keyCapacity * paddedDim];                  // [keys][Dp] rotated space
        final float[] dKeysBlock = xpos == null ? null : new float[keyCapacity * paddedDim];
        final float[] dValues = new float[keyCapacity * paddedDim];                // [keys][Dp]
        final float[] queries = new float[QUERY_BLOCK * headDim];                  // [block][D]
        final float[] queriesPadded = new float[QUERY_BLOCK * paddedDim];          // [block][Dp]
        final float[] dOut = new float[QUERY_BLOCK * headDim];                     // [block][D]
        final float[] dOutPadded = new float[QUERY_BLOCK * paddedDim];             // [block][Dp]
        final float[] dQueries = new float[QUERY_BLOCK * paddedDim];               // [block][Dp]
        final float[] probs = new float[QUERY_BLOCK * keyCapacity];                // [block][keys]
        final float[] dScores = new float[QUERY_BLOCK * keyCapacity];              // [block][keys]
        final float[] outDot = new float[QUERY_BLOCK];                             // [block] dO . out
        final float[] lse = new float[QUERY_BLOCK];                                // [block]
        final float[] pairDecay = new float[headDim / 2];                          // [D/2]
    }
}
