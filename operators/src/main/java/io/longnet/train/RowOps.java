package io.longnet.train;

import io.longnet.decoder.Erf;
import io.longnet.model.Activation;

/**
 * The row-wise pieces of the decoder's forward and backward pass, one row [width] at a time, float32 storage with
 * double accumulation. Each backward sits beside its forward; the tests hold both against central differences.
 */
final class RowOps {

    private static final double INVERSE_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    private RowOps() {
    }

    /**
     * y = (x - mean) / sqrt(var + eps) * gamma + beta (biased variance); y may be x. Writes mean and
     * 1 / sqrt(var + eps) to stats[2 row], stats[2 row + 1] for the backward pass.
     */
    static void layerNorm(float[] x, float[] y, float[] gamma, float[] beta, double eps, double[] stats, int row) {
        int w = x.length;
        double mean = 0;
        for (float v : x) {
            mean += v;
        }
        mean /= w;
        double var = 0;
        for (float v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= w;
        double rstd = 1 / Math.sqrt(var + eps);
        for (int i = 0; i < w; i++) {
            y[i] = (float) ((x[i] - mean) * rstd * gamma[i] + beta[i]);
        }
        stats[2 * row] = mean;
        stats[2 * row + 1] = rstd;
    }

    /**
     * The LayerNorm backward for one row: dx = rstd (g - mean(g) - xhat mean(g xhat)) with g = dy gamma and
     * xhat = (x - mean) rstd; adds dy xhat to dGamma and dy to dBeta. dx may be dy; with {@code accumulate} dx
     * is added to, else overwritten.
     */
    static void layerNormBackward(float[] x, float[] dy, float[] gamma, double[] stats, int row, float[] dx,
                                  boolean accumulate, double[] dGamma, double[] dBeta) {
        int w = x.length;
        double mean = stats[2 * row];
        double rstd = stats[2 * row + 1];
        double gMean = 0;
        double gxMean = 0;
        for (int i = 0; i < w; i++) {
            double xhat = (x[i] - mean) * rstd;
            double g = (double) dy[i] * gamma[i];
            gMean += g;
            gxMean += g * xhat;
            dGamma[i] += dy[i] * xhat;
            dBeta[i] += dy[i];
        }
        gMean /= w;
        gxMean /= w;
        for (int i = 0; i < w; i++) {
            double xhat = (x[i] - mean) * rstd;
            float v = (float) (rstd * ((double) dy[i] * gamma[i] - gMean - xhat * gxMean));
            dx[i] = accumulate ? dx[i] + v : v;
        }
    }

    /** GELU is x Phi(x) with Phi within 1e-7 ({@link Erf#normalCdf}), as the inference decoder computes it. */
    static double activate(Activation a, double x) {
        return switch (a) {
            case GELU -> x * Erf.normalCdf((float) x);
            case RELU -> Math.max(0, x);
            case SWISH -> x / (1 + Math.exp(-x));
        };
    }

    /** d activation / dx at x (ReLU's at 0 taken as 0, as PyTorch does). */
    static double activationGrad(Activation a, double x) {
        return switch (a) {
            case GELU -> Erf.normalCdf((float) x) + x * Math.exp(-0.5 * x * x) * INVERSE_SQRT_2PI;
            case RELU -> x > 0 ? 1 : 0;
            case SWISH -> {
                double s = 1 / (1 + Math.exp(-x));
                yield s * (1 + x * (1 - s));
            }
        };
    }

    /**
     * Cross-entropy of one logits row against target: returns lse - logits[target] and, when dLogits is given,
     * writes scale (softmax - onehot(target)) into it (it may be logits).
     */
    static double crossEntropy(float[] logits, int target, float[] dLogits, double scale) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : logits) {
            sum += Math.exp(v - max);
        }
        double lse = max + Math.log(sum);
        double loss = lse - logits[target];
        if (dLogits != null) {
            for (int i = 0; i < logits.length; i++) {
                dLogits[i] = (float) (scale * Math.exp(logits[i] - lse));
            }
            dLogits[target] -= (float) scale;
        }
        return loss;
    }
}
