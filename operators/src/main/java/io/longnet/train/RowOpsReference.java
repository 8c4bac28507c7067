package io.longnet.train;

import io.longnet.decoder.Erf;
import io.longnet.model.Activation;

/**
 * The slow, obvious row-wise pieces of the decoder's forward and backward pass, one row at a time in double
 * precision: what the vector {@link RowOps} are tested against, and what the tests hold against central
 * differences. Each backward sits beside its forward.
 */
final class RowOpsReference {

    private static final double INVERSE_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    private RowOpsReference() {
    }

    /** (x - mean) / sqrt(var + eps) * gamma + beta, biased variance. */
    static double[] layerNorm(double[] x, double[] gamma, double[] beta, double eps) {
        int w = x.length;
        double mean = 0;
        for (double v : x) {
            mean += v / w;
        }
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean) / w;
        }
        double[] y = new double[w];
        for (int i = 0; i < w; i++) {
            y[i] = (x[i] - mean) / Math.sqrt(var + eps) * gamma[i] + beta[i];
        }
        return y;
    }

    /** dx, dGamma, dBeta of {@link #layerNorm} given dy: [3][width]. */
    static double[][] layerNormBackward(double[] x, double[] dy, double[] gamma, double eps) {
        int w = x.length;
        double mean = 0;
        for (double v : x) {
            mean += v / w;
        }
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean) / w;
        }
        double rstd = 1 / Math.sqrt(var + eps);
        double gMean = 0;
        double gxMean = 0;
        double[][] out = new double[3][w];
        for (int i = 0; i < w; i++) {
            double xhat = (x[i] - mean) * rstd;
            gMean += dy[i] * gamma[i] / w;
            gxMean += dy[i] * gamma[i] * xhat / w;
            out[1][i] = dy[i] * xhat;
            out[2][i] = dy[i];
        }
        for (int i = 0; i < w; i++) {
            double xhat = (x[i] - mean) * rstd;
            out[0][i] = rstd * (dy[i] * gamma[i] - gMean - xhat * gxMean);
        }
        return out;
    }

    /** GELU in the exact erf form, ReLU, swish. */
    static double activate(Activation a, double x) {
        return switch (a) {
            case GELU -> 0.5 * x * (1 + Erf.erf(x / Math.sqrt(2)));
            case RELU -> Math.max(0, x);
            case SWISH -> x / (1 + Math.exp(-x));
        };
    }

    /** d activation / dx at x (ReLU's at 0 taken as 0, as PyTorch does). */
    static double activationGrad(Activation a, double x) {
        return switch (a) {
            case GELU -> 0.5 * (1 + Erf.erf(x / Math.sqrt(2))) + x * Math.exp(-0.5 * x * x) * INVERSE_SQRT_2PI;
            case RELU -> x > 0 ? 1 : 0;
            case SWISH -> {
                double s = 1 / (1 + Math.exp(-x));
                yield s * (1 + x * (1 - s));
            }
        };
    }

    /** -log softmax(logits)[target]. */
    static double crossEntropy(double[] logits, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (double v : logits) {
            sum += Math.exp(v - max);
        }
        return max + Math.log(sum) - logits[target];
    }

    /** d crossEntropy / d logits: softmax - onehot(target). */
    static double[] crossEntropyGrad(double[] logits, int target) {
        double lse = crossEntropy(logits, target) + logits[target];
        double[] g = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            g[i] = Math.exp(logits[i] - lse);
        }
        g[target] -= 1;
        return g;
    }
}
