package io.longnet.attention;

import io.longnet.model.DilationSchedule;

/**
 * What one attention layer must remember of a stream (spec section 7): per (branch, head), the kept rows of
 * the open segment, keys and values, rows <= ceil(w / r). With xPos, keys are kept rotated at their
 * segment-relative position but not scaled: the scale is applied relative to each query block when attending
 * (see {@link DilatedAttention}), so what is kept depends neither on the chunking nor on the segment length.
 * Buffers grow by doubling up to that bound, so the memory held follows the rows actually kept.
 *
 * <p>Storage, in the layout the kernel reads (L = {@link KeyPanels#LANES} lanes, Dp = D rounded up to L):
 * keys as panels of L consecutive rows transposed, {@code [ceil(capacity / L)][D][L]}; values row-major
 * {@code [capacity][Dp]}, zero past D (columns past D are never written).
 */
public final class AttentionState {

    private static final int MIN_CAPACITY = 16;

    private final int heads;
    private final int headDim;
    private final int paddedDim;
    private final int[] maxRows;      // [branches * heads]
    private final int[] rows;         // [branches * heads]
    private final float[][] keys;     // [branches * heads] of key panels [capacity / L][D][L]
    private final float[][] values;   // [branches * heads] of [capacity][Dp]

    public AttentionState(DilationSchedule schedule, int heads, int headDim) {
        int branches = schedule.size();
        this.heads = heads;
        this.headDim = headDim;
        this.paddedDim = KeyPanels.padded(headDim);
        this.maxRows = new int[branches * heads];
        this.rows = new int[branches * heads];
        this.keys = new float[branches * heads][0];
        this.values = new float[branches * heads][0];
        for (int b = 0; b < branches; b++) {
            for (int h = 0; h < heads; h++) {
                maxRows[b * heads + h] = schedule.branch(b).keptRows(schedule.offset(b, h, heads));
            }
        }
    }

    public int rows(int branch, int head) {
        return rows[branch * heads + head];
    }

    /** A copy of kept keys [from, to) of (branch, head), [to - from, D] row-major (with xPos: rotated, unscaled). */
    public float[] keyRows(int branch, int head, int from, int to) {
        int i = checkedRange(branch, head, from, to);
        float[] out = new float[(to - from) * headDim]; // [to - from, D]
        for (int row = from; row < to; row++) {
            KeyPanels.read(keys[i], headDim, row, out, (row - from) * headDim);
        }
        return out;
    }

    /** A copy of kept values [from, to) of (branch, head), [to - from, D] row-major. */
    public float[] valueRows(int branch, int head, int from, int to) {
        int i = checkedRange(branch, head, from, to);
        float[] out = new float[(to - from) * headDim]; // [to - from, D]
        for (int row = from; row < to; row++) {
            System.arraycopy(values[i], row * paddedDim, out, (row - from) * headDim, headDim);
        }
        return out;
    }

    private int checkedRange(int branch, int head, int from, int to) {
        int i = branch * heads + head;
        if (from < 0 || from > to || to > rows[i]) {
            throw new IllegalArgumentException("rows [" + from + ", " + to + ") of branch " + branch + " head " + head
                    + ", which keeps " + rows[i]);
        }
        return i;
    }

    /**
     * Every (branch, head)'s kept rows, copied: what a chunk's attention sees of the stream before it, and so what
     * its backward pass needs (the rows enter as constants).
     *
     * @param keys   [branches * H] of [rows, D] row-major, index branch * H + head (with xPos: rotated, unscaled)
     * @param values [branches * H] of [rows, D] row-major
     */
    public record KeptRows(float[][] keys, float[][] values) {
    }

    public KeptRows copyKept() {
        int pairs = rows.length;
        float[][] k = new float[pairs][];
        float[][] v = new float[pairs][];
        for (int i = 0; i < pairs; i++) {
            k[i] = keyRows(i / heads, i % heads, 0, rows[i]);
            v[i] = valueRows(i / heads, i % heads, 0, rows[i]);
        }
        return new KeptRows(k, v);
    }

    /** Appends newly kept rows (restored from durable state); keys and values [m, D] row-major. */
    public void append(int branch, int head, float[] k, float[] v) {
        if (k.length != v.length || k.length % headDim != 0) {
            throw new IllegalArgumentException("appending " + k.length + " key and " + v.length + " value floats to"
                    + " branch " + branch + " head " + head + ": not whole rows of " + headDim);
        }
        int m = k.length / headDim;
        int first = reserve(branch, head, m);
        for (int j = 0; j < m; j++) {
            setRow(branch, head, first + j, k, j * headDim, v, j * headDim);
        }
    }

