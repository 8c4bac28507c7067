package io.longnet.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.longnet.model.ModelConfig;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelDirectory;
import io.longnet.model.ModelInit;
import io.longnet.ops.LogitsBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCheckTest {

    private static final ModelConfig CL100K_SIZED = ModelConfigJson.parse("{\"vocab_size\": 100277, "
            + "\"decoder_embed_dim\": 16, \"decoder_attention_heads\": 2, \"decoder_ffn_embed_dim\": 32, "
            + "\"decoder_layers\": 1, \"segment_length\": [8], \"dilated_ratio\": [1]}");

    /**
     * A chunk-size the model cannot take is refused when the job is built, not by every chunk failing. Without
     * predictions (no logits buffer) the activations alone bound it.
     */
    @Test
    void theChunkSizeIsCheckedAgainstTheModelAtStart(@TempDir Path dir) throws Exception {
        ModelDirectory.save(dir, ModelInit.random(CL100K_SIZED, 1));
        int max = CL100K_SIZED.maxChunkTokens();

        assertThat(ModelCheck.validate(dir, 3, max, false).config()).isEqualTo(CL100K_SIZED);
        assertThatThrownBy(() -> ModelCheck.validate(dir, 3, max + 1, false))
                .isInstanceOf(ModelCheck.InvalidModelException.class)
                .hasMessageContainingAll(dir.toString(), "chunk-size " + (max + 1), Integer.toString(max));
    }

    /**
     * With predictions on, the logits buffer [(chunk-size + 1, rounded up to 64), V] must fit the native memory
     * limit: 1 GiB holds 2624 rows at V = 100277 (1,052,507,392 bytes), so chunk-size 2623 and not 2624 (2688
     * rows, 1,078,178,304 bytes). Predictions off, 2624 passes.
     */
    @Test
    void withPredictionsTheLogitsBufferMustFitTheNativeMemoryLimitAtStart(@TempDir Path dir) throws Exception {
        ModelDirectory.save(dir, ModelInit.random(CL100K_SIZED, 1));
        long limit = 1L << 30;

        assertThat(ModelCheck.validate(dir, 3, 2623, true, limit).config()).isEqualTo(CL100K_SIZED);
        assertThatThrownBy(() -> ModelCheck.validate(dir, 3, 2624, true, limit))
                .isInstanceOf(ModelCheck.InvalidModelException.class)
                .hasMessageStartingWith("model directory " + dir + " cannot be used: chunk-size 2624 with "
                        + "predictions on")
                .hasMessageContainingAll("2688 rows", "vocab_size 100277", "1078178304 bytes per encoder",
                        "than the 1073741824 bytes", "chunk-size 2623 is the largest that fits");
        assertThat(ModelCheck.validate(dir, 3, 2624, false, limit).config()).isEqualTo(CL100K_SIZED);
        assertThat(ModelCheck.validate(dir, 3, 2624, true, 0).config()).as("0: no limit").isEqualTo(CL100K_SIZED);
    }

    /** The job's own check runs against this JVM's JavaCPP maxPhysicalBytes (surefire: maxbytes 6G + 3 x 4G heap). */
    @Test
    void theJobChecksTheLogitsBufferAgainstThisJvmsMaxPhysicalBytes(@TempDir Path dir) throws Exception {
        ModelDirectory.save(dir, ModelInit.random(CL100K_SIZED, 1));
        long limit = Pointer.maxPhysicalBytes();
        int largest = LogitsBuffer.largestChunkSize(100277, limit);
        assumeTrue(limit > 0 && largest < CL100K_SIZED.maxChunkTokens(), "a native limit below the activations'");

        assertThat(ModelCheck.validate(dir, 3, largest, true).config()).isEqualTo(CL100K_SIZED);
        assertThatThrownBy(() -> ModelCheck.validate(dir, 3, largest + 1, true))
                .hasMessageContainingAll("chunk-size " + (largest + 1) + " with predictions on",
                        "than the " + limit + " bytes", "chunk-size " + largest + " is the largest that fits");
    }

    /** The vocabulary check is against the tokenizer the model names: 257 rows are enough for bytes only. */
    @Test
    void theVocabularyIsCheckedAgainstTheModelsTokenizer(@TempDir Path dir) throws Exception {
        Path bytes = tinyModel(dir.resolve("bytes"), 257, "bytes");
        Path tooSmall = tinyModel(dir.resolve("too-small"), 256, "bytes");
        Path cl100k = tinyModel(dir.resolve("cl100k"), 257, "cl100k_base");

        assertThat(ModelCheck.validate(bytes, 3, 16, true).config().vocabSize()).isEqualTo(257);
        assertThatThrownBy(() -> ModelCheck.validate(tooSmall, 3, 16, true))
                .isInstanceOf(ModelCheck.InvalidModelException.class)
                .hasMessage("model directory " + tooSmall + " cannot be used: model vocab_size is 256 but its "
                        + "tokenizer bytes (longnet_tokenizer) needs vocab_size >= 257 (ids 0..256, separator 256)");
        assertThatThrownBy(() -> ModelCheck.validate(cl100k, 3, 16, true))
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
