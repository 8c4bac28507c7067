package io.longnet.cli;

import io.longnet.bench.LossCurvePlot;
import io.longnet.compute.ComputeThreads;
import io.longnet.model.ModelConfig;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelDirectory;
import io.longnet.model.ModelInit;
import io.longnet.model.ModelWeights;
import io.longnet.text.CorpusTokenizer;
import io.longnet.train.AdamW;
import io.longnet.train.TrainConfig;
import io.longnet.train.Trainer;
import io.longnet.train.TrainingRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * {@code longnet train}: trains a LongNet decoder on a tree or zip of source files (one stream per package) and
 * writes a model directory that {@code forward}, {@code run}, {@code submit} and {@code demo} load. Started again
 * with the same command it resumes from the run directory's newest checkpoint.
 */
public final class TrainCommand {

    static final String USAGE = "train   --data DIR|ZIP --out DIR (--config CONFIG.json | --model DIR) [--seed 1] "
            + "[--steps 1000] [--batch 4] [--chunk 4096] [--accumulate 1] [--lr 1e-3] [--min-lr 1e-4] [--warmup 50] "
            + "[--weight-decay 0.1] [--clip 1.0] [--beta1 0.9] [--beta2 0.95] [--checkpoint-every 50] "
            + "[--eval-every 100] [--eval-tokens 8192] [--eval-packages 8] [--held-out java.util.concurrent,java.time]"
            + " [--extensions .java] [--threads N] [--log-seconds 10] [--dtype f32|bf16]";

    private static final Set<String> FLAGS = Set.of("data", "out", "config", "model", "seed", "steps", "batch",
            "chunk", "accumulate", "lr", "min-lr", "warmup", "weight-decay", "clip", "beta1", "beta2",
            "checkpoint-every", "eval-every", "eval-tokens", "eval-packages", "held-out", "extensions", "threads",
            "log-seconds", "dtype");

    private TrainCommand() {
    }

    public static Path run(List<String> argv) throws IOException {
        Args args = new Args("train", argv, FLAGS);
        if (args.has("config") == args.has("model")) {
            throw new Args.UsageException("train: give exactly one of --config CONFIG.json (a fresh model) and "
                    + "--model DIR (continue training a model)");
        }
        if (args.has("threads")) {
            ComputeThreads.set(args.positiveInt("threads", 1));
        }
        long seed = args.longValue("seed", 1);
        Path configFile = args.has("config") ? Path.of(args.required("config"))
                : Path.of(args.required("model")).resolve(ModelDirectory.CONFIG_FILE);
        String configJson = Files.readString(configFile);
        CorpusTokenizer tokenizer = CorpusTokenizer.named(ModelConfigJson.tokenizer(configJson));
        ModelConfig model = ModelConfigJson.read(configFile);
        ModelWeights initial = args.has("config") ? ModelInit.random(model, seed)
                : ModelDirectory.load(Path.of(args.required("model"))).weights();
        TrainConfig config = new TrainConfig(
                Path.of(args.required("data")),
                Set.copyOf(list(args.optional("extensions", ".java"))),
                list(args.optional("held-out", "java.util.concurrent,java.time")),
                Path.of(args.required("out")),
                seed,
                args.longValue("steps", 1000),
                args.positiveInt("batch", 4),
                args.positiveInt("chunk", 4096),
                args.positiveInt("accumulate", 1),
                args.doubleValue("lr", 1e-3),
                args.doubleValue("min-lr", 1e-4),
                args.longValue("warmup", 50),
                new AdamW.Config(args.doubleValue("beta1", 0.9), args.doubleValue("beta2", 0.95), 1e-8,
                        args.doubleValue("weight-decay", 0.1), args.doubleValue("clip", 1.0), false),
                args.longValue("checkpoint-every", 50),
                args.longValue("eval-every", 100),
                args.positiveInt("eval-tokens", 8192),
                (int) args.longValue("eval-packages", 8),
                args.doubleValue("log-seconds", 10));
        String dtype = args.optional("dtype", "f32");
        if (!dtype.equals("f32") && !dtype.equals("bf16")) {
            throw new Args.UsageException("train: --dtype must be f32 or bf16, got " + dtype);
        }
        boolean bf16 = dtype.equals("bf16");
        Trainer trainer = new Trainer(config, tokenizer, System.out);
        Trainer.Summary summary = trainer.run(initial);
        Path modelDir = config.out().resolve("model");
        Files.createDirectories(modelDir);
        summary.weights().toWeights().save(modelDir.resolve(ModelDirectory.WEIGHTS_FILE), bf16);
        Files.writeString(modelDir.resolve(ModelDirectory.CONFIG_FILE),
                ModelConfigJson.toJson(model, tokenizer.name()));
        TrainingRecord.of(config, summary).write(modelDir);
        Path curve = config.out().resolve("loss.png");
        LossCurvePlot.write(config.out().resolve("train.jsonl"), "LongNet training, " + config.out().getFileName(),
                curve);
        System.out.printf("trained %d steps, %d tokens: %s%s; model in %s%n", summary.steps(), summary.tokens(),
                Double.isNaN(summary.trainLoss()) ? "train loss not in the log"
                        : String.format("train loss %.4f", summary.trainLoss()),
                summary.heldOut() == null ? ""
                        : String.format(", held-out %.4f bits/byte", summary.heldOut().bitsPerByte()), modelDir);
        System.out.println("loss curve in " + curve);
        return modelDir;
    }

    private static List<String> list(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
