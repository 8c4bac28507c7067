package io.longnet.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.longnet.decoder.LongNetDecoder;
import io.longnet.decoder.StreamingDecoder;
import org.junit.jupiter.api.Test;

/** Every size limit is checked where the value enters, with the numbers in the message, and tested at the limit. */
class ModelLimitsTest {

    private static ModelConfig config(int embedDim, int heads, int ffnDim, String w, String r) {
        return ModelConfigJson.parse("{\"vocab_size\": 50, \"decoder_embed_dim\": " + embedDim
                + ", \"decoder_attention_heads\": " + heads + ", \"decoder_ffn_embed_dim\": " + ffnDim
                + ", \"decoder_layers\": 1, \"segment_length\": [" + w + "], \"dilated_ratio\": [" + r + "]}");
    }

    /** Native views count bytes in an int: [n, F] at F = 3072 stops at n = 174,762, not 932K (the [n, 3E] array). */
    @Test
    void aChunkIsBoundByTheWidestBufferView() {
        assertThat(config(768, 12, 3072, "2048", "1").maxChunkTokens()).isEqualTo(174_762);
        assertThat(174_762L * 3072 * Float.BYTES).isLessThanOrEqualTo(Integer.MAX_VALUE);
        assertThat(174_763L * 3072 * Float.BYTES).isGreaterThan(Integer.MAX_VALUE);
        assertThat(config(768, 12, 768, "2048", "1").maxChunkTokens()).as("q, k, v [n, 3E] the widest")
                .isEqualTo((int) (ModelConfig.MAX_VIEW_FLOATS / (3 * 768)));
    }

    @Test
    void aChunkAboveTheLimitIsRefusedBeforeAnythingIsAllocated() {
        ModelConfig tiny = config(16, 2, 32, "8", "1");
        int max = tiny.maxChunkTokens();
        assertThat(max).isEqualTo((int) (ModelConfig.MAX_VIEW_FLOATS / 48));
        StreamingDecoder decoder = new StreamingDecoder(new LongNetDecoder(ModelInit.random(tiny, 1)));
        assertThatThrownBy(() -> decoder.accept(new int[max + 1], false)).hasMessageContaining(Integer.toString(max));
    }

    /** One head's kept rows of a branch, [ceil(w/r) rounded to 16, Dp], must fit one array: int index products. */
    @Test
    void aBranchWhoseRowsOverflowAnArrayIsRefusedNamingIt() {
        int rows = (int) (ModelConfig.MAX_ARRAY_VALUES / 64 / 16 * 16); // head width 64: Dp = 64
        assertThat(config(64, 1, 64, Integer.toString(rows), "1").schedule().branch(0).maxKeptRows()).isEqualTo(rows);
        assertThatThrownBy(() -> config(64, 1, 64, Integer.toString(rows + 1), "1"))
                .hasMessageContainingAll("segment_length " + (rows + 1), "dilated_ratio 1", "head width 64",
                        Long.toString(ModelConfig.MAX_ARRAY_VALUES));
        assertThatThrownBy(() -> config(64, 1, 64, Integer.toString(2 * rows + 2), "2"))
                .hasMessageContaining("dilated_ratio 2");
    }
}
