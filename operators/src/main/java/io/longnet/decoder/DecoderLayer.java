package io.longnet.decoder;

import io.longnet.attention.Arrays2;
import io.longnet.attention.AttentionState;
import io.longnet.model.Activation;
import io.longnet.model.ModelConfig;
import io.longnet.model.ModelWeights;
import io.longnet.model.WeightLayout;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Swish;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * One torchscale DecoderLayer on ND4J: dilated self-attention and the feed-forward network, each with its
 * LayerNorm before (pre-LN) or after (post-LN) the residual, residual scaled by alpha (deepnorm).
 * Notation: n tokens, E width, F feed-forward width.
 */
final class DecoderLayer {

    private final ModelConfig config;
    private final SelfAttention selfAttention;
    private final INDArray fc1WeightT;   // [E, F]
    private final INDArray fc1Bias;      // [F]
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
        this.fc1Bias = Nd4j.create(w.get(p + "ffn.fc1.bias"));
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

    /** x [n, E] at stream positions [first, first + n) to the layer's output [n, E]. */
    INDArray forward(INDArray x, long first, AttentionState state) {
        double alpha = config.residualAlpha();
        if (config.normalizeBefore()) {
            x = residual(x, alpha).addi(selfAttention.forward(selfAttnNorm.apply(x), first, state));
            return residual(x, alpha).addi(feedForward(finalNorm.apply(x)));
        }
        x = selfAttnNorm.apply(residual(x, alpha).addi(selfAttention.forward(x, first, state)));
        return finalNorm.apply(residual(x, alpha).addi(feedForward(x)));
    }

    private static INDArray residual(INDArray x, double alpha) {
        return alpha == 1.0 ? x.dup() : x.mul(alpha);
    }

    private INDArray feedForward(INDArray x) {
        INDArray hidden = x.mmul(fc1WeightT).addiRowVector(fc1Bias); // [n, F]
        hidden = activate(hidden);
        if (ffnNorm != null) {
            hidden = ffnNorm.apply(hidden);
        }
        return hidden.mmul(fc2WeightT).addiRowVector(fc2Bias);
    }

    private INDArray activate(INDArray x) {
        if (config.activation() == Activation.GELU) {
            // exact GELU: x/2 * (1 + erf(x / sqrt 2))
            INDArray erf = x.mul(1.0 / Math.sqrt(2.0));
            Nd4j.getExecutioner().exec(new Erf(erf, erf));
            return erf.addi(1.0).muli(x).muli(0.5);
        }
        if (config.activation() == Activation.RELU) {
            return Transforms.relu(x, false);
        }
        Nd4j.getExecutioner().exec(new Swish(x, x));
        return x;
    }
}
