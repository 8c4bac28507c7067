package io.longnet.decoder;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Row-at-a-time access to a dense row-major float32 matrix in ND4J's native memory: a row is copied into a
 * Java array in one bulk copy, worked on there (where the JIT vectorises the loops), and copied back. One pass
 * over the matrix replaces the several whole-matrix ND4J ops (each a pass of its own) that a row-wise
 * formula like LayerNorm takes.
 */
final class NativeRows {

    private final FloatPointer base;
    private final int width;

    /** @param a a dense row-major [rows, width] float32 matrix, e.g. what a gemm or {@code mmul} returned */
    NativeRows(INDArray a) {
        if (a.rank() != 2 || a.dataType() != DataType.FLOAT || a.stride(1) != 1
                || a.rows() > 1 && a.stride(0) != a.columns()) {
            throw new IllegalArgumentException("row access needs a dense row-major float32 matrix, got "
                    + a.dataType() + " " + java.util.Arrays.toString(a.shape())
                    + " with strides " + java.util.Arrays.toString(a.stride()));
        }
        // A view's buffer already starts at the view's first element (see Arrays2.pointer).
        this.base = new FloatPointer(a.data().addressPointer());
        this.width = (int) a.columns();
    }

    /** Copies row r into {@code dst} [width]. */
    void read(int r, float[] dst) {
        base.position((long) r * width).get(dst, 0, width);
    }

    /** Copies {@code src} [width] over row r. */
    void write(int r, float[] src) {
        base.position((long) r * width).put(src, 0, width);
    }
}
