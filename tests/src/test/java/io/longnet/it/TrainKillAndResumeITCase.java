package io.longnet.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.longnet.cli.Main;
import io.longnet.compute.NativeThreadEnvironment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code longnet train} killed with SIGKILL twice (each time after a checkpoint, while it goes on training) and
 * started again with the same command: it finishes with the same step count, and its log holds exactly the
 * losses of a run that was never killed (same seed and threads, same losses), so the curve continues where it was.
 */
class TrainKillAndResumeITCase {

    private static final Duration TIMEOUT = Duration.ofMinutes(4);
    private static final int STEPS = 40;

    @TempDir
    Path tmp;

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killAll() {
        processes.forEach(Process::destroyForcibly);
    }

    @Test
    void killedTwiceItResumesTheSameCurve() throws Exception {
        Path config = tmp.resolve("config.json");
        Files.writeString(config, "{\"vocab_size\": 257, \"decoder_embed_dim\": 32, \"decoder_attention_heads\": 2, "
                + "\"decoder_ffn_embed_dim\": 64, \"decoder_layers\": 2, \"segment_length\": [32, 256], "
                + "\"dilated_ratio\": [1, 8], \"share_decoder_input_output_embed\": true, "
                + "\"longnet_tokenizer\": \"bytes\"}");
        Path uninterrupted = tmp.resolve("uninterrupted");
        Process reference = start(command(config, uninterrupted), tmp.resolve("reference.log"));
        awaitExit(reference, tmp.resolve("reference.log"));

        Path run = tmp.resolve("killed");
        List<String> command = command(config, run);
        for (int kill = 1; kill <= 2; kill++) {
            Path log = tmp.resolve("run-" + kill + ".log");
            Process p = start(command, log);
            long target = kill * 15L;
            awaitCheckpoint(run, target, p, log);
            p.destroyForcibly(); // SIGKILL
            p.waitFor();
        }
        Path log = tmp.resolve("run-3.log");
        Process last = start(command, log);
        awaitExit(last, log);
        assertThat(Files.readString(log)).contains("resumed");

        List<Double> expected = losses(uninterrupted);
        List<Double> got = losses(run);
        assertThat(expected).hasSize(STEPS);
        assertThat(got).as("the killed run's losses, step by step").isEqualTo(expected);
    }

    private static List<String> command(Path config, Path out) {
        Path data = Path.of("..", "operators", "src", "main", "java").toAbsolutePath().normalize();
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "train", "--data", data.toString(), "--out", out.toString(),
                "--config", config.toString(), "--seed", "5", "--steps", Integer.toString(STEPS), "--batch", "2",
                "--chunk", "96", "--lr", "3e-3", "--warmup", "5", "--checkpoint-every", "5", "--eval-every", "20",
                "--eval-tokens", "256", "--eval-packages", "1", "--held-out", "io.longnet.train", "--threads", "1",
                "--log-seconds", "1");
    }

    private Process start(List<String> command, Path log) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        NativeThreadEnvironment.addMissing(builder.environment());
        Process process = builder.start();
        processes.add(process);
        return process;
    }

    /** Waits until the run has a complete checkpoint at or past {@code step}. */
    private static void awaitCheckpoint(Path run, long step, Process p, Path log) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (newestCheckpoint(run) < step) {
            assertThat(p.isAlive()).as("train is alive; its output:%n%s", Files.readString(log)).isTrue();
            assertThat(System.nanoTime()).as("a checkpoint at step %d within %s", step, TIMEOUT).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private static long newestCheckpoint(Path run) throws IOException {
        Path dir = run.resolve("checkpoints");
        if (!Files.isDirectory(dir)) {
            return -1;
        }
        try (Stream<Path> dirs = Files.list(dir)) {
            return dirs.filter(d -> Files.exists(d.resolve("COMPLETE")))
                    .mapToLong(d -> Long.parseLong(d.getFileName().toString().substring("step-".length())))
                    .max().orElse(-1);
        }
    }

    private static void awaitExit(Process p, Path log) throws Exception {
        boolean done = p.waitFor(TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        assertThat(done).as("train finished within %s; its output:%n%s", TIMEOUT, Files.readString(log)).isTrue();
        assertThat(p.exitValue()).as("train's exit code; its output:%n%s", Files.readString(log)).isZero();
    }

    private static List<Double> losses(Path run) throws IOException {
        List<Double> losses = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        long expectedStep = 1;
        for (String line : Files.readAllLines(run.resolve("train.jsonl"))) {
            JsonNode o = json.readTree(line);
            if (o.has("loss")) {
                assertThat(o.get("step").asLong()).as("steps in order, none repeated").isEqualTo(expectedStep++);
                losses.add(o.get("loss").asDouble());
            }
        }
        return losses;
    }
}
