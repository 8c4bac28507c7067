package io.longnet.decoder;

import io.longnet.attention.Arrays2;
import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Row-at-a-time access to a dense row-major float32 matrix in ND4J's native memory: a row is copied into a
 * Java array in one bulk copy, worked on there in Java vectors, and copied back. One pass over the matrix
 * replaces the several whole-matrix ND4J ops (each a pass of its own) that a row-wise formula like LayerNorm
 * takes. Reads and writes use absolute indices, so threads may work on different rows at once.
 */
public final class NativeRows {

    private final INDArray array; // keeps the native memory reachable while rows are accessed
    private final FloatBuffer values;
    private final int rows;
    private final int width;

    /** @param a a dense row-major [rows, width] float32 matrix, e.g. what a gemm or {@code mmul} returned */
    public NativeRows(INDArray a) {
        if (a.rank() != 2 || a.dataType() != DataType.FLOAT || a.stride(1) != 1
                || a.rows() > 1 && a.stride(0) != a.columns()) {
            throw new IllegalArgumentException("row access needs a dense row-major float32 matrix, got "
                    + a.dataType() + " " + java.util.Arrays.toString(a.shape())
                    + " with strides " + java.util.Arrays.toString(a.stride()));
        }
        this.array = a;
        this.values = Arrays2.view(a);
        this.rows = (int) a.rows();
        this.width = (int) a.columns();
    }

    public int rows() {
        return rows;
    }

    public int width() {
        return width;
    }

    /** Copies row r into {@code dst} [width]. */
    public void read(int r, float[] dst) {
        values.get(r * width, dst, 0, width);
        Reference.reachabilityFence(array);
    }

    /** Copies {@code src} [width] over row r. */
    public void write(int r, float[] src) {
        values.put(r * width, src, 0, width);
        Reference.reachabilityFence(array);
    }
}
