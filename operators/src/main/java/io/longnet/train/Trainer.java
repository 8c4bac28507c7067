package io.longnet.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.longnet.attention.AttentionState;
import io.longnet.model.ModelConfig;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelWeights;
import io.longnet.text.CorpusTokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The training loop: lanes of package streams fed chunk by chunk into {@link TrainingDecoder}, AdamW steps on
 * the schedule, held-out evaluation, a progress line every few seconds, one JSON line per step and evaluation
 * in {@code train.jsonl}, checkpoints every N steps. Started again on the same run directory it resumes from
 * the newest complete checkpoint, and the log is cut back to that step, so the curve continues where it was.
 */
public final class Trainer {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double LN2 = Math.log(2);

    /**
     * A finished run: the trained weights, the last step's train loss and the last held-out evaluation.
     *
     * @param trainLoss the last step's loss in nats per token (for a run resumed with no step left, as its log
     *     holds it; NaN if the log lacks it)
     */
    public record Summary(long steps, long tokens, double trainLoss, Evaluation heldOut, Parameters weights) {
    }

    /** Held-out loss: nats per token and bits per byte of the text the targets stand for. */
    public record Evaluation(double natsPerToken, double bitsPerByte, long tokens) {
    }

    private final TrainConfig config;
    private final CorpusTokenizer tokenizer;
    private final PrintStream progress;

    public Trainer(TrainConfig config, CorpusTokenizer tokenizer, PrintStream progress) {
        this.config = config;
        this.tokenizer = tokenizer;
        this.progress = progress;
    }

    /**
     * Trains {@code initial} (ignored when the run directory has a checkpoint, which resumes) for the configured
     * steps.
     */
    public Summary run(ModelWeights initial) throws IOException {
        ModelConfig model = initial.config();
        tokenizer.checkModelVocabulary(model.vocabSize());
        Files.createDirectories(config.out());
        try (Corpus corpus = Corpus.open(config.data(), config.extensions())) {
            List<Corpus.Package> train = new ArrayList<>();
            List<Corpus.Package> heldOut = new ArrayList<>();
            for (Corpus.Package p : corpus.packages()) {
                (config.heldOut().stream().anyMatch(p::within) ? heldOut : train).add(p);
            }
            TrainCheckpoint.RunIdentity identity = new TrainCheckpoint.RunIdentity(config.seed(),
                    config.heldOut(), config.extensions().stream().sorted().toList(), train.size(), config.batch(),
                    ModelConfigJson.toJson(model, tokenizer.name()));
            Optional<TrainCheckpoint.Loaded> resumed = TrainCheckpoint.latest(config.out(), model, identity);
            Parameters params = resumed.map(TrainCheckpoint.Loaded::weights).orElseGet(() -> Parameters.of(initial));
            Parameters grads = Parameters.zerosLike(params);
            AdamW adam = resumed.map(r -> new AdamW(config.adam(), r.m(), r.v(), r.step()))
                    .orElseGet(() -> new AdamW(config.adam(), params));
            TrainingDecoder decoder = new TrainingDecoder(params, grads);
            Lanes lanes = new Lanes(corpus, train, tokenizer, decoder, config.seed(), config.batch());
            long step = 0;
            long tokens = 0;
            double lastLoss = Double.NaN; // the checkpointed step's train loss, from the log
            if (resumed.isPresent()) {
                TrainCheckpoint.Loaded r = resumed.get();
                step = r.step();
                tokens = r.tokens();
                lanes.nextDeal = r.nextDeal();
                for (int l = 0; l < r.lanes().size(); l++) {
                    TrainCheckpoint.LaneState s = r.lanes().get(l);
                    lanes.resume(lanes.lanes().get(l), s.dealt(), s.position(), restore(decoder, s));
                    if (!lanes.lanes().get(l).pkg.name().equals(s.packageName())) {
                        throw new IllegalArgumentException("checkpoint of " + config.out() + " has lane " + l
                                + " in package " + s.packageName() + " but --data " + config.data() + " deals "
                                + lanes.lanes().get(l).pkg.name() + " there: resume with the same data");
                    }
                }
                lastLoss = truncateLog(step);
                progress.printf("resumed %s at step %d (%d tokens)%n", config.out(), step, tokens);
            } else {
                lanes.startFresh();
                Files.deleteIfExists(log());
                progress.printf("training %s: %d parameters, %d train and %d held-out packages%n", config.out(),
                        params.count(), train.size(), heldOut.size());
            }
            return loop(corpus, heldOut, decoder, params, grads, adam, lanes, step, tokens, lastLoss, identity);
        }
    }

