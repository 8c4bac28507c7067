package io.longnet.attention;

import io.longnet.model.Branch;
import io.longnet.model.DilationSchedule;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Causal dilated attention over one chunk of a stream, on ND4J (spec sections 2, 3, 5, 7).
 *
 * <p>Notation: n = chunk tokens at stream positions [first, first + n); E = H * D; branch (w, r); a head
 * with offset o keeps local rows t = o, o + r, ... of each segment. For every (branch, segment piece, head)
 * the kept rows of the chunk are gathered, appended to the open segment's state, and attended causally
 * against all kept rows so far in query blocks; branch outputs are merged per (position, head) by
 * log-sum-exp weights as they arrive. A full forward pass is one chunk from position 0 on a fresh state.
 */
public final class DilatedAttention {

    /** Query rows per score block: bounds the [block, keys] score matrix for long segments. */
    private static final int QUERY_BLOCK = 256;

    private final DilationSchedule schedule;
    private final int heads;
    private final int headDim;
    private final XPos xpos; // null without xPos
    private final double softmaxScale;
    private final int maxVisibleKeys;  // max over branches of ceil(w / r)

    public DilatedAttention(DilationSchedule schedule, int heads, int headDim, XPos xpos) {
        if (xpos != null && xpos.headDim() != headDim) {
            throw new IllegalArgumentException("xpos.scale has " + xpos.headDim() / 2 + " entries, expected "
                    + headDim / 2);
        }
        this.schedule = schedule;
        this.heads = heads;
        this.headDim = headDim;
        this.xpos = xpos;
        this.softmaxScale = 1.0 / Math.sqrt(headDim);
        this.maxVisibleKeys = schedule.branches().stream().mapToInt(Branch::maxKeptRows).max().orElseThrow();
    }

    public AttentionState newState() {
        return new AttentionState(schedule, heads, headDim);
    }

    /**
     * @param qkv   [n, 3E] row-major: q in columns [0, E), k in [E, 2E), v in [2E, 3E); projected, before xPos
     * @param first stream position of the chunk's first row
     * @param state the open segments' kept rows; updated to include this chunk
     * @return [n, E] row-major, column h * D + d; 0 where no branch covers (position, head)
     */
    public float[] attend(float[] qkv, int n, long first, AttentionState state) {
        Chunk chunk = new Chunk(qkv, n, first, new float[n * heads * headDim], new double[n * heads],
                Nd4j.createUninitialized(DataType.FLOAT, (long) QUERY_BLOCK * maxVisibleKeys),
                Nd4j.createUninitialized(DataType.FLOAT, (long) QUERY_BLOCK * headDim),
                new float[QUERY_BLOCK * maxVisibleKeys]);
        Arrays.fill(chunk.lse, Double.NEGATIVE_INFINITY);
        for (int b = 0; b < schedule.size(); b++) {
            int w = schedule.branch(b).segmentLength();
            long end = first + n;
            for (long segmentStart = Math.floorDiv(first, w) * (long) w; segmentStart < end; segmentStart += w) {
                long pieceEnd = Math.min(end, segmentStart + w);
                for (int h = 0; h < heads; h++) {
                    attendPiece(chunk, b, h, segmentStart, Math.max(first, segmentStart), pieceEnd, state);
                }
                if (pieceEnd == segmentStart + w) {
                    state.clearBranch(b);
                }
            }
        }
        return chunk.out;
    }

    /** Positions [pieceStart, pieceEnd) of one segment starting at segmentStart, one head of one branch. */
    private void attendPiece(Chunk c, int b, int h, long segmentStart, long pieceStart, long pieceEnd,
                             AttentionState state) {
        Branch branch = schedule.branch(b);
        int r = branch.dilatedRatio();
        int offset = schedule.offset(b, h, heads);
        int fromRow = (int) (pieceStart - segmentStart);
        int toRow = (int) (pieceEnd - segmentStart);
        int firstKept = firstKeptRow(fromRow, offset, r);
        if (firstKept >= toRow) {
            return;
        }
        int m = (toRow - 1 - firstKept) / r + 1;
        int chunkRow0 = (int) (segmentStart + firstKept - c.first);
        int prior = state.rows(b, h);
        INDArray queries = gather(c, m, chunkRow0, r, h, 0, firstKept, branch, false); // [m, D]
        state.append(b, h, gather(c, m, chunkRow0, r, h, 1, firstKept, branch, true),  // [m, D]
                gather(c, m, chunkRow0, r, h, 2, firstKept, branch, false));          // [m, D]
        INDArray keys = state.keys(b, h);     // [prior + m, D]
        INDArray values = state.values(b, h); // [prior + m, D]
        for (int j0 = 0; j0 < m; j0 += QUERY_BLOCK) {
            int j1 = Math.min(m, j0 + QUERY_BLOCK);
            attendBlock(c, queries.get(NDArrayIndex.interval(j0, j1), NDArrayIndex.all()),
                    keys.get(NDArrayIndex.interval(0, prior + j1), NDArrayIndex.all()),
                    values.get(NDArrayIndex.interval(0, prior + j1), NDArrayIndex.all()),
                    prior + j0, h, chunkRow0 + j0 * r, r);
        }
    }

