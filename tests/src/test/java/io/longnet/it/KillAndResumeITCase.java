package io.longnet.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.longnet.cli.Main;
import io.longnet.compute.NativeThreadEnvironment;
import io.longnet.demo.SampleCorpus;
import io.longnet.job.CheckpointDirectory;
import io.longnet.job.JobOptions;
import io.longnet.kafka.Document;
import io.longnet.kafka.EmbeddingOut;
import io.longnet.kafka.PredictionOut;
import io.longnet.model.ModelDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code longnet run} as a user runs it, in its own JVM, against a broker that survives it: documents of two
 * streams arrive over time, the process is SIGKILLed at random moments (once while a checkpoint is being
 * written) and each time started again with the same command. At the end the read_committed outputs hold
 * every document exactly once, at its stream position, with the values of a run that was never killed. The
 * last start also serves Flink's REST API (--web-ui-port) and Prometheus metrics (--metrics-port). With
 * {@code -Dlongnet.it.kill.delivery-guarantee=at-least-once}: every document at least once, repeats identical.
 */
class KillAndResumeITCase {

    private static final Logger LOG = LoggerFactory.getLogger(KillAndResumeITCase.class);

    /**
     * The documents and model; {@code -Dlongnet.it.kill.documents=N -Dlongnet.it.kill.model-config=FILE} runs the
     * same test at another size, e.g. docker/model-config.json (E=256, 4 layers) with 120 documents.
     */
    private static final int DOCUMENTS = Integer.getInteger("longnet.it.kill.documents", 24);
    private static final String MODEL_CONFIG = System.getProperty("longnet.it.kill.model-config");
    /**
     * {@code -Dlongnet.it.kill.delivery-guarantee=at-least-once} runs it with outputs written at once: then every
     * document comes out at least once, and each repeat equals the first output of its id.
     */
    private static final String DELIVERY = System.getProperty("longnet.it.kill.delivery-guarantee", "exactly-once");
    private static final int KILLS = 3;
    private static final double TOLERANCE = 1e-4;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    @TempDir
    static Path dir;

    private final List<Process> processes = new ArrayList<>();

    @Test
    void killedRepeatedlyAndStartedAgainTheOutputsAreThoseOfARunNeverKilled() throws Exception {
        ModelDirectory model = MODEL_CONFIG == null ? TinyModel.write(dir.resolve("model"))
                : ModelDirectory.save(dir.resolve("model"), io.longnet.model.ModelInit.random(
                        io.longnet.model.ModelConfigJson.parse(Files.readString(Path.of(MODEL_CONFIG))), 7));
        LOG.info("model {}, {} documents", model.config(), DOCUMENTS);
        List<Document> docs = SampleCorpus.documents(DOCUMENTS);
        List<List<Document>> batches = batches(docs, KILLS + 1);
        long seed = System.nanoTime();
        Random random = new Random(seed);
        LOG.info("kill moments from seed {}", seed);
        Path checkpoints = dir.resolve("checkpoints");
        boolean exactlyOnce = DELIVERY.equals("exactly-once");
        try (Pipeline pipeline = new Pipeline("it-kill", model.dir(), checkpoints,
                Map.of(JobOptions.DELIVERY_GUARANTEE.key(), DELIVERY))) {
            int webUiPort = freePort();
            int metricsPort = freePort();
            List<String> command = command(pipeline.jobArguments(), webUiPort, metricsPort);
            Path jobDir = checkpoints.resolve(CheckpointDirectory.jobId("it-kill"));
            List<Long> recoveryMillis = new ArrayList<>();
            int midCheckpointKills = 0;
            long killedAt = 0;
            try {
                pipeline.write(batches.get(0));
                for (int run = 0; run <= KILLS; run++) {
                    int before = pipeline.outputs().embeddings().size();
                    Path log = dir.resolve("run-" + run + ".log");
                    Process process = start(command, log);
                    awaitOutputs(pipeline, process, log, () -> pipeline.outputs().embeddings().size() > before,
                            "new committed outputs after start " + run);
                    if (run > 0) {
                        recoveryMillis.add((System.nanoTime() - killedAt) / 1_000_000);
                        assertThat(Files.readString(log)).as("start %d says where it resumed", run)
                                .contains("resuming from checkpoint");
                    } else {
                        assertThat(Files.readString(log)).contains("starting fresh");
                    }
                    if (run == KILLS) {
                        awaitOutputs(pipeline, process, log, () -> distinctIds(pipeline) >= DOCUMENTS,
                                "every document's outputs");
                        pipeline.outputs().readToEnd(START_TIMEOUT); // a duplicate would come with the same commit
                        assertEndpointsServe(webUiPort, metricsPort, CheckpointDirectory.jobId("it-kill"));
                        break;
                    }
                    if (run == 0 && !exactlyOnce) {
                        // At least once, outputs come before any checkpoint completes: kill once there is one to
                        // resume from (later starts resume from one, so they always have one).
                        awaitCompletedCheckpoint(jobDir);
                    }
                    if (run == 1) {
                        midCheckpointKills += awaitCheckpointInProgress(jobDir) ? 1 : 0;
                    } else {
                        Thread.sleep(random.nextInt(1500));
                    }
                    process.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL
                    killedAt = System.nanoTime();
                    // read everything the killed process committed, so that only new outputs count below
                    pipeline.outputs().readToEnd(START_TIMEOUT);
                    LOG.info("killed start {} with {} embeddings committed", run, pipeline.outputs().embeddings().size());
                    pipeline.write(batches.get(run + 1));
                }
            } finally {
                // Wait for each process to end: a killed JVM may still be writing into the test's directories.
                for (Process p : processes) {
                    p.destroyForcibly().waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
                }
            }
            LOG.info("recovery (SIGKILL -> first new committed output) in ms: {}; kills mid-checkpoint: {}",
                    recoveryMillis, midCheckpointKills);
            assertThat(midCheckpointKills).as("a kill while a checkpoint was being written").isEqualTo(1);
            List<EmbeddingOut> embeddings = pipeline.outputs().embeddings();
            List<PredictionOut> predictions = pipeline.outputs().predictions();
            if (!exactlyOnce) {
                LOG.info("at least once: {} embeddings and {} predictions for {} documents", embeddings.size(),
                        predictions.size(), DOCUMENTS);
                ExpectedOutputs.assertRepeatsEqualTheFirst(embeddings, predictions, TOLERANCE);
                embeddings = ExpectedOutputs.firstOfEachId(embeddings, EmbeddingOut::id);
                predictions = ExpectedOutputs.firstOfEachId(predictions, PredictionOut::id);
            }
            ExpectedOutputs.assertExactlyOnceAsDecodedDirectly(model, docs, embeddings, predictions, TOLERANCE);
        }
    }

