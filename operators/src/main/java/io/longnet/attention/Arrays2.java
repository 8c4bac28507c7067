package io.longnet.attention;

import io.longnet.model.ModelConfig;

import java.nio.FloatBuffer;
import java.util.Arrays;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Moving data between row-major Java float arrays and ND4J, with bulk copies (never element by element). */
public final class Arrays2 {

    private Arrays2() {
    }

    /** A copy of {@code a}'s values in row-major order, whatever its ordering or view offset. */
    public static float[] rowMajor(INDArray a) {
        INDArray dense = isDenseRowMajor(a) ? a : a.dup('c');
        float[] out = new float[(int) dense.length()];
        pointer(dense).get(out);
        return out;
    }

    /**
     * The values of a dense row-major float array as a buffer over its native memory (no copy), index 0 at
     * its first element. Valid while {@code a} is reachable and its workspace open.
     */
    public static FloatBuffer view(INDArray a) {
        if (!isDenseRowMajor(a)) {
            throw new IllegalArgumentException("a native view needs a dense row-major float array, got ordering "
                    + a.ordering() + ", element stride " + a.elementWiseStride() + ", type " + a.dataType());
        }
        if (a.length() > ModelConfig.MAX_VIEW_FLOATS) {
            throw new IllegalArgumentException("a native view of " + Arrays.toString(a.shape()) + " = " + a.length()
                    + " floats spans more than 2^31 bytes (" + ModelConfig.MAX_VIEW_FLOATS + " floats): a smaller "
                    + "chunk-size keeps it within ModelConfig.maxChunkTokens()");
        }
        FloatPointer p = pointer(a);
        return p.limit(p.position() + a.length()).asBuffer();
    }

    /**
     * Copies row r of a dense row-major float matrix [rows, cols] into {@code dst} [cols]. Several threads may
     * copy at once; offsets are long, so the matrix may hold more than 2^31 values.
     */
    public static void copyRow(INDArray a, long r, float[] dst) {
        if (a.rank() != 2 || !isDenseRowMajor(a) || r < 0 || r >= a.rows() || dst.length != a.columns()) {
            throw new IllegalArgumentException("row " + r + " into " + dst.length + " floats needs a dense row-major"
                    + " float matrix with that many columns, got " + java.util.Arrays.toString(a.shape())
                    + " ordering " + a.ordering() + " type " + a.dataType());
        }
        pointer(a).position(r * dst.length).get(dst, 0, dst.length);
    }

    /** A float32 matrix [rows, cols] holding a copy of {@code data} (row-major). */
    public static INDArray matrix(float[] data, int rows, int cols) {
        INDArray a = Nd4j.createUninitialized(DataType.FLOAT, rows, cols);
        pointer(a).put(data, 0, rows * cols);
        return a;
    }

    /**
     * A dense row-major [rows, cols] view over the first rows * cols floats of a flat scratch buffer, so that
     * blocks of varying shape reuse one allocation.
     */
    public static INDArray scratch(INDArray flat, int rows, int cols) {
        return flat.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, (long) rows * cols)).reshape('c', rows, cols);
    }

    /** W^T for a torchscale Linear weight W [out, in], so that y = x . W^T is one gemm: [in, out]. */
    public static INDArray transposed(float[] weight, int out, int in) {
        return matrix(weight, out, in).transpose().dup('c');
    }

    private static boolean isDenseRowMajor(INDArray a) {
        return a.ordering() == 'c' && a.elementWiseStride() == 1 && a.dataType() == DataType.FLOAT;
    }

    /**
     * The native memory at the array's first element. A view's buffer already starts at the view's offset
     * (ND4J gives a view that starts past element 0 a buffer of its own over the parent's memory).
     */
    private static FloatPointer pointer(INDArray a) {
        return new FloatPointer(a.data().addressPointer());
    }
}
