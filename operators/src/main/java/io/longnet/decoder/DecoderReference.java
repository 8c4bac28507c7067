package io.longnet.decoder;

import io.longnet.attention.DilatedAttentionReference;
import io.longnet.attention.XPos;
import io.longnet.model.Activation;
import io.longnet.model.ModelConfig;
import io.longnet.model.ModelWeights;
import io.longnet.model.WeightLayout;

/**
 * The slow, obvious LongNet decoder: plain double-precision loops over a whole sequence, following spec
 * section 4 line by line, with torchscale's absolute-position xPos. Tests compare the ND4J path against it.
 */
public final class DecoderReference {

    /** features [N][E] and logits [N][V]. */
    public record Result(double[][] features, double[][] logits) {
    }

    private final ModelConfig c;
    private final ModelWeights w;

    public DecoderReference(ModelWeights weights) {
        this.c = weights.config();
        this.w = weights;
    }

    public Result forward(int[] tokens) {
        int n = tokens.length;
        int e = c.embedDim();
        double[][] x = new double[n][e]; // [N][E]
        float[] embed = w.get(WeightLayout.EMBED);
        for (int p = 0; p < n; p++) {
            for (int d = 0; d < e; d++) {
                x[p][d] = embed[tokens[p] * e + d] * c.embedScale();
            }
        }
        if (c.layernormEmbedding()) {
            x = layerNorm(x, "layernorm_embedding");
        }
        double alpha = c.residualAlpha();
        for (int l = 0; l < c.layers(); l++) {
            String p = WeightLayout.layerPrefix(l);
            if (c.normalizeBefore()) {
                x = add(scale(x, alpha), attention(layerNorm(x, p + "self_attn_layer_norm"), p + "self_attn."));
                x = add(scale(x, alpha), ffn(layerNorm(x, p + "final_layer_norm"), p + "ffn."));
            } else {
                x = layerNorm(add(scale(x, alpha), attention(x, p + "self_attn.")), p + "self_attn_layer_norm");
                x = layerNorm(add(scale(x, alpha), ffn(x, p + "ffn.")), p + "final_layer_norm");
            }
        }
        if (c.normalizeBefore()) {
            x = layerNorm(x, "layer_norm");
        }
        return new Result(x, linear(x, w.get(WeightLayout.OUTPUT), null, c.vocabSize()));
    }

    private double[][] attention(double[][] x, String prefix) {
        int e = c.embedDim();
        double[][] q = linear(x, w.get(prefix + "q_proj.weight"), w.get(prefix + "q_proj.bias"), e);
        double[][] k = linear(x, w.get(prefix + "k_proj.weight"), w.get(prefix + "k_proj.bias"), e);
        double[][] v = linear(x, w.get(prefix + "v_proj.weight"), w.get(prefix + "v_proj.bias"), e);
        XPos xpos = c.xpos() ? new XPos(w.get(prefix + "xpos.scale"), c.xposScaleBase()) : null;
        double[][] heads = DilatedAttentionReference.attend(q, k, v, c.heads(), c.schedule(), xpos);
        if (c.subln()) {
            heads = layerNorm(heads, prefix + "inner_attn_ln");
        }
        return linear(heads, w.get(prefix + "out_proj.weight"), w.get(prefix + "out_proj.bias"), e);
    }

    private double[][] ffn(double[][] x, String prefix) {
        double[][] h = linear(x, w.get(prefix + "fc1.weight"), w.get(prefix + "fc1.bias"), c.ffnDim());
        for (double[] row : h) {
            for (int i = 0; i < row.length; i++) {
                row[i] = activate(row[i]);
            }
        }
        if (c.subln()) {
            h = layerNorm(h, prefix + "ffn_layernorm");
        }
        return linear(h, w.get(prefix + "fc2.weight"), w.get(prefix + "fc2.bias"), c.embedDim());
    }

    private double activate(double v) {
        if (c.activation() == Activation.GELU) {
            return 0.5 * v * (1 + Erf.erf(v / Math.sqrt(2)));
        }
        if (c.activation() == Activation.RELU) {
            return Math.max(0, v);
        }
        return v / (1 + Math.exp(-v));
    }

    /** y = x W^T + b with W [out, in] row-major. */
    static double[][] linear(double[][] x, float[] weight, float[] bias, int out) {
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int p = 0; p < x.length; p++) {
            for (int o = 0; o < out; o++) {
                double s = bias == null ? 0 : bias[o];
                for (int i = 0; i < in; i++) {
                    s += x[p][i] * weight[o * in + i];
                }
                y[p][o] = s;
            }
        }
        return y;
    }

    private double[][] layerNorm(double[][] x, String prefix) {
        float[] gamma = w.get(prefix + ".weight");
        float[] beta = w.get(prefix + ".bias");
        double[][] y = new double[x.length][];
        for (int p = 0; p < x.length; p++) {
            double mean = 0;
            for (double v : x[p]) {
                mean += v;
            }
            mean /= x[p].length;
            double var = 0;
            for (double v : x[p]) {
                var += (v - mean) * (v - mean);
            }
            var /= x[p].length;
            y[p] = new double[x[p].length];
            for (int i = 0; i < x[p].length; i++) {
                y[p][i] = (x[p][i] - mean) / Math.sqrt(var + c.layernormEps()) * gamma[i] + beta[i];
            }
        }
        return y;
    }

    private static double[][] add(double[][] a, double[][] b) {
        for (int p = 0; p < a.length; p++) {
            for (int i = 0; i < a[p].length; i++) {
                a[p][i] += b[p][i];
            }
        }
        return a;
    }

    private static double[][] scale(double[][] a, double s) {
        double[][] y = new double[a.length][];
        for (int p = 0; p < a.length; p++) {
            y[p] = a[p].clone();
            for (int i = 0; i < y[p].length; i++) {
                y[p][i] *= s;
            }
        }
        return y;
    }
}
