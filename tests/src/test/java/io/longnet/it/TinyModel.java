package io.longnet.it;

import io.longnet.model.ModelConfig;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelDirectory;
import io.longnet.model.ModelInit;
import io.longnet.model.ModelWeights;
import io.longnet.model.WeightLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A tiny random model with cl100k_base's vocabulary: E=16, 2 heads, 2 layers, and a schedule of short
 * segments (w = 8, 16, 32; r = 1, 2, 4), so a stream of a few hundred tokens crosses many segment
 * boundaries of every branch.
 */
final class TinyModel {

    static final String CONFIG_JSON = """
            {
              "vocab_size": 100277,
              "decoder_embed_dim": 16,
              "decoder_attention_heads": 2,
              "decoder_layers": 2,
              "decoder_ffn_embed_dim": 32,
              "segment_length": [8, 16, 32],
              "dilated_ratio": [1, 2, 4]
            }
            """;

    private TinyModel() {
    }

    /** The same shape with the bytes tokenizer: 257 rows (bytes 0..255 and the separator 256). */
    static ModelDirectory writeBytes(Path dir) throws IOException {
        ModelConfig config = ModelConfigJson.parse(CONFIG_JSON.replace("100277", "257"));
        ModelDirectory.save(dir, ModelInit.random(config, 7));
        Files.writeString(dir.resolve(ModelDirectory.CONFIG_FILE), ModelConfigJson.toJson(config, "bytes"));
        return ModelDirectory.load(dir);
    }

    static ModelDirectory write(Path dir) throws IOException {
        return ModelDirectory.save(dir, ModelInit.random(ModelConfigJson.parse(CONFIG_JSON), 7));
    }

    /** The same model with NaN embedding rows for {@code poisoned} token ids. */
    static ModelDirectory writePoisoned(Path dir, int... poisoned) throws IOException {
        ModelConfig config = ModelConfigJson.parse(CONFIG_JSON);
        ModelWeights weights = ModelInit.random(config, 7);
        float[] embed = weights.get(WeightLayout.EMBED); // [V, E], the model's own array
        for (int id : poisoned) {
            Arrays.fill(embed, id * config.embedDim(), (id + 1) * config.embedDim(), Float.NaN);
        }
        return ModelDirectory.save(dir, weights);
    }
}
