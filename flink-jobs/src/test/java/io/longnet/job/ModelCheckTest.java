package io.longnet.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.longnet.model.ModelConfig;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelDirectory;
import io.longnet.model.ModelInit;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCheckTest {

    /** A chunk-size the model cannot take is refused when the job is built, not by every chunk failing. */
    @Test
    void theChunkSizeIsCheckedAgainstTheModelAtStart(@TempDir Path dir) throws Exception {
        ModelConfig config = ModelConfigJson.parse("{\"vocab_size\": 100277, \"decoder_embed_dim\": 16, "
                + "\"decoder_attention_heads\": 2, \"decoder_ffn_embed_dim\": 32, \"decoder_layers\": 1, "
                + "\"segment_length\": [8], \"dilated_ratio\": [1]}");
        ModelDirectory.save(dir, ModelInit.random(config, 1));
        int max = config.maxChunkTokens();

        assertThat(ModelCheck.validate(dir, 3, max).config()).isEqualTo(config);
        assertThatThrownBy(() -> ModelCheck.validate(dir, 3, max + 1))
                .isInstanceOf(ModelCheck.InvalidModelException.class)
                .hasMessageContainingAll(dir.toString(), "chunk-size " + (max + 1), Integer.toString(max));
    }
}
