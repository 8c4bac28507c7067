package io.longnet.decoder;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * LayerNorm over the last dimension: (x - mean) / sqrt(var + eps) * gamma + beta (biased variance), one pass
 * per row in Java vectors ({@link VectorRows#layerNorm}), rows split across the compute threads.
 */
final class LayerNorm {

    private final float[] gamma; // [width]
    private final float[] beta;  // [width]
    private final double eps;

    LayerNorm(float[] gamma, float[] beta, double eps) {
        if (gamma.length != beta.length) {
            throw new IllegalArgumentException("LayerNorm weight has " + gamma.length + " entries but bias has "
                    + beta.length);
        }
        this.gamma = gamma.clone();
        this.beta = beta.clone();
        this.eps = eps;
    }

    int width() {
        return gamma.length;
    }

    /** x [rows, width] normalised in place. */
    void applyInPlace(INDArray x) {
        RowRanges.update(rowsOf(x), row -> normalise(row, row));
    }

    /** row [width] normalised into out [width]; out may be row. */
    void normalise(float[] row, float[] out) {
        VectorRows.layerNorm(row, out, gamma, beta, eps);
    }

    /** Row access to x [rows, width], refused with its shape when the width is not this norm's. */
    NativeRows rowsOf(INDArray x) {
        if (x.rank() != 2 || x.columns() != width()) {
            throw new IllegalArgumentException("LayerNorm of width " + width() + " got shape "
                    + java.util.Arrays.toString(x.shape()));
        }
        return new NativeRows(x);
    }
}
