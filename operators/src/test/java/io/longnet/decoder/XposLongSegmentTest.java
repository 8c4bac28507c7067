package io.longnet.decoder;

import static org.assertj.core.api.Assertions.assertThat;

import io.longnet.model.ModelConfig;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelInit;
import io.longnet.model.ModelWeights;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** xPos models whose segments are longer than the scale zeta^(n/b) of one row can hold in float32. */
class XposLongSegmentTest {

    /** One branch w = 2^17, r = 2048 over 2^17 + 4096 tokens: it gave non-finite logits while w = 2^16 did not. */
    @Test
    void xposModelWithASegmentOf2To17GivesTheReferenceLogits() {
        ModelConfig c = ModelConfigJson.parse("{\"vocab_size\": 50, \"decoder_embed_dim\": 16, "
                + "\"decoder_attention_heads\": 2, \"decoder_ffn_embed_dim\": 32, \"decoder_layers\": 1, "
                + "\"segment_length\": [131072], \"dilated_ratio\": [2048], \"xpos_rel_pos\": true}");
        ModelWeights w = ModelInit.random(c, 9);
        int[] tokens = new Random(9).ints((1 << 17) + 4096, 0, c.vocabSize()).toArray();
        LongNetDecoder decoder = new LongNetDecoder(w);
        float[] logits = decoder.forward(tokens, decoder.newState(), true).logitsRowMajor(); // [N, V]
        for (int i = 0; i < logits.length; i++) {
            if (!Float.isFinite(logits[i])) {
                throw new AssertionError("logit " + i + " (position " + i / c.vocabSize() + ") is " + logits[i]);
            }
        }
        DecoderReference.Result expected = new DecoderReference(w).forward(tokens);
        assertThat(logits).hasSize(tokens.length * c.vocabSize());
        DecoderTest.assertClose("logits", logits, expected.logits(), 1e-4);
    }
}
