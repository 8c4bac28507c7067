package io.longnet.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import io.longnet.model.ModelConfig;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelInit;
import org.junit.jupiter.api.Test;

/** AdamW, the schedule and clipping against their formulas, worked by hand on small vectors. */
class AdamWTest {

    private static final ModelConfig TINY = ModelConfigJson.parse("{\"vocab_size\": 5, \"decoder_embed_dim\": 2, "
            + "\"decoder_attention_heads\": 1, \"decoder_ffn_embed_dim\": 2, \"decoder_layers\": 1, "
            + "\"segment_length\": [4], \"dilated_ratio\": [1]}");

    @Test
    void twoStepsFollowTheFormulaWithDecoupledDecayOnMatricesOnly() {
        Parameters w = Parameters.of(ModelInit.random(TINY, 1));
        Parameters g = Parameters.zerosLike(w);
        String matrix = "layers.0.ffn.fc1.weight";
        String bias = "layers.0.ffn.fc1.bias";
        w.get(matrix)[0] = 0.5f;
        w.get(bias)[0] = 0.5f;
        AdamW adam = new AdamW(new AdamW.Config(0.9, 0.99, 1e-8, 0.1, 0, false), w);
        double lr = 0.01;
        double p = 0.5;
        double pb = 0.5;
        double m = 0;
        double v = 0;
        double[] grads = {0.3, -0.2};
        for (int t = 1; t <= 2; t++) {
            g.fill(0f);
            g.get(matrix)[0] = (float) grads[t - 1];
            g.get(bias)[0] = (float) grads[t - 1];
            adam.update(w, g, lr);
            m = 0.9 * m + 0.1 * grads[t - 1];
            v = 0.99 * v + 0.01 * grads[t - 1] * grads[t - 1];
            double step = lr * (m / (1 - Math.pow(0.9, t))) / (Math.sqrt(v / (1 - Math.pow(0.99, t))) + 1e-8);
            p = p * (1 - lr * 0.1) - step;
            pb = pb - step;
        }
        assertThat((double) w.get(matrix)[0]).isCloseTo(p, offset(1e-7));
        assertThat((double) w.get(bias)[0]).as("no decay on a bias").isCloseTo(pb, offset(1e-7));
        assertThat(adam.decays("embed_tokens.weight")).isFalse();
        assertThat(adam.decays("layers.0.self_attn_layer_norm.weight")).isFalse();
        assertThat(adam.decays("layers.0.self_attn.q_proj.weight")).isTrue();
    }

    @Test
    void clippingScalesEveryGradientByBoundOverNorm() {
        Parameters w = Parameters.of(ModelInit.random(TINY, 1));
        Parameters g = Parameters.zerosLike(w);
        g.get("layers.0.ffn.fc1.bias")[0] = 3f;
        g.get("layers.0.ffn.fc2.bias")[1] = 4f;
        AdamW adam = new AdamW(new AdamW.Config(0.9, 0.99, 1e-8, 0, 1.0, false), w);
        double norm = adam.update(w, g, 1e-3);
        assertThat(norm).isCloseTo(5.0, offset(1e-12));
        assertThat((double) g.get("layers.0.ffn.fc1.bias")[0]).isCloseTo(3 / (5 + 1e-6), offset(1e-7));
        assertThat((double) g.get("layers.0.ffn.fc2.bias")[1]).isCloseTo(4 / (5 + 1e-6), offset(1e-7));
    }

    @Test
    void scheduleWarmsUpLinearlyThenFollowsTheCosineToTheFloor() {
        AdamW.Schedule s = new AdamW.Schedule(1e-3, 1e-4, 10, 110);
        assertThat(s.at(1)).isCloseTo(1e-4, offset(1e-15));
        assertThat(s.at(5)).isCloseTo(5e-4, offset(1e-15));
        assertThat(s.at(10)).isCloseTo(1e-3, offset(1e-15));
        assertThat(s.at(60)).isCloseTo(1e-4 + 0.5 * 9e-4 * (1 + Math.cos(Math.PI * 0.5)), offset(1e-15));
        assertThat(s.at(110)).isCloseTo(1e-4, offset(1e-15));
    }
}
