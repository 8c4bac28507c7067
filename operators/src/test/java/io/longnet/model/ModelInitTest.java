package io.longnet.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import org.junit.jupiter.api.Test;

/** The random init follows torchscale's: scales per tensor kind, then subln's rescaling. */
class ModelInitTest {

    private static final ModelConfig CONFIG = ModelConfigJson.parse("{\"vocab_size\": 2000, "
            + "\"decoder_embed_dim\": 64, \"decoder_attention_heads\": 4, \"decoder_ffn_embed_dim\": 128, "
            + "\"decoder_layers\": 3, \"segment_length\": [8], \"dilated_ratio\": [1], \"xpos_rel_pos\": true}");

    @Test
    void scalesFollowTorchscale() {
        ModelWeights w = ModelInit.random(CONFIG, 9);
        double subln = Math.sqrt(Math.log(2 * 3));
        assertThat(std(w.get("embed_tokens.weight"))).isCloseTo(1 / Math.sqrt(64), offset(0.003));
        assertThat(std(w.get("output_projection.weight"))).isCloseTo(1 / Math.sqrt(64), offset(0.003));
        // xavier uniform, gain 1/sqrt 2: bound sqrt(6 / (64 + 64)) / sqrt 2, std = bound / sqrt 3
        assertThat(maxAbs(w.get("layers.0.self_attn.q_proj.weight"))).isCloseTo(Math.sqrt(6.0 / 128) / Math.sqrt(2), offset(0.002));
        // v_proj and out_proj are multiplied by sqrt(ln(2 * layers)) under subln
        assertThat(maxAbs(w.get("layers.1.self_attn.v_proj.weight"))).isCloseTo(Math.sqrt(6.0 / 128) / Math.sqrt(2) * subln, offset(0.003));
        assertThat(maxAbs(w.get("layers.1.self_attn.out_proj.weight"))).isCloseTo(Math.sqrt(6.0 / 128) * subln, offset(0.004));
        assertThat(maxAbs(w.get("layers.2.self_attn.out_proj.bias"))).isZero();
        assertThat(maxAbs(w.get("layers.0.ffn.fc2.weight"))).isCloseTo(subln / Math.sqrt(128), offset(0.003));
        assertThat(w.get("layers.0.final_layer_norm.weight")).containsOnly(1f);
        assertThat(w.get("layers.0.final_layer_norm.bias")).containsOnly(0f);
        assertThat(w.get("layers.2.self_attn.xpos.scale")[0]).isCloseTo((float) (0.4 / 1.4), offset(1e-7f));
    }

    @Test
    void deepnormDividesFc1Fc2OutProjAndVProjByTheFourthRootOf8LayersAsTorchscalesDecoderDoes() {
        String keys = "\"vocab_size\": 50, \"decoder_embed_dim\": 16, \"decoder_attention_heads\": 2, "
                + "\"decoder_ffn_embed_dim\": 24, \"decoder_layers\": 3, \"segment_length\": [8], "
                + "\"dilated_ratio\": [1], \"subln\": false";
        ModelWeights plain = ModelInit.random(ModelConfigJson.parse("{" + keys + "}"), 4);
        ModelWeights deep = ModelInit.random(ModelConfigJson.parse("{" + keys + ", \"deepnorm\": true}"), 4);
        assertThat(deep.tensors().keySet()).containsExactlyElementsOf(plain.tensors().keySet());
        double scale = Math.pow(8.0 * 3, 0.25);
        for (String name : plain.tensors().keySet()) {
            float[] a = plain.get(name);
            float[] b = deep.get(name);
            boolean scaled = name.contains("fc1") || name.contains("fc2") || name.contains("out_proj")
                    || name.contains("v_proj");
            for (int i = 0; i < a.length; i++) {
                assertThat((double) b[i]).as("%s[%d]", name, i)
                        .isCloseTo(scaled ? a[i] / scale : a[i], offset(1e-7 * Math.abs(a[i])));
            }
        }
    }

    @Test
    void sameSeedSameValuesOtherSeedOthers() {
        assertThat(ModelInit.random(CONFIG, 1).get("layers.0.ffn.fc1.weight"))
                .containsExactly(ModelInit.random(CONFIG, 1).get("layers.0.ffn.fc1.weight"));
        assertThat(ModelInit.random(CONFIG, 1).get("layers.0.ffn.fc1.weight"))
                .isNotEqualTo(ModelInit.random(CONFIG, 2).get("layers.0.ffn.fc1.weight"));
    }

    private static double std(float[] x) {
        double sum = 0;
        double sq = 0;
        for (float v : x) {
            sum += v;
            sq += v * v;
        }
        double mean = sum / x.length;
        return Math.sqrt(sq / x.length - mean * mean);
    }

    private static double maxAbs(float[] x) {
        double m = 0;
        for (float v : x) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
