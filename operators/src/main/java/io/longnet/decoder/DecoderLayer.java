package io.longnet.decoder;

import io.longnet.attention.Arrays2;
import io.longnet.attention.AttentionState;
import io.longnet.model.ModelConfig;
import io.longnet.model.ModelWeights;
import io.longnet.model.WeightLayout;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
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
    private final float[] fc2Bias;       // [E]
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
        this.fc2Bias = w.get(p + "ffn.fc2.bias").clone();
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
     * x [N, E], the rows of one or more streams stacked, to the layer's output [N, E], computed in place in x.
     * Every step but attention is row by row, so a stream's rows come out as they would alone. Residuals and
     * biases ride along in the row passes that read x anyway, and the out_proj and fc2 gemms accumulate into x
     * (beta = 1).
     */
    void forward(INDArray x, List<StreamRows> streams) {
        if (config.normalizeBefore()) {
            forwardPreLn(x, streams);
        } else {
            forwardPostLn(x, streams);
        }
    }

    /** x = alpha x + attention(LN1(x)); x = alpha x + ffn(LN2(x)). */
    private void forwardPreLn(INDArray x, List<StreamRows> streams) {
        INDArray normed = x.ulike(); // [N, E]
        normalizeAndShift(x, selfAttnNorm, normed, selfAttention.outBias(), false);
        selfAttention.addProjected(selfAttention.attend(normed, streams), x);
        normalizeAndShift(x, finalNorm, normed, fc2Bias, false);
        Nd4j.gemm(hidden(normed), fc2WeightT, x, false, false, 1.0, 1.0);
    }

    /** x = LN1(alpha x + attention(x)); x = LN2(alpha x + ffn(x)). */
    private void forwardPostLn(INDArray x, List<StreamRows> streams) {
        INDArray heads = selfAttention.attend(x, streams); // [N, E]
        shift(x, selfAttention.outBias());
        selfAttention.addProjected(heads, x);
        INDArray normed = x.ulike(); // [N, E]
        normalizeAndShift(x, selfAttnNorm, normed, fc2Bias, true);
        Nd4j.gemm(hidden(normed), fc2WeightT, x, false, false, 1.0, 1.0);
        finalNorm.applyInPlace(x);
    }

    /**
     * One pass over x [n, E]: normed[r] = norm(x[r]), then x[r] = alpha * x[r] + bias, or, with
     * {@code residualIsNormed}, x[r] = alpha * normed[r] + bias (post-LN: the next residual is the normed row).
     */
    private void normalizeAndShift(INDArray x, LayerNorm norm, INDArray normed, float[] bias,
                                   boolean residualIsNormed) {
        NativeRows rows = norm.rowsOf(x);
        NativeRows out = new NativeRows(normed);
        float alpha = (float) config.residualAlpha();
        RowRanges.run(rows.rows(), rows.width(), (from, to) -> {
            float[] row = new float[rows.width()];      // [E]
            float[] normedRow = new float[rows.width()]; // [E]
            for (int r = from; r < to; r++) {
                rows.read(r, row);
                norm.normalise(row, normedRow);
                out.write(r, normedRow);
                VectorRows.shift(residualIsNormed ? normedRow : row, alpha, bias, row);
                rows.write(r, row);
            }
        });
    }

    /** x [n, E] = alpha x + bias, one pass. */
    private void shift(INDArray x, float[] bias) {
        float alpha = (float) config.residualAlpha();
        RowRanges.update(new NativeRows(x), row -> VectorRows.shift(row, alpha, bias, row));
    }

    /** The feed-forward hidden layer [n, F] of x [n, E]: activation(x fc1^T + fc1_bias), then ffn_layernorm. */
    private INDArray hidden(INDArray x) {
        INDArray hidden = Nd4j.createUninitialized(DataType.FLOAT, x.rows(), fc1Bias.length); // [n, F]
        Nd4j.gemm(x, fc1WeightT, hidden, false, false, 1.0, 0.0);
        RowRanges.update(new NativeRows(hidden), row -> {
            activate(row);
            if (ffnNorm != null) {
                ffnNorm.normalise(row, row);
            }
        });
        return hidden;
    }

    /** row [F] = activation(row + fc1_bias) in place. */
    private void activate(float[] row) {
        switch (config.activation()) {
            case GELU -> VectorRows.biasGelu(row, fc1Bias);
            case RELU -> VectorRows.biasRelu(row, fc1Bias);
            case SWISH -> VectorRows.biasSwish(row, fc1Bias);
            default -> throw new IllegalStateException("no kernel for activation " + config.activation());
        }
    }
}
