package io.longnet.decoder;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * LayerNorm over the last dimension: (x - mean) / sqrt(var + eps) * gamma + beta (biased variance).
 * One pass over the rows (see {@link NativeRows}): mean and variance of a row in double, then the row
 * normalised in float.
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

    /** x [rows, width] to a new [rows, width] (in the current workspace, if any). */
    INDArray apply(INDArray x) {
        INDArray out = x.ulike(); // [rows, width]
        applyTo(x, out);
        return out;
    }

    /** x [rows, width] normalised in place. */
    void applyInPlace(INDArray x) {
        applyTo(x, x);
    }

    private void applyTo(INDArray x, INDArray out) {
        int width = gamma.length;
        if (x.rank() != 2 || x.columns() != width) {
            throw new IllegalArgumentException("LayerNorm of width " + width + " got shape "
                    + java.util.Arrays.toString(x.shape()));
        }
        NativeRows in = new NativeRows(x);
        NativeRows to = new NativeRows(out);
        float[] row = new float[width]; // [width]
        for (int r = 0; r < x.rows(); r++) {
            in.read(r, row);
            normalise(row);
            to.write(r, row);
        }
    }

    /** One row [width] in place. */
    private void normalise(float[] row) {
        int width = row.length;
        double sum = 0;
        for (float v : row) {
            sum += v;
        }
        double mean = sum / width;
        double squares = 0;
        for (float v : row) {
            double c = v - mean;
            squares += c * c;
        }
        float m = (float) mean;
        float inverseStd = (float) (1.0 / Math.sqrt(squares / width + eps));
        for (int i = 0; i < width; i++) {
            row[i] = (row[i] - m) * inverseStd * gamma[i] + beta[i];
        }
    }
}
