package io.longnet.attention;

import io.longnet.compute.ComputeThreads;
import io.longnet.compute.ParallelLoop;
import io.longnet.model.Branch;
import io.longnet.model.DilationSchedule;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * Causal dilated attention over one chunk of a stream (spec sections 2, 3, 5, 7), in Java vectors.
 *
 * <p>Notation: n = chunk tokens at stream positions [first, first + n); E = H * D; branch (w, r); a head
 * with offset o keeps local rows t = o, o + r, ... of each segment; "kept index" g counts a head's kept rows
 * in the open segment (the state's rows first, then the chunk's). For every (branch, segment piece, head)
 * the chunk's kept keys and values are appended to the state, then its kept queries attend causally to all
 * kept rows so far, a query block at a time, flash-style: key blocks stream by, each query row keeps a
 * running max, sum and output, rescaled when the max grows. Branch outputs are merged per (position, head)
 * by log-sum-exp weights as they arrive. Heads run in parallel on {@link ComputeThreads#get()} threads
 * when the chunk has enough work to pay for the hand-off.
 * A full forward pass is one chunk from position 0 on a fresh state.
 *
 * <p>xPos: rows are rotated at their segment-relative positions (the state keeps keys rotated, unscaled).
 * The scale zeta^((t - t') / b) of a query at t and a key at t' is split at T0, the position of the query
 * block's first row: queries get zeta^((t - T0) / b) <= 1 and the block's view of the keys gets
 * zeta^((T0 - t') / b), <= 1 for every key before the block. Inside the block the factors exceed 1, so
 * query blocks are cut short enough (at most {@link #XPOS_BLOCK_EXPONENT} in ln units) that none leaves
 * float range: finite and exact at any segment length.
 */
public final class DilatedAttention {

    /** Query rows per block. */
    private static final int QUERY_BLOCK = 64;
    /** Keys per block of the online softmax, a multiple of the vector width. */
    private static final int KEY_BLOCK = 512;
    /**
     * Below this much work a chunk runs on the calling thread: handing heads to other threads costs tens of
     * microseconds (far more on a busy machine), about what 4 MFLOP take on one core.
     */
    private static final double PARALLEL_MIN_FLOPS = 4e6;
    /** Bound on |ln| of any xPos factor inside a query block: e^40 is far inside float range. */
    private static final double XPOS_BLOCK_EXPONENT = 40;

    private final DilationSchedule schedule;
    private final int heads;
    private final int headDim;
    private final int paddedDim;
    private final XPos xpos; // null without xPos
    // One scratch per thread for all instances, reused from call to call (a streaming decoder attends once per
    // chunk and layer), replaced when an instance of another shape runs on the thread. Static and holding no
    // instance: the helper threads outlive every model a failover drops, which must not stay reachable from them.
    private static final ThreadLocal<Scratch> SCRATCHES = new ThreadLocal<>();
    private final float softmaxScale;
    private final int maxVisibleKeys;  // max over branches of ceil(w / r), rounded up to whole panels

    public DilatedAttention(DilationSchedule schedule, int heads, int headDim, XPos xpos) {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            throw new IllegalStateException("the attention kernel uses the Vector API: start the JVM with "
                    + "--add-modules jdk.incubator.vector (on Flink: env.java.opts.all: "
                    + "--add-modules=jdk.incubator.vector)");
        }
        if (xpos != null && xpos.headDim() != headDim) {
            throw new IllegalArgumentException("xpos.scale has " + xpos.headDim() / 2 + " entries, expected "
                    + headDim / 2);
        }
        this.schedule = schedule;
        this.heads = heads;
        this.headDim = headDim;
        this.paddedDim = KeyPanels.padded(headDim);
        this.xpos = xpos;
        this.softmaxScale = (float) (1.0 / Math.sqrt(headDim));
        this.maxVisibleKeys = KeyPanels.roundUp(
                schedule.branches().stream().mapToInt(Branch::maxKeptRows).max().orElseThrow());
    }

    public AttentionState newState() {
        return new AttentionState(schedule, heads, headDim);
    }

    /**
     * Compiles the kernel's vector code, once per JVM, before a stream's first chunk needs it: until the
     * JIT's optimising compiler has intrinsified the Vector API calls they run tens of times slower, which
     * cost the first 512-token chunk of a 4-layer E=256 model 2-3 s of CPU against under 0.1 s for the
     * next. Sixteen small passes, with and without xPos, through two branches, take that cost up front
     * (2-3 s of CPU, most of it the compiler's). Later calls return at once.
     */
    public static void warmUp() {
        WarmUp.DONE.hashCode();
    }

    private static final class WarmUp {
        static final Object DONE = run();

        private static Object run() {
            int heads = 2;
            int d = 64;
            int n = 256;
            DilationSchedule two = DilationSchedule.of(List.of(128, 256), List.of(1, 2),
                    io.longnet.model.HeadOffsetRule.GROUPED);
            float[] zeta = new float[d / 2];
            Arrays.fill(zeta, 0.5f);
            float[] qkv = new float[n * 3 * heads * d]; // [n, 3E]
            for (int i = 0; i < qkv.length; i++) {
                qkv[i] = (i % 7) * 0.1f;
            }
            for (XPos xpos : new XPos[] {null, new XPos(zeta, 512)}) {
                DilatedAttention attention = new DilatedAttention(two, heads, d, xpos);
                for (int pass = 0; pass < 8; pass++) {
                    attention.attend(qkv, n, 0, attention.newState());
                }
            }
            return new Object();
        }
    }

    /** {@link #attend(FloatBuffer, int, long, AttentionState)} over a heap array. */
    public float[] attend(float[] qkv, int n, long first, AttentionState state) {
        return attend(FloatBuffer.wrap(qkv), n, first, state);
    }

    /**
     * @param qkv   [n, 3E] row-major from index 0: q in columns [0, E), k in [E, 2E), v in [2E, 3E); projected,
     *              before xPos. Only read (absolute gets), so a view of native memory serves.
     * @param first stream position of the chunk's first row
     * @param state the open segments' kept rows; updated to include this chunk
     * @return [n, E] row-major, column h * D + d; 0 where no branch covers (position, head)
     */
    public float[] attend(FloatBuffer qkv, int n, long first, AttentionState state) {
        return attend(qkv, n, first, state, new double[n * heads]);
    }

    /**
     * {@link #attend(FloatBuffer, int, long, AttentionState)}, also giving each (position, head)'s log-sum-exp
     * over every key its covering branches show it (scaled logits), -infinity where no branch covers it: what
     * the backward pass ({@link DilatedAttentionGrad}) needs to recompute the attention weights.
     *
     * @param lse [n, H], overwritten
     */
    public float[] attend(FloatBuffer qkv, int n, long first, AttentionState state, double[] lse) {
        if (lse.length != n * heads) {
            throw new IllegalArgumentException("lse needs " + n * heads + " entries [n, H], got " + lse.length);
        }
        Chunk chunk = new Chunk(qkv, n, first, new float[n * heads * headDim], lse);
        Arrays.fill(chunk.lse, Double.NEGATIVE_INFINITY);
        int threads = pairs(n, state) * 4.0 * headDim < PARALLEL_MIN_FLOPS ? 1 : ComputeThreads.get();
        // each thread its own scratch, reused across its heads and calls
        ParallelLoop.forEach(heads, threads, h -> attendHead(chunk, scratch(), h, state));
        return chunk.out;
    }

    /** About how many (query, key) pairs the chunk attends: its kept rows times the rows they see at most. */
    private double pairs(int n, AttentionState state) {
        double pairs = 0;
        for (int b = 0; b < schedule.size(); b++) {
            double kept = Math.ceil((double) n / schedule.branch(b).dilatedRatio());
            for (int h = 0; h < heads; h++) {
                pairs += kept * (state.rows(b, h) + kept);
            }
        }
        return pairs;
    }

    /** Every branch and segment piece of head h. Touches only head h's columns, lse entries and state rows. */
    private void attendHead(Chunk c, Scratch s, int h, AttentionState state) {
        long end = c.first + c.n;
        for (int b = 0; b < schedule.size(); b++) {
            int w = schedule.branch(b).segmentLength();
            for (long segmentStart = Math.floorDiv(c.first, w) * (long) w; segmentStart < end; segmentStart += w) {
                long pieceEnd = Math.min(end, segmentStart + w);
                attendPiece(c, s, b, h, segmentStart, Math.max(c.first, segmentStart), pieceEnd, state);
                if (pieceEnd == segmentStart + w) {
                    state.clear(b, h);
                }
            }
        }
    }

    /** Positions [pieceStart, pieceEnd) of one segment starting at segmentStart, one head of one branch. */
    private void attendPiece(Chunk c, Scratch s, int b, int h, long segmentStart, long pieceStart, long pieceEnd,
                             AttentionState state) {
        int r = schedule.branch(b).dilatedRatio();
        int offset = schedule.offset(b, h, heads);
        int fromRow = (int) (pieceStart - segmentStart);
        int toRow = (int) (pieceEnd - segmentStart);
        int firstKept = firstKeptRow(fromRow, offset, r);
        if (firstKept >= toRow) {
            return;
        }
        int m = (toRow - 1 - firstKept) / r + 1;
        int chunkRow0 = (int) (segmentStart + firstKept - c.first);
        int prior = state.reserve(b, h, m);
        appendKeysAndValues(c, s, b, h, prior, m, chunkRow0, r, firstKept, state);
        float[] panels = state.keyPanels(b, h);
        float[] values = state.paddedValues(b, h);
        int block = queryBlock(r);
        for (int j0 = 0; j0 < m; j0 += block) {
            int rows = Math.min(block, m - j0);
            gatherQueries(c, s, h, rows, chunkRow0 + j0 * r, r, firstKept + j0 * r);
            float[] keys = xpos == null ? panels : scaledKeys(s, panels, prior + j0, prior + j0 + rows, r);
            attendBlock(s, rows, keys, values, prior + j0);
            for (int i = 0; i < rows; i++) {
                merge(c, chunkRow0 + (j0 + i) * r, h, s.out, i * paddedDim, s.rowSum[i], s.rowMax[i]);
            }
        }
    }

    /** Query rows per block: {@link #QUERY_BLOCK}, fewer when xPos factors inside a block could leave float range. */
    private int queryBlock(int r) {
        if (xpos == null) {
            return QUERY_BLOCK;
        }
        double rowsInRange = Math.floor(XPOS_BLOCK_EXPONENT / (r * xpos.maxDecay())) + 1;
        return (int) Math.max(1, Math.min(QUERY_BLOCK, rowsInRange));
    }

    /** Smallest local row t >= fromRow with t >= offset and (t - offset) divisible by r. */
    static int firstKeptRow(int fromRow, int offset, int r) {
        if (fromRow <= offset) {
            return offset;
        }
        return offset + (fromRow - offset + r - 1) / r * r;
    }

    /** The chunk's m kept keys (rotated at local rows firstKept, +r, ...) and values, as state rows prior, ... */
    private void appendKeysAndValues(Chunk c, Scratch s, int b, int h, int prior, int m, int chunkRow0, int r,
                                     int firstKept, AttentionState state) {
        int width = heads * headDim;
        XPos.Rotor rotor = xpos == null ? null : xpos.rotor(firstKept, r);
        for (int j = 0; j < m; j++) {
            int row = (chunkRow0 + j * r) * 3 * width + h * headDim;
            c.qkv.get(row + width, s.key, 0, headDim);
            c.qkv.get(row + 2 * width, s.value, 0, headDim);
            if (rotor != null) {
                rotor.rotate(s.key, 0);
                rotor.advance();
            }
            state.setRow(b, h, prior + j, s.key, 0, s.value, 0);
        }
    }

    /**
     * Query rows [rows][D] into s.queries (padded with zero rows to whole tiles): rotated at local rows
     * firstRow, +r, ..., scaled by the softmax scale and, with xPos, by zeta^((t - T0) / b), T0 = firstRow.
     */
    private void gatherQueries(Chunk c, Scratch s, int h, int rows, int chunkRow0, int r, int firstRow) {
        int width = heads * headDim;
        int padded = roundUpToTile(rows);
        XPos.Rotor rotor = xpos == null ? null : xpos.rotor(firstRow, r);
        if (rotor != null) {
            for (int pair = 0; pair < headDim / 2; pair++) {
                s.queryScale[pair] = softmaxScale;                    // zeta^(0 / b): the block's first row
                s.queryScaleStep[pair] = xpos.scale(pair, r);         // zeta^(r / b) a row further
            }
        }
        for (int i = 0; i < rows; i++) {
            int off = i * headDim;
            c.qkv.get((chunkRow0 + i * r) * 3 * width + h * headDim, s.queries, off, headDim);
            if (rotor == null) {
                for (int d = 0; d < headDim; d++) {
                    s.queries[off + d] *= softmaxScale;
                }
                continue;
            }
            rotor.rotate(s.queries, off);
            rotor.advance();
            for (int pair = 0; pair < headDim / 2; pair++) {
                float factor = (float) s.queryScale[pair];
                s.queries[off + 2 * pair] *= factor;
                s.queries[off + 2 * pair + 1] *= factor;
                s.queryScale[pair] *= s.queryScaleStep[pair];
            }
        }
        Arrays.fill(s.queries, rows * headDim, padded * headDim, 0f);
    }

    /**
     * The key panels for kept indices [0, blockEnd) as a query block starting at kept index g0 sees them:
     * key g' times zeta^((g0 - g') r / b) per pair (<= 1 before the block, bounded by the block size inside).
     */
    private float[] scaledKeys(Scratch s, float[] panels, int g0, int blockEnd, int r) {
        int lanes = KeyPanels.LANES;
        int pairs = headDim / 2;
        for (int pair = 0; pair < pairs; pair++) {
            s.pairDecay[pair] = (float) (xpos.decay(pair) * r);
        }
        for (int p = 0; p * lanes < blockEnd; p++) {
            AttentionTiles.scalePanel(panels, s.scaledKeys, p * headDim * lanes, pairs, s.pairDecay, g0 - p * lanes);
        }
        return s.scaledKeys;
    }

    /**
     * One query block (rows in s.queries) against keys [0, diagonal + rows): query i sees keys [0, diagonal + i].
     * Leaves in s.out [rows][Dp] the unnormalised outputs, in s.rowMax the running max and s.rowSum the sum.
     */
    private void attendBlock(Scratch s, int rows, float[] keys, float[] values, int diagonal) {
        int tiles = roundUpToTile(rows);
        Arrays.fill(s.out, 0, tiles * paddedDim, 0f);
        Arrays.fill(s.rowMax, Float.NEGATIVE_INFINITY);
        Arrays.fill(s.rowSum, 0);
        int visibleEnd = diagonal + rows;
        for (int k0 = 0; k0 < visibleEnd; k0 += KEY_BLOCK) {
            for (int g = 0; g < rows; g += AttentionTiles.ROWS) {
                int lastRow = Math.min(g + AttentionTiles.ROWS, rows) - 1;
                int width = Math.min(KEY_BLOCK, diagonal + lastRow + 1 - k0); // keys the tile's last row sees
                if (width <= 0) {
                    continue;
                }
                AttentionTiles.scores(s.queries, g * headDim, headDim, keys, k0 / KeyPanels.LANES,
                        KeyPanels.roundUp(width) / KeyPanels.LANES, s.scores, g * KEY_BLOCK, KEY_BLOCK);
                for (int i = g; i < g + AttentionTiles.ROWS; i++) {
                    softmaxStep(s, i, i < rows ? diagonal + i + 1 - k0 : 0, width);
                }
                AttentionTiles.accumulate(s.scores, g * KEY_BLOCK, KEY_BLOCK, width, values, k0, paddedDim, s.out,
                        g * paddedDim);
            }
        }
    }

    /**
     * Online softmax over one key block for query row i: its first {@code count} scores (clipped to the
     * block) become exp(score - new max), the rest up to {@code width} become 0; the row's sum and output
     * are rescaled to the new max. Scores past count are first set to -infinity up to a whole vector, so
     * that the vector passes need no masks (e^-inf = 0).
     */
    private void softmaxStep(Scratch s, int i, int count, int width) {
        int off = i * KEY_BLOCK;
        int seen = Math.min(count, width);
        if (seen <= 0) {
            Arrays.fill(s.scores, off, off + width, 0f);
            return;
        }
        int vectors = KeyPanels.roundUp(seen);
        Arrays.fill(s.scores, off + seen, off + vectors, Float.NEGATIVE_INFINITY);
        float max = Math.max(s.rowMax[i], AttentionTiles.max(s.scores, off, vectors));
        float sum = AttentionTiles.exponentiate(s.scores, off, vectors, max);
        if (vectors < width) {
            Arrays.fill(s.scores, off + vectors, off + width, 0f);
        }
        if (max != s.rowMax[i]) {
            float correction = (float) Math.exp(s.rowMax[i] - max); // 0 on the first block
            s.rowSum[i] *= correction;
            AttentionTiles.scale(s.out, i * paddedDim, paddedDim, correction);
            s.rowMax[i] = max;
        }
        s.rowSum[i] += sum;
    }

    private static int roundUpToTile(int rows) {
        return (rows + AttentionTiles.ROWS - 1) / AttentionTiles.ROWS * AttentionTiles.ROWS;
    }

    /**
     * Adds one branch's output o[oOff .. oOff + D) / sum, with lse = max + ln sum, for (row, head) to the running
     * log-sum-exp mixture (spec section 3).
     */
    private void merge(Chunk c, int row, int h, float[] o, int oOff, double sum, double max) {
        double lse = max + Math.log(sum);
        double norm = 1.0 / sum;
        int li = row * heads + h;
        int col = row * heads * headDim + h * headDim;
        double previous = c.lse[li];
        double keep = 0;         // weight of what is there
        double add = norm;       // weight of this branch's unnormalised output
        double merged = lse;
        if (previous != Double.NEGATIVE_INFINITY) {
            double m = Math.max(previous, lse);
            double wOld = Math.exp(previous - m);
            double wNew = Math.exp(lse - m);
            double total = wOld + wNew;
            keep = wOld / total;
            add = wNew / total * norm;
            merged = m + Math.log(total);
        }
        float keepF = (float) keep;
        float addF = (float) add;
        for (int d = 0; d < headDim; d++) {
            c.out[col + d] = keepF * c.out[col + d] + addF * o[oOff + d];
        }
        c.lse[li] = merged;
    }

    /** The chunk being attended and its accumulators. */
    private record Chunk(FloatBuffer qkv, int n, long first, float[] out /* [n, E] */, double[] lse /* [n, H] */) {
    }

    /** This thread's scratch, of this instance's shape. */
    private Scratch scratch() {
        int scaledKeys = xpos == null ? 0 : maxVisibleKeys * headDim;
        Scratch s = SCRATCHES.get();
        if (s == null || s.key.length != headDim || s.out.length != QUERY_BLOCK * paddedDim
                || s.scaledKeysLength() != scaledKeys) {
            s = new Scratch(headDim, paddedDim, scaledKeys);
            SCRATCHES.set(s);
        }
        return s;
    }

    /** One thread's working memory, reused across its heads, branches and blocks. */
    private static final class Scratch {
        final float[] key;            // [D]
        final float[] value;          // [D]
        final float[] queries;        // [QUERY_BLOCK][D]
        final float[] scores;         // [QUERY_BLOCK][KEY_BLOCK]
        final float[] out;            // [QUERY_BLOCK][Dp]
        final float[] rowMax;         // [QUERY_BLOCK]
        final double[] rowSum;        // [QUERY_BLOCK]
        final float[] pairDecay;      // [D/2] xPos only
        final double[] queryScale;    // [D/2] xPos only
        final double[] queryScaleStep; // [D/2] xPos only
        final float[] scaledKeys;     // key panels [maxVisibleKeys * D], xPos only (else null)

        Scratch(int headDim, int paddedDim, int scaledKeysLength) {
            key = new float[headDim];
            value = new float[headDim];
            queries = new float[QUERY_BLOCK * headDim];
            scores = new float[QUERY_BLOCK * KEY_BLOCK];
            out = new float[QUERY_BLOCK * paddedDim];
            rowMax = new float[QUERY_BLOCK];
            rowSum = new double[QUERY_BLOCK];
            pairDecay = new float[headDim / 2];
            queryScale = new double[headDim / 2];
            queryScaleStep = new double[headDim / 2];
            scaledKeys = scaledKeysLength == 0 ? null : new float[scaledKeysLength];
        }

        int scaledKeysLength() {
            return scaledKeys == null ? 0 : scaledKeys.length;
        }
    }
}
