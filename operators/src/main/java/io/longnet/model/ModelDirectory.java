package io.longnet.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A model directory: {@code config.json} (torchscale DecoderConfig keys) and {@code model.safetensors}
 * (torchscale state-dict names). The fingerprint identifies the exact model in outputs.
 */
public record ModelDirectory(Path dir, ModelConfig config, ModelWeights weights, String fingerprint) {

    public static final String CONFIG_FILE = "config.json";
    public static final String WEIGHTS_FILE = "model.safetensors";

    public static ModelDirectory load(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("model directory " + dir + " does not exist or is not a directory");
        }
        Path configFile = dir.resolve(CONFIG_FILE);
        Path weightsFile = dir.resolve(WEIGHTS_FILE);
        for (Path p : new Path[] {configFile, weightsFile}) {
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("model directory " + dir + " has no " + p.getFileName());
            }
        }
        ModelConfig config = ModelConfigJson.read(configFile);
        ModelWeights weights = ModelWeights.load(config, weightsFile);
        return new ModelDirectory(dir, config, weights, fingerprint(configFile, weightsFile));
    }

    public static ModelDirectory save(Path dir, ModelWeights weights) throws IOException {
        return save(dir, weights, ModelConfigJson.DEFAULT_TOKENIZER);
    }

    /** As {@link #save(Path, ModelWeights)}, its config.json naming {@code tokenizer} (unnamed: the default). */
    public static ModelDirectory save(Path dir, ModelWeights weights, String tokenizer) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(CONFIG_FILE), tokenizer.equals(ModelConfigJson.DEFAULT_TOKENIZER)
                ? ModelConfigJson.toJson(weights.config()) : ModelConfigJson.toJson(weights.config(), tokenizer));
        weights.save(dir.resolve(WEIGHTS_FILE));
        return new ModelDirectory(dir, weights.config(), weights,
                fingerprint(dir.resolve(CONFIG_FILE), dir.resolve(WEIGHTS_FILE)));
    }

    /** First 16 hex digits of SHA-256 over the config and weights files. */
    static String fingerprint(Path... files) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            for (Path f : files) {
                try (InputStream in = Files.newInputStream(f)) {
                    for (int r; (r = in.read(buf)) > 0; ) {
                        sha.update(buf, 0, r);
                    }
                }
            }
            return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read model files: " + e, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
