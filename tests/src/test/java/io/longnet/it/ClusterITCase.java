package io.longnet.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.longnet.cli.SubmitCommand;
import io.longnet.cluster.ClusterClassPath;
import io.longnet.cluster.ClusterSpec;
import io.longnet.cluster.LocalCluster;
import io.longnet.demo.SampleCorpus;
import io.longnet.job.CheckpointDirectory;
import io.longnet.job.LocalExecution;
import io.longnet.kafka.Document;
import io.longnet.kafka.EmbeddingOut;
import io.longnet.kafka.PredictionOut;
import io.longnet.kafka.WireError;
import io.longnet.model.ModelDirectory;
import io.longnet.ops.ParseDocuments;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.client.deployment.StandaloneClusterId;
import org.apache.flink.client.program.rest.RestClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.execution.ExecutionState;
import org.apache.flink.runtime.rest.messages.job.JobDetailsInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The corpus job on a real standalone Flink cluster: a JobManager process and TaskManager processes (one slot each)
 * started from this build as {@code longnet cluster start} starts them, the job submitted through Flink's REST
 * client as {@code longnet submit} submits it, a real broker. The failures a cluster sees: TaskManagers killed
 * with SIGKILL mid-stream, a stop with savepoint and a resubmission at another parallelism, the JobManager
 * killed and restarted. Each time every document comes out once (read_committed) with the positions and values
 * of the decoder run directly, which is what a run without failures gives (CorpusJobITCase). The Prometheus
 * endpoints of the TaskManagers are scraped and agree with the outputs.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterITCase {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterITCase.class);
    private static final double TOLERANCE = 1e-5;
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final int TASK_MANAGERS = 3;
    private static final int KILLS = 3;

    @TempDir
    static Path dir;

    private static ModelDirectory model;
    private static LocalCluster cluster;
    private static RestClusterClient<StandaloneClusterId> rest;

    @BeforeAll
    static void startCluster() throws Exception {
        model = TinyModel.write(dir.resolve("model"));
        ClusterSpec spec = new ClusterSpec(clusterDir(), TASK_MANAGERS, 1, freePort(), freePort(),
                freePortBlock(TASK_MANAGERS + KILLS + 1), "768m", "1g",
                // A killed process is noticed when the RPCs to it fail (about a second); a silent one after 20 s
                // rather than Flink's 50, yet not so soon that a TaskManager starved of CPU is taken for dead.
                Map.of("heartbeat.interval", "1 s", "heartbeat.timeout", "20 s"));
        String jar = System.getProperty(JobJarITCase.JOB_JAR_PROPERTY, "missing: run with mvn verify");
        cluster = new LocalCluster(spec, ClusterClassPath.of(jar,
                Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator))));
        cluster.start(TIMEOUT);
        Configuration conf = new Configuration();
        conf.set(RestOptions.ADDRESS, "localhost");
        conf.set(RestOptions.PORT, spec.restPort());
        rest = new RestClusterClient<>(conf, StandaloneClusterId.getInstance());
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (rest != null) {
            rest.close();
        }
        if (cluster != null) {
            cluster.stop();
        }
    }

    @Test
    @Order(1)
    void taskManagersKilledMidStreamThreeTimesLeaveEveryDocumentExactlyOnce() throws Exception {
        List<Document> docs = SampleCorpus.documents(24);
        List<List<Document>> batches = split(docs, KILLS + 1);
        try (Pipeline pipeline = new Pipeline("it-cluster-kill", model.dir(), dir.resolve("cp-kill"), Map.of())) {
            pipeline.write(batches.get(0));
            JobID job = submit(pipeline, 2, Optional.empty());
            try {
                int written = batches.get(0).size();
                pipeline.awaitCounts(written, 0);
                for (int kill = 1; kill <= KILLS; kill++) {
                    pipeline.write(batches.get(kill));
                    written += batches.get(kill).size();
                    String victim = busyTaskManager();
                    long killedAt = System.currentTimeMillis();
                    long killed = System.nanoTime();
                    cluster.member(victim).orElseThrow().process().destroyForcibly(); // SIGKILL
                    LocalCluster.Member spare = cluster.startTaskManager();
                    awaitRunning(job, killedAt);
                    double running = secondsSince(killed);
                    pipeline.awaitCounts(written, 0);
                    LOG.info("Recovery after SIGKILL {} of {}: all tasks running again after {} s, the outputs "
                            + "up to date after {} s", kill, victim, running, secondsSince(killed));
                    cluster.awaitRegistered(spare.name(), TIMEOUT);
                }
            } finally {
                cancel(job);
            }
            assertSameAsDirect(docs, pipeline.outputs().embeddings(), pipeline.outputs().predictions());
        }
    }

    @Test
    @Order(2)
    void stoppedWithASavepointAtParallelismTwoAndResubmittedAtThreeTheOutputsAreThoseOfNoRescaling()
            throws Exception {
        // Three streams: at parallelism 2 some slot holds two of them; at 3, with two partitions, a source is idle.
        List<Document> docs = threeStreams(SampleCorpus.documents(30));
        int half = docs.size() / 2;
        try (Pipeline pipeline = new Pipeline("it-cluster-rescale", model.dir(), dir.resolve("cp-rescale"), Map.of())) {
            JobID before = submit(pipeline, 2, Optional.empty());
            String savepoint;
            try {
                awaitRunning(before, 0L);
                assertMetricsAgree(before, pipeline, Map.of(), 0);
                pipeline.write(docs.subList(0, half));
                pipeline.writeRaw(List.of(Map.entry("field-notes", "not json".getBytes())));
                pipeline.awaitCounts(half, 1);
                assertMetricsAgree(before, pipeline, perStream(pipeline.outputs().embeddings()), 1);
                savepoint = rest.stopWithSavepoint(before, false, dir.resolve("savepoints").toUri().toString(),
                        SavepointFormatType.CANONICAL).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } finally {
                cancel(before);
            }
            Map<String, Long> emittedBefore = perStream(pipeline.outputs().embeddings());
            JobID after = submit(pipeline, 3, Optional.of(savepoint));
            try {
                awaitRunning(after, 0L);
                pipeline.write(docs.subList(half, docs.size()));
                pipeline.awaitCounts(docs.size(), 1);
                Map<String, Long> emittedAfter = perStream(pipeline.outputs().embeddings());
                emittedBefore.forEach((stream, n) -> emittedAfter.merge(stream, -n, Long::sum));
                assertMetricsAgree(after, pipeline, emittedAfter, 0);
            } finally {
                cancel(after);
            }
            assertSameAsDirect(docs, pipeline.outputs().embeddings(), pipeline.outputs().predictions());
        }
    }

    @Test
    @Order(3)
    void theJobManagerKilledAndRestartedAndTheJobResubmittedFromItsNewestCheckpointLosesAndDoublesNothing()
            throws Exception {
        List<Document> docs = SampleCorpus.documents(24);
        int half = docs.size() / 2;
        Path checkpoints = dir.resolve("cp-jobmanager");
        try (Pipeline pipeline = new Pipeline("it-cluster-jobmanager", model.dir(), checkpoints, Map.of())) {
            pipeline.write(docs.subList(0, half));
            JobID lost = submit(pipeline, 2, Optional.empty());
            pipeline.awaitCounts(half, 0);
            pipeline.write(docs.subList(half, docs.size()));
            long killed = System.nanoTime();
            LocalCluster.Member jobManager = cluster.member(ClusterSpec.JOB_MANAGER).orElseThrow();
            jobManager.process().destroyForcibly(); // SIGKILL
            jobManager.process().onExit().get(30, TimeUnit.SECONDS);
            cluster.start(TIMEOUT); // as `longnet cluster start` does: the TaskManagers still run, so only a JobManager
            assertThat(cluster.registeredTaskManagers()).hasSize(TASK_MANAGERS);
            Path newest = new CheckpointDirectory(checkpoints, lost.toString())
                    .newest(LocalExecution::metadataLoads, skipped -> { }).orElseThrow().dir();
            JobID resumed = submit(pipeline, 2, Optional.of(newest.toUri().toString()));
            try {
                awaitRunning(resumed, 0L);
                double running = secondsSince(killed);
                pipeline.awaitCounts(docs.size(), 0);
                LOG.info("Recovery after SIGKILL of the JobManager: resubmitted from {}, all tasks running after {} s,"
                        + " the outputs up to date after {} s", newest, running, secondsSince(killed));
            } finally {
                cancel(resumed);
            }
            assertSameAsDirect(docs, pipeline.outputs().embeddings(), pipeline.outputs().predictions());
        }
    }

    /** Under target/, so that the processes' logs outlive a failed run; emptied before each. */
    private static Path clusterDir() throws IOException {
        Path clusterDir = Path.of("target", "cluster-itcase");
        if (Files.exists(clusterDir)) {
            try (Stream<Path> files = Files.walk(clusterDir)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
        return clusterDir;
    }

    private static JobID submit(Pipeline pipeline, int parallelism, Optional<String> restore) throws Exception {
        return SubmitCommand.submit(new SubmitCommand.Target("localhost", cluster.spec().restPort(), parallelism,
                restore), pipeline.jobArguments());
    }

    /** Waits until every task of the job runs, after a restart that began at or after {@code restartedSince}. */
    private static void awaitRunning(JobID job, long restartedSince) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            JobDetailsInfo details = rest.getJobDetails(job).get(10, TimeUnit.SECONDS);
            assertThat(details.getJobStatus().isGloballyTerminalState()).as("job %s ended: %s", job,
                    details.getJobStatus()).isFalse();
            if (details.getJobStatus() == JobStatus.RUNNING
                    && details.getTimestamps().getOrDefault(JobStatus.RESTARTING, 0L) >= restartedSince
                    && details.getJobVertexInfos().stream().allMatch(v -> v.getExecutionState() == ExecutionState.RUNNING)) {
                return;
            }
            assertThat(System.nanoTime()).as("job %s running within %s%s", job, TIMEOUT,
                    restartedSince > 0 ? " after a restart" : "").isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    /** A TaskManager whose slot is taken: with one slot each, one that runs tasks of the job. */
    private static String busyTaskManager() throws Exception {
        return cluster.registeredTaskManagers().entrySet().stream().filter(e -> e.getValue() == 0)
                .map(Map.Entry::getKey).findFirst().orElseThrow(() -> new AssertionError("no TaskManager is busy"));
    }

    private static void cancel(JobID job) throws Exception {
        if (!rest.getJobStatus(job).get(10, TimeUnit.SECONDS).isGloballyTerminalState()) {
            rest.cancel(job).get(60, TimeUnit.SECONDS);
        }
    }

    /**
     * The job's counters on the TaskManagers' Prometheus endpoints equal what was read back: documents per stream
     * (DocumentHeads), their total, and the dead letters by reason (ParseDocuments). Scraped until they agree,
     * since a scrape can come before the last counter moved.
     */
    private static void assertMetricsAgree(JobID job, Pipeline pipeline, Map<String, Long> documents, long notJson)
            throws Exception {
        Map<String, String> ofJob = Map.of("job_id", job.toString());
        String reason = ParseDocuments.reasonLabel(WireError.NOT_JSON);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            PrometheusScrape scrape = PrometheusScrape.of(metricsPorts());
            Map<String, Long> perStream = new TreeMap<>();
            scrape.sumBy("flink_taskmanager_job_task_operator_stream_documents", "stream", ofJob)
                    .forEach((stream, n) -> perStream.put(stream, Math.round(n)));
            perStream.values().removeIf(n -> n == 0);
            Map<String, Long> expected = new TreeMap<>();
            documents.forEach((stream, n) -> expected.put(PrometheusScrape.labelValue(stream), n));
            long total = Math.round(scrape.sum("flink_taskmanager_job_task_operator_documentsEmitted", ofJob));
            long deadLetters = Math.round(scrape.sum("flink_taskmanager_job_task_operator_reason_deadLetters",
                    Map.of("job_id", job.toString(), "reason", reason)));
            if (perStream.equals(expected) && deadLetters == notJson || System.nanoTime() > deadline) {
                assertThat(perStream).as("documents per stream on the Prometheus endpoints").isEqualTo(expected);
                assertThat(total).as("documentsEmitted").isEqualTo(documents.values().stream().mapToLong(n -> n).sum());
                assertThat(deadLetters).as("deadLetters{reason=%s}", reason).isEqualTo(notJson);
                return;
            }
            Thread.sleep(500);
        }
    }

    private static List<Integer> metricsPorts() throws IOException {
        return cluster.members().stream().map(m -> cluster.spec().metricsPort(m.name())).toList();
    }

    private static Map<String, Long> perStream(List<EmbeddingOut> embeddings) {
        return embeddings.stream().collect(Collectors.groupingBy(EmbeddingOut::stream, TreeMap::new,
                Collectors.counting()));
    }

    /** Same ids, each once; the positions and values of the decoder run directly. */
    private static void assertSameAsDirect(List<Document> docs, List<EmbeddingOut> embeddings,
            List<PredictionOut> predictions) {
        List<String> ids = docs.stream().map(Document::id).toList();
        assertThat(embeddings).extracting(EmbeddingOut::id).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(predictions).extracting(PredictionOut::id).containsExactlyInAnyOrderElementsOf(ids);
        Map<String, DirectDecoding.Expected> expected = DirectDecoding.run(model, docs);
        for (EmbeddingOut actual : embeddings) {
            DirectDecoding.Expected want = expected.get(actual.id());
            assertThat(List.of(actual.stream(), actual.firstPosition(), actual.tokenCount()))
                    .as("stream, position and length of %s", actual.id())
                    .isEqualTo(List.of(want.stream(), want.firstPosition(), want.tokenCount()));
            for (int i = 0; i < want.embedding().length; i++) {
                assertThat((double) actual.vector()[i]).as("embedding of %s [%d]", actual.id(), i)
                        .isCloseTo(want.embedding()[i], within(TOLERANCE));
            }
        }
        Map<String, PredictionOut> byId = predictions.stream()
                .collect(Collectors.toMap(PredictionOut::id, Function.identity()));
        expected.values().forEach(want -> assertThat(byId.get(want.id()).meanNll()).as("meanNll of %s", want.id())
                .isCloseTo(want.meanNll(), within(TOLERANCE)));
    }

    private static List<Document> threeStreams(List<Document> docs) {
        return IntStream.range(0, docs.size()).mapToObj(i -> {
            Document d = docs.get(i);
            return i % 3 == 2 ? new Document(d.id(), d.text(), "tide-tables", null) : d;
        }).toList();
    }

    private static <T> List<List<T>> split(List<T> all, int parts) {
        List<List<T>> batches = new ArrayList<>();
        for (int i = 0; i < parts; i++) {
            batches.add(all.subList(i * all.size() / parts, (i + 1) * all.size() / parts));
        }
        return batches;
    }

    private static double secondsSince(long nanos) {
        return Math.round((System.nanoTime() - nanos) / 1e8) / 10.0;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** The first of {@code count} consecutive free ports. */
    private static int freePortBlock(int count) throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = freePort();
            if (base + count <= 65535 && IntStream.range(1, count).allMatch(i -> isFree(base + i))) {
                return base;
            }
        }
        throw new IOException("no " + count + " consecutive free ports");
    }

    private static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
