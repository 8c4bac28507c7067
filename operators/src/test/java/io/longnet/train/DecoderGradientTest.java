package io.longnet.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.longnet.decoder.DecoderReference;
import io.longnet.model.ModelConfig;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelInit;
import io.longnet.model.ModelWeights;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The whole decoder's gradient against central differences of the double-precision reference decoder, for the
 * configurations the golden cases do not cover: post-LN, deepnorm, ReLU and swish, layernorm_embedding, untied
 * output, the paper's head offsets with r not dividing w, xPos with a scaled embedding.
 */
class DecoderGradientTest {

    private static final String BASE = "\"vocab_size\": 11, \"decoder_embed_dim\": 8, \"decoder_attention_heads\": 2, "
            + "\"decoder_ffn_embed_dim\": 12, \"decoder_layers\": 2, ";

    @Test
    void postLnSublnReluLayernormEmbeddingUntied() {
        check("{" + BASE + "\"segment_length\": [4, 8], \"dilated_ratio\": [1, 2], \"decoder_normalize_before\": false,"
                + " \"subln\": true, \"activation_fn\": \"gelu\", \"layernorm_embedding\": true}");
    }

    /** Steps small enough that no pre-activation crosses ReLU's kink (a wider step measures the kink, not the slope). */
    @Test
    void postLnRelu() {
        check("{" + BASE + "\"segment_length\": [4, 8], \"dilated_ratio\": [1, 2], \"decoder_normalize_before\": false,"
                + " \"subln\": false, \"activation_fn\": \"relu\"}", 1.0 / 16384);
    }

    @Test
    void deepnormSwishTiedModuloOffsetsRNotDividingW() {
        check("{" + BASE + "\"segment_length\": [6, 10], \"dilated_ratio\": [4, 3], \"deepnorm\": true, "
                + "\"activation_fn\": \"swish\", \"share_decoder_input_output_embed\": true, "
                + "\"longnet_head_offsets\": \"modulo\"}");
    }

    @Test
    void postLnDeepnormGeluXposScaledEmbedding() {
        check("{" + BASE + "\"segment_length\": [5, 16], \"dilated_ratio\": [1, 3], \"deepnorm\": true, "
                + "\"decoder_normalize_before\": false, \"xpos_rel_pos\": true, \"xpos_scale_base\": 32, "
                + "\"no_scale_embedding\": false}");
    }

    private static void check(String json) {
        check(json, 1.0 / 256);
    }

    private static void check(String json, double step) {
        ModelConfig c = ModelConfigJson.parse(json);
        ModelWeights weights = perturbedNorms(ModelInit.random(c, 7));
        Random rnd = new Random(11);
        int[][] tokens = new int[2][23];
        for (int[] row : tokens) {
            for (int p = 0; p < row.length; p++) {
                row[p] = rnd.nextInt(c.vocabSize());
            }
        }
        BatchGradient.Result got = BatchGradient.compute(weights, tokens, 0);
        assertThat(got.loss()).isCloseTo(referenceLoss(weights, tokens), org.assertj.core.data.Offset.offset(1e-5));
        List<String> bad = new ArrayList<>();
        for (String name : got.grads().names()) {
            float[] w = weights.get(name);
            float[] g = got.grads().get(name);
            double max = 0;
            for (float v : g) {
                max = Math.max(max, Math.abs(v));
            }
            for (int trial = 0; trial < 6; trial++) {
                int i = rnd.nextInt(w.length);
                float saved = w[i];
                float up = (float) (saved + step);
                float down = (float) (saved - step);
                w[i] = up;
                double lossUp = referenceLoss(weights, tokens);
                w[i] = down;
                double lossDown = referenceLoss(weights, tokens);
                w[i] = saved;
                double numeric = (lossUp - lossDown) / ((double) up - down);
                if (!(Math.abs(g[i] - numeric) <= 1e-5 + 2e-3 * Math.max(max, Math.abs(numeric)))) {
                    bad.add(name + "[" + i + "] got " + g[i] + ", central difference " + numeric);
                }
            }
        }
        assertThat(bad).as(json).isEmpty();
    }

    /** LayerNorm weights away from (1, 0), so that their gradients and the norms' paths are not special cases. */
    private static ModelWeights perturbedNorms(ModelWeights w) {
        Random rnd = new Random(3);
        for (var e : w.tensors().entrySet()) {
            if (e.getKey().contains("norm") || e.getKey().contains("inner_attn_ln") || e.getKey().endsWith("bias")) {
                float[] t = e.getValue();
                for (int i = 0; i < t.length; i++) {
                    t[i] += (float) (0.3 * rnd.nextGaussian());
                }
            }
        }
        return w;
    }

    /** Mean next-token cross-entropy from the double-precision reference decoder. */
    static double referenceLoss(ModelWeights weights, int[][] tokens) {
        DecoderReference reference = new DecoderReference(weights);
        double sum = 0;
        int count = 0;
        for (int[] row : tokens) {
            double[][] logits = reference.forward(row).logits();
            for (int p = 0; p + 1 < row.length; p++) {
                sum += RowOpsReference.crossEntropy(logits[p], row[p + 1]);
                count++;
            }
        }
        return sum / count;
    }
}
