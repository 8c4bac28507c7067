package io.longnet.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * One training run's settings, validated at construction; every error names the flag.
 *
 * @param data            a directory tree or zip of source files (one stream per package)
 * @param extensions      file name endings read from it, e.g. .java; empty for all files
 * @param heldOut         package prefixes never trained on; evaluated on
 * @param out             run directory: checkpoints, train.jsonl, loss.png, model/
 * @param seed            data order and (for a fresh model) the initial weights
 * @param steps           optimizer steps in all (a resumed run goes on to this many)
 * @param batch           streams trained side by side (lanes)
 * @param chunk           tokens per chunk: activations are held for one chunk at a time
 * @param accumulate      consecutive chunks per lane per optimizer step (gradient accumulation)
 * @param lr              peak learning rate
 * @param minLr           learning rate at the last step (cosine floor)
 * @param warmup          linear warm-up steps
 * @param adam            optimizer settings
 * @param checkpointEvery steps between checkpoints
 * @param evalEvery       steps between held-out evaluations (0: only at the end)
 * @param evalTokens      tokens evaluated from the start of each held-out package
 * @param evalPackages    held-out packages evaluated (spread over the held-out list)
 * @param logSeconds      seconds between progress lines
 */
public record TrainConfig(Path data, Set<String> extensions, List<String> heldOut, Path out, long seed, long steps,
                          int batch, int chunk, int accumulate, double lr, double minLr, long warmup,
                          AdamW.Config adam, long checkpointEvery, long evalEvery, int evalTokens, int evalPackages,
                          double logSeconds) {

    public TrainConfig {
        positive("steps", steps);
        positive("batch", batch);
        positive("chunk", chunk);
        positive("accumulate", accumulate);
        positive("checkpoint-every", checkpointEvery);
        positive("eval-tokens", evalTokens);
        if (chunk < 2) {
            throw new IllegalArgumentException("--chunk must be at least 2 tokens, got " + chunk);
        }
        if (evalEvery < 0 || evalPackages < 0 || warmup < 0 || !(logSeconds > 0)) {
            throw new IllegalArgumentException("--eval-every, --eval-packages and --warmup must be >= 0 and "
                    + "--log-seconds > 0, got " + evalEvery + ", " + evalPackages + ", " + warmup + ", " + logSeconds);
        }
        new AdamW.Schedule(lr, minLr, warmup, steps); // validates the rates
        heldOut = List.copyOf(heldOut);
        extensions = Set.copyOf(extensions);
    }

    private static void positive(String flag, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException("--" + flag + " must be positive, got " + value);
        }
    }

    public AdamW.Schedule schedule() {
        return new AdamW.Schedule(lr, minLr, warmup, steps);
    }

    /** Tokens per optimizer step, at most (lanes x accumulate x chunk). */
    public long tokensPerStep() {
        return (long) batch * accumulate * chunk;
    }
}
