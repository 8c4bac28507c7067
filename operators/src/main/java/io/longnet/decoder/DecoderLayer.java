package io.longnet.decoder;

import io.longnet.attention.Arrays2;
import io.longnet.attention.AttentionState;
import io.longnet.model.Activation;
import io.longnet.model.ModelConfig;
import io.longnet.model.ModelWeights;
import io.longnet.model.WeightLayout;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One torchscale DecoderLayer on ND4J: dilated self-attention and the feed-forward network, each with its
 * LayerNorm before (pre-LN) or after (post-LN) the residual, residual scaled by alpha (deepnorm).
 * Notation: n tokens, E width, F feed-forward width.
 */
final class DecoderLayer {

    private final ModelConfig config;
    private final SelfAttention selfAttention;
    private final INDArray fc1WeightT;   // [E, F]
    private final float[] fc1Bias;       // [F]
    private final INDArray fc2WeightT;   // [F, E]
    private final INDArray fc2Bias;      // [E]
    private final LayerNorm selfAttnNorm;
    private final LayerNorm ffnNorm;       // subln only
    private final LayerNorm finalNorm;

    DecoderLayer(ModelConfig c, ModelWeights w, int index) {
        this.config = c;
        String p = WeightLayout.layerPrefix(index);
        int e = c.embedDim();
        int f = c.ffnDim();
        this.selfAttention = new SelfAttention(c, name -> w.get(p + "self_attn." + name));
        this.fc1WeightT = Arrays2.transposed(w.get(p + "ffn.fc1.weight"), f, e);
        this.fc1Bias = w.get(p + "ffn.fc1.bias").clone();
        this.fc2WeightT = Arrays2.transposed(w.get(p + "ffn.fc2.weight"), e, f);
        this.fc2Bias = Nd4j.create(w.get(p + "ffn.fc2.bias"));
        this.selfAttnNorm = norm(c, w, p + "self_attn_layer_norm");
        this.finalNorm = norm(c, w, p + "final_layer_norm");
        this.ffnNorm = c.subln() ? norm(c, w, p + "ffn.ffn_layernorm") : null;
    }

    static LayerNorm norm(ModelConfig c, ModelWeights w, String prefix) {
        return new LayerNorm(w.get(prefix + ".weight"), w.get(prefix + ".bias"), c.layernormEps());
    }

    AttentionState newState() {
        return selfAttention.newState();
    }

    /**
     * x [n, E] at stream positions [first, first + n) to the layer's output [n, E], computed in place in x
     * (the caller's x is consumed).
     */
    INDArray forward(INDArray x, long first, AttentionState state) {
        if (config.normalizeBefore()) {
            INDArray attended = selfAttention.forward(selfAttnNorm.apply(x), first, state); // [n, E]
            scaleResidual(x).addi(attended);
            INDArray hidden = hidden(finalNorm.apply(x)); // [n, F]
            // x = alpha x + fc2_bias + hidden fc2^T: the gemm accumulates into x (beta = 1)
            scaleResidual(x).addiRowVector(fc2Bias);
            Nd4j.gemm(hidden, fc2WeightT, x, false, false, 1.0, 1.0);
            return x;
        }
        INDArray attended = selfAttention.forward(x, first, state); // [n, E]
        selfAttnNorm.applyInPlace(scaleResidual(x).addi(attended));
        INDArray fed = hidden(x).mmul(fc2WeightT); // [n, E]
        finalNorm.applyInPlace(scaleResidual(x).addi(fed).addiRowVector(fc2Bias));
        return x;
    }

    private INDArray scaleResidual(INDArray x) {
        double alpha = config.residualAlpha();
        return alpha == 1.0 ? x : x.muli(alpha);
    }

    /** The feed-forward hidden layer [n, F] of x [n, E]: activation(x fc1^T + fc1_bias), then ffn_layernorm. */
    private INDArray hidden(INDArray x) {
        INDArray hidden = x.mmul(fc1WeightT); // [n, F]
        biasAndActivate(hidden);
        if (ffnNorm != null) {
            ffnNorm.applyInPlace(hidden);
        }
        return hidden;
    }

    /** hidden [n, F] = activation(hidden + fc1_bias), in place, one pass. */
    private void biasAndActivate(INDArray hidden) {
        NativeRows rows = new NativeRows(hidden);
        float[] row = new float[fc1Bias.length]; // [F]
        Activation activation = config.activation();
        for (int r = 0; r < hidden.rows(); r++) {
            rows.read(r, row);
            if (activation == Activation.GELU) {
                for (int j = 0; j < row.length; j++) {
                    float v = row[j] + fc1Bias[j];
                    row[j] = v * Erf.normalCdf(v); // GELU x Phi(x), Phi within 1e-7 of the erf form
                }
            } else if (activation == Activation.RELU) {
                for (int j = 0; j < row.length; j++) {
                    row[j] = Math.max(0f, row[j] + fc1Bias[j]);
                }
            } else {
                for (int j = 0; j < row.length; j++) {
                    float v = row[j] + fc1Bias[j];
                    row[j] = v / (1f + (float) Math.exp(-v)); // swish, x sigmoid(x)
                }
            }
            rows.write(r, row);
        }
    }
}
