package io.longnet.decoder;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** LayerNorm over the last dimension: (x - mean) / sqrt(var + eps) * gamma + beta (biased variance). */
final class LayerNorm {

    private final INDArray gamma; // [width]
    private final INDArray beta;  // [width]
    private final double eps;

    LayerNorm(float[] gamma, float[] beta, double eps) {
        this.gamma = Nd4j.create(gamma);
        this.beta = Nd4j.create(beta);
        this.eps = eps;
    }

    /** x [rows, width] to a new [rows, width]. */
    INDArray apply(INDArray x) {
        INDArray centred = x.subColumnVector(x.mean(1));             // [rows, width]
        INDArray variance = centred.mul(centred).mean(1);            // [rows]
        INDArray std = Transforms.sqrt(variance.addi(eps), false);   // [rows]
        return centred.diviColumnVector(std).muliRowVector(gamma).addiRowVector(beta);
    }
}
