package io.longnet.attention;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Moving data between row-major Java float arrays and ND4J. */
public final class Arrays2 {

    private Arrays2() {
    }

    /** A copy of {@code a}'s values in row-major order, whatever its ordering or view offset. */
    public static float[] rowMajor(INDArray a) {
        if (a.ordering() == 'c' && !a.isView() && a.offset() == 0 && a.data().length() == a.length()) {
            return a.data().asFloat();
        }
        return a.dup('c').data().asFloat();
    }

    /** A float32 matrix [rows, cols] holding a copy of {@code data} (row-major). */
    public static INDArray matrix(float[] data, int rows, int cols) {
        return Nd4j.create(data, new long[] {rows, cols}, 'c');
    }

    /** W^T for a torchscale Linear weight W [out, in], so that y = x . W^T is one gemm: [in, out]. */
    public static INDArray transposed(float[] weight, int out, int in) {
        return matrix(weight, out, in).transpose().dup('c');
    }
}
