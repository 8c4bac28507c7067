package io.longnet.decoder;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The vector row kernels against plain double-precision formulas, at widths that reach the scalar tails. */
class VectorRowsTest {

    private static final int[] WIDTHS = {1, 7, 16, 17, 40, 773};

    @Test
    void layerNormMatchesTheDoubleFormulaAlsoForRowsFarFromZero() {
        Random random = new Random(3);
        for (int width : WIDTHS) {
            for (double offset : new double[] {0, 1000}) {
                float[] row = gaussian(random, width, offset, 2.5);
                float[] gamma = gaussian(random, width, 1, 0.3);
                float[] beta = gaussian(random, width, 0, 0.3);
                float[] out = new float[width];
                VectorRows.layerNorm(row, out, gamma, beta, 1e-5);
                double[] expected = layerNorm(row, gamma, beta, 1e-5);
                for (int i = 0; i < width; i++) {
                    // a float row near 1000 carries ~6e-5 absolute rounding in its inputs, 2.4e-5 std units
                    double tolerance = offset == 0 ? 2e-6 : 1e-4;
                    assertThat((double) out[i]).as("width %d offset %s entry %d", width, offset, i)
                            .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(tolerance * (1 + Math.abs(expected[i]))));
                }
                VectorRows.layerNorm(row, row, gamma, beta, 1e-5); // in place gives the same
                assertThat(row).containsExactly(out);
            }
        }
    }

    @Test
    void aConstantRowNormalisesToBeta() {
        float[] row = new float[37];
        java.util.Arrays.fill(row, 4.25f);
        float[] gamma = new float[37];
        java.util.Arrays.fill(gamma, 2f);
        float[] beta = gaussian(new Random(1), 37, 0, 1);
        VectorRows.layerNorm(row, row, gamma, beta, 1e-5);
        assertThat(row).containsExactly(beta);
    }

    @Test
    void vectorNormalCdfIsWithinThreeTimesTenToTheMinusSevenOfTheExactErf() {
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        float[] x = new float[lanes];
        float[] phi = new float[lanes];
        double worst = 0;
        for (int i = -100_000; i <= 100_000; i += lanes) {
            for (int j = 0; j < lanes; j++) {
                x[j] = (i + j) / 10_000f; // [-10, 10] in steps of 1e-4
            }
            io.longnet.compute.VectorMath.normalCdf(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, 0)).intoArray(phi, 0);
            for (int j = 0; j < lanes; j++) {
                worst = Math.max(worst, Math.abs(phi[j] - 0.5 * (1 + Erf.erf(x[j] / Math.sqrt(2)))));
            }
        }
        assertThat(worst).isLessThan(3e-7);
    }

    @Test
    void activationsWithTheirBiasMatchTheirFormulas() {
        Random random = new Random(5);
        for (int width : WIDTHS) {
            float[] row = gaussian(random, width, 0, 4);
            float[] bias = gaussian(random, width, 0, 1);
            float[] gelu = row.clone();
            float[] relu = row.clone();
            float[] swish = row.clone();
            VectorRows.biasGelu(gelu, bias);
            VectorRows.biasRelu(relu, bias);
            VectorRows.biasSwish(swish, bias);
            for (int i = 0; i < width; i++) {
                double v = (double) row[i] + bias[i];
                double scale = 1 + Math.abs(v);
                assertThat((double) gelu[i]).isCloseTo(v * 0.5 * (1 + Erf.erf(v / Math.sqrt(2))),
                        org.assertj.core.data.Offset.offset(4e-7 * scale));
                assertThat((double) relu[i]).isCloseTo(Math.max(0, v), org.assertj.core.data.Offset.offset(1e-6 * scale));
                assertThat((double) swish[i]).isCloseTo(v / (1 + Math.exp(-v)),
                        org.assertj.core.data.Offset.offset(1e-6 * scale));
            }
        }
    }

    @Test
    void shiftIsAlphaTimesTheRowPlusTheBias() {
        Random random = new Random(9);
        for (int width : WIDTHS) {
            float[] row = gaussian(random, width, 0, 3);
            float[] bias = gaussian(random, width, 0, 1);
            float[] out = new float[width];
            VectorRows.shift(row, 1.7f, bias, out);
            for (int i = 0; i < width; i++) {
                assertThat(out[i]).isCloseTo(1.7f * row[i] + bias[i], org.assertj.core.data.Offset.offset(1e-5f));
            }
        }
    }

    private static double[] layerNorm(float[] row, float[] gamma, float[] beta, double eps) {
        double mean = 0;
        for (float v : row) {
            mean += v;
        }
        mean /= row.length;
        double variance = 0;
        for (float v : row) {
            variance += (v - mean) * (v - mean);
        }
        variance /= row.length;
        double[] out = new double[row.length];
        for (int i = 0; i < row.length; i++) {
            out[i] = (row[i] - mean) / Math.sqrt(variance + eps) * gamma[i] + beta[i];
        }
        return out;
    }

    private static float[] gaussian(Random random, int n, double mean, double std) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (mean + std * random.nextGaussian());
        }
        return out;
    }
}
