package io.longnet.demo;

import io.longnet.model.ModelConfig;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelDirectory;
import io.longnet.model.ModelInit;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The demo's stand-in model: small enough to run on two cores, with cl100k_base's full vocabulary, and
 * UNTRAINED (seeded random weights), so its embeddings and predictions show the pipeline, not language.
 */
public final class DemoModel {

    public static final long SEED = 42;

    /** E=64, 4 heads, 2 layers, FFN 128, the paper's schedule scaled down to w = 64, 128, 256 and r = 1, 2, 4. */
    public static final String CONFIG_JSON = """
            {
              "vocab_size": 100277,
              "decoder_embed_dim": 64,
              "decoder_attention_heads": 4,
              "decoder_layers": 2,
              "decoder_ffn_embed_dim": 128,
              "segment_length": [64, 128, 256],
              "dilated_ratio": [1, 2, 4]
            }
            """;

    private DemoModel() {
    }

    public static ModelConfig config() {
        return ModelConfigJson.parse(CONFIG_JSON);
    }

    /** Writes the untrained model (same seed, same bytes) to {@code dir}. */
    public static ModelDirectory writeUntrained(Path dir) throws IOException {
        return ModelDirectory.save(dir, ModelInit.random(config(), SEED));
    }
}
