package io.longnet.cli;

import io.longnet.model.ModelConfig;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelDirectory;
import io.longnet.model.ModelInit;
import io.longnet.text.CorpusTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * {@code longnet init --config CONFIG.json --seed S --out DIR}: a randomly initialised model; same seed, same bytes.
 * The config's tokenizer ({@code longnet_tokenizer}) is kept in the model's config.json.
 */
public final class InitCommand {

    private InitCommand() {
    }

    public static ModelDirectory run(List<String> argv) throws IOException {
        Args args = new Args("init", argv, Set.of("config", "seed", "out"));
        Path configFile = Path.of(args.required("config"));
        ModelConfig config = ModelConfigJson.read(configFile);
        String tokenizer = ModelConfigJson.tokenizer(Files.readString(configFile));
        CorpusTokenizer.named(tokenizer); // an unknown name is refused here, not when the model is first loaded
        args.required("seed");
        long seed = args.longValue("seed", 0);
        return ModelDirectory.save(Path.of(args.required("out")), ModelInit.random(config, seed), tokenizer);
    }
}
