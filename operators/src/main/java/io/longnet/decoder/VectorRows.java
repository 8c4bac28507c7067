package io.longnet.decoder;

import io.longnet.compute.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The decoder's row-wise arithmetic in Java vectors: LayerNorm, residual shifts and the feed-forward activation
 * with its bias, each one pass over a row [width] held in a Java array. Widths need not be a multiple of the
 * vector length: the tail runs in scalar code with the same formula.
 */
final class VectorRows {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();


    private VectorRows() {
    }

    /**
     * out [width] = (row - mean) / sqrt(var + eps) * gamma + beta, biased variance; out may be row. The mean is
     * corrected by the centred pass's own sum, so rows far from zero keep float accuracy.
     */
    static void layerNorm(float[] row, float[] out, float[] gamma, float[] beta, double eps) {
        int width = row.length;
        float guess = sum(row) / width;
        float centredSum = 0;
        float squares = 0;
        FloatVector sumV = FloatVector.zero(S);
        FloatVector squaresV = FloatVector.zero(S);
        int i = 0;
        for (; i <= width - L; i += L) {
            FloatVector c = FloatVector.fromArray(S, row, i).sub(guess);
            sumV = sumV.add(c);
            squaresV = c.fma(c, squaresV);
        }
        for (; i < width; i++) {
            float c = row[i] - guess;
            centredSum += c;
            squares += c * c;
        }
        centredSum += VectorMath.sum(sumV);
        squares += VectorMath.sum(squaresV);
        float shift = centredSum / width; // mean - guess
        float variance = Math.max(0f, squares / width - shift * shift);
        float mean = guess + shift;
        float inverseStd = (float) (1.0 / Math.sqrt(variance + eps));
        i = 0;
        for (; i <= width - L; i += L) {
            FloatVector g = FloatVector.fromArray(S, gamma, i).mul(inverseStd);
            FloatVector.fromArray(S, row, i).sub(mean).fma(g, FloatVector.fromArray(S, beta, i)).intoArray(out, i);
        }
        for (; i < width; i++) {
            out[i] = (row[i] - mean) * (inverseStd * gamma[i]) + beta[i];
        }
    }

    private static float sum(float[] row) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i <= row.length - L; i += L) {
            acc = acc.add(FloatVector.fromArray(S, row, i));
        }
        float tail = 0;
        for (; i < row.length; i++) {
            tail += row[i];
        }
        return VectorMath.sum(acc) + tail;
    }

    /** out [width] = alpha * row + bias; out may be row. */
    static void shift(float[] row, float alpha, float[] bias, float[] out) {
        int width = row.length;
        int i = 0;
        for (; i <= width - L; i += L) {
            FloatVector.fromArray(S, row, i).mul(alpha).add(FloatVector.fromArray(S, bias, i)).intoArray(out, i);
        }
        for (; i < width; i++) {
            out[i] = alpha * row[i] + bias[i];
        }
    }

    /** row [width] = gelu(row + bias) in place, GELU x Phi(x) with Phi within 3e-7 of the erf form. */
    static void biasGelu(float[] row, float[] bias) {
        int width = row.length;
        int i = 0;
        for (; i <= width - L; i += L) {
            FloatVector v = FloatVector.fromArray(S, row, i).add(FloatVector.fromArray(S, bias, i));
            v.mul(VectorMath.normalCdf(v)).intoArray(row, i);
        }
        for (; i < width; i++) {
            float v = row[i] + bias[i];
            row[i] = v * Erf.normalCdf(v);
        }
    }

    /** row [width] = max(0, row + bias) in place. */
    static void biasRelu(float[] row, float[] bias) {
        int width = row.length;
        int i = 0;
        for (; i <= width - L; i += L) {
            FloatVector.fromArray(S, row, i).add(FloatVector.fromArray(S, bias, i)).max(0f).intoArray(row, i);
        }
        for (; i < width; i++) {
            row[i] = Math.max(0f, row[i] + bias[i]);
        }
    }

    /** row [width] = swish(row + bias) = v sigmoid(v) in place. */
    static void biasSwish(float[] row, float[] bias) {
        int width = row.length;
        int i = 0;
        for (; i <= width - L; i += L) {
            FloatVector v = FloatVector.fromArray(S, row, i).add(FloatVector.fromArray(S, bias, i));
            v.div(VectorMath.exp(v.neg()).add(1f)).intoArray(row, i);
        }
        for (; i < width; i++) {
            float v = row[i] + bias[i];
            row[i] = v / (1f + (float) Math.exp(-v));
        }
    }
}