    /**
     * Forgets the rows of (branch, head) past the first {@code keep}: undoes the appends of a forward pass that
     * failed. The rows below {@code keep} must not have been overwritten since (no segment closed in between).
     */
    public void truncate(int branch, int head, int keep) {
        int i = branch * heads + head;
        if (keep < 0 || keep > rows[i]) {
            throw new IllegalArgumentException("cannot keep " + keep + " rows of branch " + branch + " head " + head
                    + ", which keeps " + rows[i]);
        }
        rows[i] = keep;
    }

    /** Makes room for m more rows of (branch, head) and counts them as kept; returns the first new row. */
    int reserve(int branch, int head, int m) {
        int i = branch * heads + head;
        int needed = rows[i] + m;
        if (needed > maxRows[i]) {
            throw new IllegalStateException("branch " + branch + " head " + head + " would keep " + needed
                    + " rows, more than its segment allows (" + maxRows[i] + ")");
        }
        int capacity = values[i].length / paddedDim;
        if (needed > capacity) {
            int grown = KeyPanels.roundUp(Math.min(maxRows[i], Math.max(needed, Math.max(MIN_CAPACITY, 2 * capacity))));
            keys[i] = java.util.Arrays.copyOf(keys[i], grown * headDim);
            values[i] = java.util.Arrays.copyOf(values[i], grown * paddedDim);
        }
        int first = rows[i];
        rows[i] = needed;
        return first;
    }

    /** Writes kept row {@code row} of (branch, head): D key values at k[kOff..], D values at v[vOff..]. */
    void setRow(int branch, int head, int row, float[] k, int kOff, float[] v, int vOff) {
        int i = branch * heads + head;
        KeyPanels.write(keys[i], headDim, row, k, kOff);
        System.arraycopy(v, vOff, values[i], row * paddedDim, headDim);
    }

    /** Key panels of (branch, head), [ceil(rows / L)][D][L]; lanes past {@link #rows} are not meaningful. */
    float[] keyPanels(int branch, int head) {
        return keys[branch * heads + head];
    }

    /** Values of (branch, head), [rows][Dp] row-major, zero past D. */
    float[] paddedValues(int branch, int head) {
        return values[branch * heads + head];
    }

    /**
     * An upper bound of {@link #heldFloats()} for this schedule: every (branch, head) at its segment's bound,
     * rounded up to whole key panels, values padded to whole vectors. Computed for vectors of up to
     * {@link #MAX_LANES} floats without the Vector API, so that a job client without it can check memory.
     */
    public static long maxHeldFloats(DilationSchedule schedule, int heads, int headDim) {
        long sum = 0;
        for (int b = 0; b < schedule.size(); b++) {
            for (int h = 0; h < heads; h++) {
                long capacity = roundUpToLanes(schedule.branch(b).keptRows(schedule.offset(b, h, heads)));
                sum += capacity * (headDim + roundUpToLanes(headDim));
            }
        }
        return sum;
    }

    /** The widest float vector the bound allows for: 16 (AVX-512). */
    static final int MAX_LANES = 16;

    private static long roundUpToLanes(long n) {
        return (n + MAX_LANES - 1) / MAX_LANES * MAX_LANES;
    }

    /** Floats allocated for keys and values (JVM heap), used or not. */
    public long heldFloats() {
        long sum = 0;
        for (int i = 0; i < keys.length; i++) {
            sum += keys[i].length + values[i].length;
        }
        return sum;
    }

    /**
     * An upper bound of {@link #heldFloats()} once the next chunk of {@code tokens} rows has been taken in: each
     * (branch, head) keeps at most {@code tokens} more rows (up to its segment's bound), and {@link #reserve} grows a
     * buffer to at most twice the rows it needs, rounded up to whole panels. What the encoder reserves in memory
     * before a forward.
     */
    public long heldFloatsAfter(int tokens) {
        long sum = 0;
        for (int i = 0; i < keys.length; i++) {
            int capacity = values[i].length / paddedDim;
            long needed = Math.min(maxRows[i], (long) rows[i] + tokens);
            long after = needed <= capacity ? capacity
                    : KeyPanels.roundUp((int) Math.min(maxRows[i], Math.max(MIN_CAPACITY, 2 * needed)));
            sum += after * (headDim + paddedDim);
        }
        return sum;
    }

    /** The segment of (branch, head) closed. Old rows stay in the buffers but are never read again. */
    void clear(int branch, int head) {
        rows[branch * heads + head] = 0;
    }

    /** Floats held for kept rows (keys and values). */
    public long keptFloats() {
        long sum = 0;
        for (int r : rows) {
            sum += 2L * r * headDim;
        }
        return sum;
    }
}
