package io.longnet.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.longnet.model.ModelConfig;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelDirectory;
import io.longnet.model.ModelInit;
import java.nio.file.Files;
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

    /** The vocabulary check is against the tokenizer the model names: 257 rows are enough for bytes only. */
    @Test
    void theVocabularyIsCheckedAgainstTheModelsTokenizer(@TempDir Path dir) throws Exception {
        Path bytes = tinyModel(dir.resolve("bytes"), 257, "bytes");
        Path tooSmall = tinyModel(dir.resolve("too-small"), 256, "bytes");
        Path cl100k = tinyModel(dir.resolve("cl100k"), 257, "cl100k_base");

        assertThat(ModelCheck.validate(bytes, 3, 16).config().vocabSize()).isEqualTo(257);
        assertThatThrownBy(() -> ModelCheck.validate(tooSmall, 3, 16))
                .isInstanceOf(ModelCheck.InvalidModelException.class)
                .hasMessage("model directory " + tooSmall + " cannot be used: model vocab_size is 256 but its "
                        + "tokenizer bytes (longnet_tokenizer) needs vocab_size >= 257 (ids 0..256, separator 256)");
        assertThatThrownBy(() -> ModelCheck.validate(cl100k, 3, 16))
                .hasMessageContainingAll(cl100k.toString(), "vocab_size is 257", "cl100k_base", ">= 100277");
        // The same weights under another tokenizer: another fingerprint, so a restore refuses its streams.
        assertThat(ModelDirectory.load(bytes).fingerprint()).isNotEqualTo(ModelDirectory.load(cl100k).fingerprint());
    }

    private static Path tinyModel(Path dir, int vocab, String tokenizer) throws Exception {
        ModelConfig config = ModelConfigJson.parse("{\"vocab_size\": " + vocab + ", \"decoder_embed_dim\": 16, "
                + "\"decoder_attention_heads\": 2, \"decoder_ffn_embed_dim\": 32, \"decoder_layers\": 1, "
                + "\"segment_length\": [8], \"dilated_ratio\": [1]}");
        ModelDirectory.save(dir, ModelInit.random(config, 1));
        Files.writeString(dir.resolve(ModelDirectory.CONFIG_FILE), ModelConfigJson.toJson(config, tokenizer));
        return dir;
    }
}