    private Summary loop(Corpus corpus, List<Corpus.Package> heldOut, TrainingDecoder decoder, Parameters params,
                         Parameters grads, AdamW adam, Lanes lanes, long step, long tokens, double lastLoss,
                         TrainCheckpoint.RunIdentity identity) throws IOException {
        AdamW.Schedule schedule = config.schedule();
        long startNanos = System.nanoTime();
        long startTokens = tokens;
        long startStep = step;
        long lastPrint = startNanos;
        double trainLoss = lastLoss;
        Evaluation evaluation = null;
        while (step < config.steps()) {
            List<Lanes.Chunk> chunks = new ArrayList<>();
            for (int a = 0; a < config.accumulate(); a++) {
                for (Lanes.Lane lane : lanes.lanes()) {
                    chunks.add(lanes.next(lane, config.chunk()));
                }
            }
            long targets = chunks.stream().mapToLong(Lanes.Chunk::targetCount).sum();
            double lossSum = 0;
            grads.fill(0f);
            for (Lanes.Chunk c : chunks) {
                lossSum += decoder.step(c.tokens(), c.targets(), c.first(), c.states(), 1.0 / targets).sum();
                tokens += c.tokens().length;
            }
            decoder.downloadGradients();
            trainLoss = lossSum / targets;
            double lr = schedule.at(step + 1);
            if (!Double.isFinite(trainLoss)) {
                throw new IllegalStateException("the training loss is " + trainLoss + " at step " + (step + 1)
                        + " (learning rate " + lr + "); stopped without writing a checkpoint, so the last good one "
                        + "in " + TrainCheckpoint.directory(config.out()) + " is kept: lower --lr or --clip");
            }
            double norm = AdamW.globalNorm(grads);
            if (!Double.isFinite(norm)) {
                throw new IllegalStateException("the gradient norm is " + norm + " at step " + (step + 1)
                        + " (loss " + trainLoss + ", learning rate " + lr + "); stopped without writing a checkpoint, "
                        + "so the last good one in " + TrainCheckpoint.directory(config.out()) + " is kept");
            }
            adam.update(params, grads, lr);
            decoder.upload();
            step++;
            double seconds = (System.nanoTime() - startNanos) / 1e9;
            double tokensPerSecond = (tokens - startTokens) / Math.max(seconds, 1e-9);
            logLine(step, tokens, trainLoss, lr, norm, tokensPerSecond);
            boolean last = step == config.steps();
            if (config.evalEvery() > 0 && step % config.evalEvery() == 0 || last) {
                evaluation = evaluate(corpus, heldOut, decoder);
                logEvaluation(step, tokens, evaluation);
            }
            if (step % config.checkpointEvery() == 0 || last) {
                TrainCheckpoint.write(config.out(), step, tokens, lanes, params, adam, identity);
            }
            long now = System.nanoTime();
            if ((now - lastPrint) / 1e9 >= config.logSeconds() || last) {
                lastPrint = now;
                double eta = (config.steps() - step) * seconds / (step - startStep);
                progress.printf("step %d/%d  tokens %d  loss %.4f  bits/token %.3f  lr %.2e  tok/s %.0f  ETA %s%s%n",
                        step, config.steps(), tokens, trainLoss, trainLoss / LN2, lr, tokensPerSecond,
                        duration(eta), evaluation == null ? "" : String.format("  held-out bits/byte %.3f",
                                evaluation.bitsPerByte()));
            }
        }
        if (evaluation == null && !heldOut.isEmpty() && config.evalPackages() > 0) {
            // Nothing was left to run (a finished run started again, e.g. to write its model in another dtype):
            // the model still gets its held-out figure.
            evaluation = evaluate(corpus, heldOut, decoder);
        }
        return new Summary(step, tokens, trainLoss, evaluation, params);
    }