    /** Smallest local row t >= fromRow with t >= offset and (t - offset) divisible by r. */
    static int firstKeptRow(int fromRow, int offset, int r) {
        if (fromRow <= offset) {
            return offset;
        }
        return offset + (fromRow - offset + r - 1) / r * r;
    }

    /**
     * One block of queries against the keys they may see: query i of the block sees keys [0, diagonal + i].
     * The two products are gemms; the causal softmax runs in one Java pass per row over a copy of the scores,
     * with the mask as a loop bound (ND4J's strided and broadcast element-wise ops cost several times more).
     * Merges each query's output and lse into the chunk's accumulators.
     */
    private void attendBlock(Chunk c, INDArray queries, INDArray keys, INDArray values, int diagonal, int h,
                             int chunkRow0, int r) {
        int qb = (int) queries.rows();
        int visible = (int) keys.rows();
        INDArray scores = Arrays2.scratch(c.scoreScratch, qb, visible); // [qb, visible]
        Nd4j.gemm(queries, keys, scores, false, true, 1.0, 0.0);       // queries carry the softmax scale
        float[] s = c.scoreRows; // [qb, visible] row-major, then the unnormalised probabilities
        Arrays2.copyOut(scores, s, qb * visible);
        double[] lse = new double[qb];  // [qb]
        double[] norm = new double[qb]; // [qb]
        for (int i = 0; i < qb; i++) {
            int row = i * visible;
            int seen = diagonal + i + 1;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < seen; j++) {
                max = Math.max(max, s[row + j]);
            }
            double sum = 0;
            for (int j = 0; j < seen; j++) {
                float e = (float) Math.exp(s[row + j] - max);
                s[row + j] = e;
                sum += e;
            }
            Arrays.fill(s, row + seen, row + visible, 0f);
            lse[i] = max + Math.log(sum);
            norm[i] = 1.0 / sum;
        }
        Arrays2.copyIn(s, qb * visible, scores);
        INDArray weighted = Arrays2.scratch(c.outScratch, qb, headDim); // [qb, D], not yet divided by the sums
        Nd4j.gemm(scores, values, weighted, false, false, 1.0, 0.0);
        float[] unnormalised = Arrays2.rowMajor(weighted);
        for (int i = 0; i < qb; i++) {
            merge(c, chunkRow0 + i * r, h, unnormalised, i * headDim, norm[i], lse[i]);
        }
    }

    /** Adds one branch's (output, lse) for (row, head) to the running log-sum-exp mixture (spec section 3). */
    private void merge(Chunk c, int row, int h, float[] o, int oOff, double norm, double lse) {
        int li = row * heads + h;
        int col = row * heads * headDim + h * headDim;
        double previous = c.lse[li];
        if (previous == Double.NEGATIVE_INFINITY) {
            for (int d = 0; d < headDim; d++) {
                c.out[col + d] = (float) (o[oOff + d] * norm);
            }
            c.lse[li] = lse;
            return;
        }
        double m = Math.max(previous, lse);
        double wOld = Math.exp(previous - m);
        double wNew = Math.exp(lse - m);
        double total = wOld + wNew;
        for (int d = 0; d < headDim; d++) {
            c.out[col + d] = (float) ((wOld * c.out[col + d] + wNew * o[oOff + d] * norm) / total);
        }
        c.lse[li] = m + Math.log(total);
    }

    /**
     * Gathers m kept rows (chunk rows chunkRow0, +r, ...) of head h from q (part 0), k (1) or v (2), applying
     * xPos at segment-relative positions for q and k, and the softmax scale to q. Returns [m, D].
     */
    private INDArray gather(Chunk c, int m, int chunkRow0, int r, int h, int part, int firstKept, Branch branch,
                            boolean isKey) {
        int width = heads * headDim;
        float[] rows = new float[m * headDim]; // [m, D]
        double factor = part == 0 ? softmaxScale : 1.0;
        // Any per-segment shift of the scale position leaves logits unchanged; centring keeps sigma in range.
        double centre = branch.segmentLength() / 2;
        for (int i = 0; i < m; i++) {
            int src = (chunkRow0 + i * r) * 3 * width + part * width + h * headDim;
            if (xpos != null && part < 2) {
                double t = firstKept + (double) i * r;
                xpos.apply(c.qkv, src, rows, i * headDim, t, t - centre, isKey, factor);
            } else if (factor != 1.0) {
                for (int d = 0; d < headDim; d++) {
                    rows[i * headDim + d] = (float) (c.qkv[src + d] * factor);
                }
            } else {
                System.arraycopy(c.qkv, src, rows, i * headDim, headDim);
            }
        }
        return Arrays2.matrix(rows, m, headDim);
    }

    /** The chunk being attended and its accumulators. */
    private record Chunk(float[] qkv, int n, long first, float[] out /* [n, E] */, double[] lse /* [n, H] */,
                         INDArray scoreScratch /* [QUERY_BLOCK * maxVisibleKeys] */,
                         INDArray outScratch /* [QUERY_BLOCK * D] */,
                         float[] scoreRows /* [QUERY_BLOCK * maxVisibleKeys] */) {
    }
}
