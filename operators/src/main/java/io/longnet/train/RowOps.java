package io.longnet.train;

import io.longnet.compute.VectorMath;
import io.longnet.model.Activation;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The row-wise pieces of the decoder's forward and backward pass in Java vectors, one row [width] at a time,
 * float32 (the row is at most a few thousand wide: float sums lose under 1e-6 relative there). Each backward
 * sits beside its forward; {@link RowOpsReference} is the plain double-precision version they are tested against.
 */
final class RowOps {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private static final float INVERSE_SQRT_2PI = (float) (1 / Math.sqrt(2 * Math.PI));

    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);

    private RowOps() {
    }

    /**
     * y = (x - mean) / sqrt(var + eps) * gamma + beta (biased variance); y may be x. Writes mean and
     * 1 / sqrt(var + eps) to stats[2 row], stats[2 row + 1] for the backward pass.
     */
    static void layerNorm(float[] x, float[] y, float[] gamma, float[] beta, double eps, double[] stats, int row) {
        int w = x.length;
        int bound = S.loopBound(w);
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += L) {
            acc = acc.add(FloatVector.fromArray(S, x, i));
        }
        float sum = VectorMath.sum(acc);
        for (; i < w; i++) {
            sum += x[i];
        }
        float mean = sum / w;
        acc = FloatVector.zero(S);
        for (i = 0; i < bound; i += L) {
            FloatVector d = FloatVector.fromArray(S, x, i).sub(mean);
            acc = d.fma(d, acc);
        }
        float squares = VectorMath.sum(acc);
        for (; i < w; i++) {
            squares += (x[i] - mean) * (x[i] - mean);
        }
        float rstd = (float) (1 / Math.sqrt(squares / w + eps));
        for (i = 0; i < bound; i += L) {
            FloatVector xhat = FloatVector.fromArray(S, x, i).sub(mean).mul(rstd);
            xhat.fma(FloatVector.fromArray(S, gamma, i), FloatVector.fromArray(S, beta, i)).intoArray(y, i);
        }
        for (; i < w; i++) {
            y[i] = (x[i] - mean) * rstd * gamma[i] + beta[i];
        }
        stats[2 * row] = mean;
        stats[2 * row + 1] = rstd;
    }

    /**
     * The LayerNorm backward for one row: dx = rstd (g - mean(g) - xhat mean(g xhat)) with g = dy gamma and
     * xhat = (x - mean) rstd; adds dy xhat to dGamma and dy to dBeta. With {@code accumulate} dx is added to,
     * else overwritten.
     */
    static void layerNormBackward(float[] x, float[] dy, float[] gamma, double[] stats, int row, float[] dx,
                                  boolean accumulate, float[] dGamma, float[] dBeta) {
        int w = x.length;
        int bound = S.loopBound(w);
        float mean = (float) stats[2 * row];
        float rstd = (float) stats[2 * row + 1];
        FloatVector gSum = FloatVector.zero(S);
        FloatVector gxSum = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector xhat = FloatVector.fromArray(S, x, i).sub(mean).mul(rstd);
            FloatVector d = FloatVector.fromArray(S, dy, i);
            FloatVector g = d.mul(FloatVector.fromArray(S, gamma, i));
            gSum = gSum.add(g);
            gxSum = g.fma(xhat, gxSum);
            d.fma(xhat, FloatVector.fromArray(S, dGamma, i)).intoArray(dGamma, i);
            d.add(FloatVector.fromArray(S, dBeta, i)).intoArray(dBeta, i);
        }
        float gMean = VectorMath.sum(gSum);
        float gxMean = VectorMath.sum(gxSum);
        for (; i < w; i++) {
            float xhat = (x[i] - mean) * rstd;
            float g = dy[i] * gamma[i];
            gMean += g;
            gxMean += g * xhat;
            dGamma[i] += dy[i] * xhat;
            dBeta[i] += dy[i];
        }
        gMean /= w;
        gxMean /= w;
        for (i = 0; i < bound; i += L) {
            FloatVector xhat = FloatVector.fromArray(S, x, i).sub(mean).mul(rstd);
            FloatVector g = FloatVector.fromArray(S, dy, i).mul(FloatVector.fromArray(S, gamma, i));
            FloatVector v = g.sub(gMean).sub(xhat.mul(gxMean)).mul(rstd);
            (accumulate ? v.add(FloatVector.fromArray(S, dx, i)) : v).intoArray(dx, i);
        }
        for (; i < w; i++) {
            float xhat = (x[i] - mean) * rstd;
            float v = rstd * (dy[i] * gamma[i] - gMean - xhat * gxMean);
            dx[i] = accumulate ? dx[i] + v : v;
        }
    }

    /** pre += bias, then act = activation(pre), over a row; GELU is x Phi(x) with Phi within 1.5e-7 (as inference). */
    static void biasActivate(Activation a, float[] pre, float[] bias, float[] act) {
        int w = pre.length;
        int bound = S.loopBound(w);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, pre, i).add(FloatVector.fromArray(S, bias, i));
            x.intoArray(pre, i);
            activate(a, x).intoArray(act, i);
        }
        for (; i < w; i++) {
            pre[i] += bias[i];
            act[i] = activate(a, FloatVector.broadcast(S, pre[i])).lane(0);
        }
    }

    /** grad *= activation'(pre), over a row (ReLU's derivative at 0 is 0, as PyTorch's). */
    static void activationBackward(Activation a, float[] pre, float[] grad) {
        int w = pre.length;
        int bound = S.loopBound(w);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, pre, i);
            FloatVector.fromArray(S, grad, i).mul(derivative(a, x)).intoArray(grad, i);
        }
        for (; i < w; i++) {
            grad[i] *= derivative(a, FloatVector.broadcast(S, pre[i])).lane(0);
        }
    }

    private static FloatVector activate(Activation a, FloatVector x) {
        return switch (a) {
            case GELU -> x.mul(VectorMath.normalCdf(x));
            case RELU -> x.max(0f);
            case SWISH -> x.div(VectorMath.exp(x.neg()).add(1f));
        };
    }

    private static FloatVector derivative(Activation a, FloatVector x) {
        return switch (a) {
            case GELU -> {
                yield VectorMath.normalCdf(x).add(x.mul(gaussian(x)).mul(INVERSE_SQRT_2PI));
            }
            case RELU -> FloatVector.zero(S).blend(1f, x.compare(VectorOperators.GT, 0f));
            case SWISH -> {
                FloatVector s = ONE.div(VectorMath.exp(x.neg()).add(1f));
                yield s.mul(x.mul(s.neg().add(1f)).add(1f));
            }
        };
    }

    /** exp(-x^2 / 2). */
    private static FloatVector gaussian(FloatVector x) {
        return VectorMath.exp(x.mul(x).mul(-0.5f));
    }

    /**
     * Cross-entropy of one logits row against target: returns lse - logits[target] (nats) and, when dLogits is
     * given, writes scale (softmax - onehot(target)) into it (it may be logits).
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