    private static AttentionState[] restore(TrainingDecoder decoder, TrainCheckpoint.LaneState s) {
        AttentionState[] states = decoder.newStreamState();
        int heads = decoder.config().heads();
        for (int layer = 0; layer < states.length; layer++) {
            for (int pair = 0; pair < s.keys()[layer].length; pair++) {
                if (s.keys()[layer][pair].length > 0) {
                    states[layer].append(pair / heads, pair % heads, s.keys()[layer][pair], s.values()[layer][pair]);
                }
            }
        }
        return states;
    }

    /**
     * The first {@code evalTokens} tokens of up to {@code evalPackages} held-out packages (spread evenly over them),
     * each a stream in chunks as in training, forward only.
     */
    public Evaluation evaluate(Corpus corpus, List<Corpus.Package> heldOut, TrainingDecoder decoder) {
        if (heldOut.isEmpty() || config.evalPackages() == 0) {
            return null;
        }
        int count = Math.min(config.evalPackages(), heldOut.size());
        double nats = 0;
        long targets = 0;
        long bytes = 0;
        for (int i = 0; i < count; i++) {
            Corpus.Package p = heldOut.get((int) ((long) i * heldOut.size() / count));
            int[] all = corpus.tokens(p, tokenizer);
            int[] stream = java.util.Arrays.copyOf(all, Math.min(all.length, config.evalTokens() + 1));
            AttentionState[] states = decoder.newStreamState();
            for (int from = 0; from + 1 < stream.length; from += config.chunk()) {
                int to = Math.min(stream.length - 1, from + config.chunk());
                int[] tokens = java.util.Arrays.copyOfRange(stream, from, to);
                int[] next = java.util.Arrays.copyOfRange(stream, from + 1, to + 1);
                TrainingDecoder.ChunkLoss loss = decoder.step(tokens, next, from, states, 0);
                nats += loss.sum();
                targets += loss.targets();
                for (int t : next) {
                    bytes += tokenizer.bytesOf(t);
                }
            }
        }
        return new Evaluation(nats / targets, nats / LN2 / Math.max(1, bytes), targets);
    }

    private Path log() {
        return config.out().resolve("train.jsonl");
    }

    private void logLine(long step, long tokens, double loss, double lr, double norm, double tokensPerSecond)
            throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("step", step);
        o.put("tokens", tokens);
        o.put("loss", loss);
        o.put("bits_per_token", loss / LN2);
        o.put("lr", lr);
        o.put("grad_norm", norm);
        o.put("tokens_per_second", tokensPerSecond);
        append(o);
    }

    private void logEvaluation(long step, long tokens, Evaluation e) throws IOException {
        if (e == null) {
            return;
        }
        ObjectNode o = JSON.createObjectNode();
        o.put("step", step);
        o.put("tokens", tokens);
        o.put("held_out_loss", e.natsPerToken());
        o.put("held_out_bits_per_byte", e.bitsPerByte());
        o.put("held_out_tokens", e.tokens());
        append(o);
    }

    private void append(ObjectNode o) throws IOException {
        Files.writeString(log(), JSON.writeValueAsString(o) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /**
     * Drops log lines of steps after the checkpoint a resumed run continues from ({@code step}), and returns the
     * train loss it holds for that step (NaN if none), so a run resumed with no step left still reports its last loss.
     */
    private double truncateLog(long step) throws IOException {
        if (!Files.exists(log())) {
            return Double.NaN;
        }
        List<String> kept = new ArrayList<>();
        double lossAtStep = Double.NaN;
        for (String line : Files.readAllLines(log())) {
            JsonNode o = parseOrNull(line); // a kill while appending leaves a torn last line
            if (o != null && o.has("step") && o.get("step").asLong() <= step) {
                kept.add(line);
                if (o.get("step").asLong() == step && o.has("loss")) {
                    lossAtStep = o.get("loss").asDouble();
                }
            }
        }
        Path rewritten = config.out().resolve("train.jsonl.tmp");
        Files.write(rewritten, kept);
        Files.move(rewritten, log(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return lossAtStep;
    }

    private static JsonNode parseOrNull(String line) {
        try {
            return line.isBlank() ? null : JSON.readTree(line);
        } catch (IOException e) {
            return null;
        }
    }

    private static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s % 3600 / 60) : String.format("%dm%02ds", s / 60, s % 60);
    }
}
