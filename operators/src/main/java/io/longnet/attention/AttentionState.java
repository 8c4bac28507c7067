package io.longnet.attention;

import io.longnet.model.DilationSchedule;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * What one attention layer must remember of a stream (spec section 7): per (branch, head), the kept rows of
 * the open segment, keys (after xPos) and values, each [rows, D] with rows <= ceil(w / r). Buffers grow by
 * doubling up to that bound, so the memory held follows the rows actually kept.
 */
public final class AttentionState {

    private static final int MIN_CAPACITY = 16;

    private final int branches;
    private final int heads;
    private final int headDim;
    private final int[] maxRows;      // [branches * heads]
    private final int[] rows;         // [branches * heads]
    private final INDArray[] keys;    // [branches * heads] of [capacity, D]
    private final INDArray[] values;  // [branches * heads] of [capacity, D]

    public AttentionState(DilationSchedule schedule, int heads, int headDim) {
        this.branches = schedule.size();
        this.heads = heads;
        this.headDim = headDim;
        this.maxRows = new int[branches * heads];
        this.rows = new int[branches * heads];
        this.keys = new INDArray[branches * heads];
        this.values = new INDArray[branches * heads];
        for (int b = 0; b < branches; b++) {
            for (int h = 0; h < heads; h++) {
                maxRows[b * heads + h] = schedule.branch(b).keptRows(schedule.offset(b, h, heads));
            }
        }
    }

    public int rows(int branch, int head) {
        return rows[branch * heads + head];
    }

    /** The kept keys of (branch, head), a view [rows, D]; valid until the next append or clear. */
    public INDArray keys(int branch, int head) {
        return prefix(keys[branch * heads + head], rows(branch, head));
    }

    /** The kept values of (branch, head), a view [rows, D]. */
    public INDArray values(int branch, int head) {
        return prefix(values[branch * heads + head], rows(branch, head));
    }

    private static INDArray prefix(INDArray buffer, int rows) {
        return buffer.get(NDArrayIndex.interval(0, rows), NDArrayIndex.all());
    }

    /** Appends newly kept rows; keys and values [m, D]. */
    public void append(int branch, int head, INDArray newKeys, INDArray newValues) {
        int i = branch * heads + head;
        int m = (int) newKeys.rows();
        int needed = rows[i] + m;
        if (needed > maxRows[i]) {
            throw new IllegalStateException("branch " + branch + " head " + head + " would keep " + needed
                    + " rows, more than its segment allows (" + maxRows[i] + ")");
        }
        ensureCapacity(i, needed);
        keys[i].get(NDArrayIndex.interval(rows[i], needed), NDArrayIndex.all()).assign(newKeys);
        values[i].get(NDArrayIndex.interval(rows[i], needed), NDArrayIndex.all()).assign(newValues);
        rows[i] = needed;
    }

    private void ensureCapacity(int i, int needed) {
        long capacity = keys[i] == null ? 0 : keys[i].rows();
        if (needed <= capacity) {
            return;
        }
        int grown = (int) Math.min(maxRows[i], Math.max(needed, Math.max(MIN_CAPACITY, 2 * capacity)));
        INDArray k;
        INDArray v;
        // The state outlives the forward pass's workspace, so its buffers are allocated outside any workspace.
        try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            k = Nd4j.create(DataType.FLOAT, grown, headDim);
            v = Nd4j.create(DataType.FLOAT, grown, headDim);
        }
        if (rows[i] > 0) {
            prefix(k, rows[i]).assign(prefix(keys[i], rows[i]));
            prefix(v, rows[i]).assign(prefix(values[i], rows[i]));
        }
        keys[i] = k;
        values[i] = v;
    }

    /** A segment of this branch closed: its rows are never looked at again (buffers are reused). */
    public void clearBranch(int branch) {
        for (int h = 0; h < heads; h++) {
            rows[branch * heads + h] = 0;
        }
    }

    /** Floats allocated for keys and values, used or not. */
    public long heldFloats() {
        long sum = 0;
        for (INDArray k : keys) {
            sum += k == null ? 0 : 2 * k.length();
        }
        return sum;
    }

    /** Floats held for kept rows (keys and values). */
    public long keptFloats() {
        long sum = 0;
        for (int r : rows) {
            sum += 2L * r * headDim;
        }
        return sum;
    }

    public void write(DataOutput out) throws IOException {
        for (int i = 0; i < rows.length; i++) {
            out.writeInt(rows[i]);
            if (rows[i] > 0) {
                writeFloats(out, Arrays2.rowMajor(prefix(keys[i], rows[i])));
                writeFloats(out, Arrays2.rowMajor(prefix(values[i], rows[i])));
            }
        }
    }

    public void read(DataInput in) throws IOException {
        for (int i = 0; i < rows.length; i++) {
            int r = in.readInt();
            if (r < 0 || r > maxRows[i]) {
                throw new IOException("state holds " + r + " rows for branch " + i / heads + " head " + i % heads
                        + ", but this model keeps at most " + maxRows[i]);
            }
            rows[i] = 0;
            if (r > 0) {
                append(i / heads, i % heads, Arrays2.matrix(readFloats(in, r * headDim), r, headDim),
                        Arrays2.matrix(readFloats(in, r * headDim), r, headDim));
            }
        }
    }

    private static void writeFloats(DataOutput out, float[] values) throws IOException {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(values.length * 4);
        buf.asFloatBuffer().put(values);
        out.write(buf.array());
    }

    private static float[] readFloats(DataInput in, int count) throws IOException {
        byte[] bytes = new byte[count * 4];
        in.readFully(bytes);
        float[] out = new float[count];
        java.nio.ByteBuffer.wrap(bytes).asFloatBuffer().get(out);
        return out;
    }
}
