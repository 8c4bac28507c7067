package io.longnet.cli;

import io.longnet.model.ModelConfig;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelDirectory;
import io.longnet.model.ModelInit;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** {@code longnet init --config CONFIG.json --seed S --out DIR}: a randomly initialised model; same seed, same bytes. */
public final class InitCommand {

    private InitCommand() {
    }

    public static ModelDirectory run(List<String> argv) throws IOException {
        Args args = new Args("init", argv, Set.of("config", "seed", "out"));
        ModelConfig config = ModelConfigJson.read(Path.of(args.required("config")));
        args.required("seed");
        long seed = args.longValue("seed", 0);
        return ModelDirectory.save(Path.of(args.required("out")), ModelInit.random(config, seed));
    }
}
