package io.longnet.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import io.longnet.model.Activation;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Each backward against central differences of its forward in double; each vector op against its reference. */
class RowOpsTest {

    private static final double H = 1e-6;

    @Test
    void layerNormReferenceBackwardIsItsDerivative() {
        Random rnd = new Random(1);
        for (int width : new int[] {1, 3, 17, 64}) {
            double[] x = gaussian(rnd, width, 2.0);
            double[] gamma = gaussian(rnd, width, 1.0);
            double[] beta = gaussian(rnd, width, 1.0);
            double[] dy = gaussian(rnd, width, 1.0);
            double eps = 1e-5;
            double[][] grads = RowOpsReference.layerNormBackward(x, dy, gamma, eps);
            checkDerivative("dx, width " + width, x, grads[0], v -> dot(dy, RowOpsReference.layerNorm(v, gamma, beta, eps)));
            checkDerivative("dgamma, width " + width, gamma, grads[1], v -> dot(dy, RowOpsReference.layerNorm(x, v, beta, eps)));
            checkDerivative("dbeta, width " + width, beta, grads[2], v -> dot(dy, RowOpsReference.layerNorm(x, gamma, v, eps)));
        }
    }

    @Test
    void activationReferenceDerivativesAreDerivatives() {
        for (Activation a : Activation.values()) {
            for (double x : new double[] {-6.5, -2.1, -0.7, -1e-3, 0.3, 1.0, 2.5, 7.0}) {
                double numeric = (RowOpsReference.activate(a, x + H) - RowOpsReference.activate(a, x - H)) / (2 * H);
                assertThat(RowOpsReference.activationGrad(a, x)).as(a + "'(" + x + ")").isCloseTo(numeric, offset(1e-7));
            }
        }
    }

    @Test
    void crossEntropyReferenceGradientIsItsDerivative() {
        Random rnd = new Random(2);
        double[] logits = gaussian(rnd, 13, 3.0);
        checkDerivative("dlogits", logits, RowOpsReference.crossEntropyGrad(logits, 5),
                v -> RowOpsReference.crossEntropy(v, 5));
    }

    @Test
    void vectorLayerNormMatchesTheReferenceAtEveryWidth() {
        Random rnd = new Random(3);
        for (int width : new int[] {1, 7, 16, 33, 256, 1000}) {
            float[] x = floats(gaussian(rnd, width, 3.0));
            float[] gamma = floats(gaussian(rnd, width, 1.0));
            float[] beta = floats(gaussian(rnd, width, 1.0));
            float[] dy = floats(gaussian(rnd, width, 1.0));
            float[] y = new float[width];
            double[] stats = new double[4];
            RowOps.layerNorm(x, y, gamma, beta, 1e-5, stats, 1);
            assertClose("y, width " + width, y, RowOpsReference.layerNorm(doubles(x), doubles(gamma), doubles(beta), 1e-5));
            float[] dx = floats(gaussian(rnd, width, 1.0));
            float[] before = dx.clone();
            float[] dGamma = new float[width];
            float[] dBeta = new float[width];
            RowOps.layerNormBackward(x, dy, gamma, stats, 1, dx, true, dGamma, dBeta);
            double[][] expected = RowOpsReference.layerNormBackward(doubles(x), doubles(dy), doubles(gamma), 1e-5);
            for (int i = 0; i < width; i++) {
                expected[0][i] += before[i]; // accumulate: added to what dx held
            }
            assertClose("dx, width " + width, dx, expected[0]);
            assertClose("dgamma, width " + width, dGamma, expected[1]);
            assertClose("dbeta, width " + width, dBeta, expected[2]);
        }
    }

    @Test
    void vectorActivationsMatchTheReference() {
        Random rnd = new Random(4);
        for (Activation a : Activation.values()) {
            int width = 37; // whole vectors and a tail
            float[] pre = floats(gaussian(rnd, width, 3.0));
            float[] bias = floats(gaussian(rnd, width, 1.0));
            float[] act = new float[width];
            float[] biased = pre.clone();
            RowOps.biasActivate(a, biased, bias, act);
            double[] expectedAct = new double[width];
            double[] expectedGrad = new double[width];
            float[] grad = floats(gaussian(rnd, width, 1.0));
            for (int i = 0; i < width; i++) {
                double x = (double) pre[i] + bias[i];
                assertThat((double) biased[i]).isCloseTo(x, offset(1e-6));
                expectedAct[i] = RowOpsReference.activate(a, biased[i]);
                expectedGrad[i] = grad[i] * RowOpsReference.activationGrad(a, biased[i]);
            }
            assertClose(a + " forward", act, expectedAct);
            RowOps.activationBackward(a, biased, grad);
            assertClose(a + " backward", grad, expectedGrad);
        }
    }

    @Test
    void crossEntropyMatchesTheReference() {
        Random rnd = new Random(5);
        double[] logits = gaussian(rnd, 300, 4.0);
        float[] f = floats(logits);
        float[] d = new float[300];
        double loss = RowOps.crossEntropy(f, 42, d, 0.25);
        assertThat(loss).isCloseTo(RowOpsReference.crossEntropy(doubles(f), 42), offset(1e-9));
        double[] g = RowOpsReference.crossEntropyGrad(doubles(f), 42);
        for (int i = 0; i < g.length; i++) {
            g[i] *= 0.25;
        }
        assertClose("dlogits", d, g);
    }

    private static void checkDerivative(String what, double[] at, double[] grad, Function<double[], Double> f) {
        for (int i = 0; i < at.length; i++) {
            double saved = at[i];
            at[i] = saved + H;
            double up = f.apply(at);
            at[i] = saved - H;
            double down = f.apply(at);
            at[i] = saved;
            double numeric = (up - down) / (2 * H);
            assertThat(grad[i]).as(what + "[" + i + "]").isCloseTo(numeric, offset(1e-7 + 1e-6 * Math.abs(numeric)));
        }
    }

    static void assertClose(String what, float[] got, double[] expected) {
        double max = 0;
        for (double e : expected) {
            max = Math.max(max, Math.abs(e));
        }
        for (int i = 0; i < got.length; i++) {
            assertThat((double) got[i]).as(what + "[" + i + "]").isCloseTo(expected[i], offset(2e-6 * (1 + max)));
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    static double[] gaussian(Random rnd, int n, double scale) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * scale);
        }
        return x;
    }

    static float[] floats(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }

    static double[] doubles(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }
}