    /** The fewer of the distinct document ids among the embeddings and among the predictions read so far. */
    private static long distinctIds(Pipeline pipeline) {
        return Math.min(pipeline.outputs().embeddings().stream().map(EmbeddingOut::id).distinct().count(),
                pipeline.outputs().predictions().stream().map(PredictionOut::id).distinct().count());
    }

    /** {@code docs} in {@code n} consecutive parts, so that both streams get documents in every part. */
    private static List<List<Document>> batches(List<Document> docs, int n) {
        List<List<Document>> batches = new ArrayList<>();
        int size = docs.size() / n;
        for (int i = 0; i < n; i++) {
            batches.add(docs.subList(i * size, i == n - 1 ? docs.size() : (i + 1) * size));
        }
        return batches;
    }

    /** The web UI's REST API lists the running job; the Prometheus endpoint serves the job's own metrics. */
    private static void assertEndpointsServe(int webUiPort, int metricsPort, String jobId) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String jobs = get(http, "http://localhost:" + webUiPort + "/jobs/overview");
        assertThat(jobs).as("GET /jobs/overview").contains("\"jid\":\"" + jobId + "\"", "\"state\":\"RUNNING\"");
        String metrics = get(http, "http://localhost:" + metricsPort + "/metrics");
        assertThat(metrics).as("GET /metrics").contains("flink_taskmanager_job_task_operator_tokensChunked{");
    }

    private static String get(HttpClient http, String url) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("status of GET %s", url).isEqualTo(200);
        return response.body();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /**
     * {@code java -cp <this class path> io.longnet.cli.Main run <job options> --parallelism 2 --web-ui-port P
     * --metrics-port Q}.
     */
    private static List<String> command(List<String> jobArguments, int webUiPort, int metricsPort) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-Xmx1g", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "run"));
        command.addAll(jobArguments);
        command.addAll(List.of("--parallelism", "2", "--web-ui-port", Integer.toString(webUiPort),
                "--metrics-port", Integer.toString(metricsPort)));
        return command;
    }

    private Process start(List<String> command, Path log) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        NativeThreadEnvironment.addMissing(builder.environment()); // with --add-modules, as ./longnet gives it
        Process process = builder.start();
        processes.add(process);
        return process;
    }

    private static void awaitOutputs(Pipeline pipeline, Process process, Path log, BooleanSupplier done, String what)
            throws Exception {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!done.getAsBoolean()) {
            assertThat(process.isAlive()).as("run is alive while awaiting %s; its output:%n%s", what,
                    Files.readString(log)).isTrue();
            assertThat(System.nanoTime()).as("%s within %s; have %d embeddings", what, START_TIMEOUT,
                    pipeline.outputs().embeddings().size()).isLessThan(deadline);
            pipeline.outputs().poll(Duration.ofMillis(100));
        }
    }

    /**
     * Waits (at most 60 s) until a checkpoint is being written: a chk-N directory without metadata, numbered above
     * every completed one (a kill's leftovers are older than what the resumed run has completed since). One that
     * began before the call counts too: at the docker model's size a checkpoint can outlast the wait. At the tiny
     * model's size a checkpoint is written in a few milliseconds, and on a loaded machine this thread missed every
     * one of 20 (10 s at 500 ms), so it looks for longer.
     */
    private static boolean awaitCheckpointInProgress(Path jobDir) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (newestCheckpoint(jobDir, false) > newestCheckpoint(jobDir, true)) {
                return true;
            }
            Thread.sleep(2);
        }
        return false;
    }

    private static void awaitCompletedCheckpoint(Path jobDir) throws InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!Files.isDirectory(jobDir) || newestCheckpoint(jobDir, true) < 0) {
            assertThat(System.nanoTime()).as("a completed checkpoint in %s within %s", jobDir, START_TIMEOUT)
                    .isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    /** The highest N of the chk-N directories with (or without) metadata; -1 if none. */
    private static long newestCheckpoint(Path jobDir, boolean completed) {
        try (Stream<Path> entries = Files.list(jobDir)) {
            return entries.filter(p -> p.getFileName().toString().startsWith("chk-")
                            && Files.exists(p.resolve("_metadata")) == completed)
                    .mapToLong(p -> Long.parseLong(p.getFileName().toString().substring("chk-".length())))
                    .max().orElse(-1);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + jobDir, e);
        }
    }
}
