package io.longnet.cli;

import io.longnet.job.CheckpointDirectory;
import io.longnet.job.CorpusJob;
import io.longnet.job.JobArguments;
import io.longnet.job.JobConfig;
import io.longnet.job.JobOptions;
import io.longnet.job.LocalExecution;
import io.longnet.job.RestorePoint;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * {@code longnet run --bootstrap-servers H:P --model DIR [--parallelism N] [--fresh | --from-savepoint PATH]
 * [--web-ui-port P] [--metrics-port P] [--config FILE] [--properties FILE] [--option value ...]}: the corpus job
 * in this JVM (a local Flink MiniCluster) against an external Kafka, until interrupted. The job options are those
 * of {@code flink run}.
 *
 * <p>Started again with the same checkpoint-dir and transactional-id-prefix (they name the job), it resumes from
 * the newest checkpoint of the process before it, whatever ended that one. {@code --fresh} and
 * {@code --from-savepoint} move the job's checkpoints aside ({@code <job id>.set-aside-<time>} next to them) first.
 */
public final class RunCommand {

    private RunCommand() {
    }

    public static void run(List<String> argv) throws Exception {
        RunFlags flags = RunFlags.parse(argv);
        JobArguments arguments = JobArguments.parse(flags.jobArguments());
        JobConfig parsed = arguments.jobConfig();
        Path root = checkpointRoot(parsed.checkpointDir());
        JobConfig cfg = parsed.withCheckpointDir(root.toUri().toString());
        CheckpointDirectory checkpoints = new CheckpointDirectory(root, CheckpointDirectory.jobId(cfg.transactionalIdPrefix()));
        PrintStream out = System.out;

        Optional<RestorePoint> restore = restorePoint(flags, checkpoints, out);
        Configuration cluster = LocalExecution.runConfiguration(checkpoints.jobId(), restore, flags.webUiPort(),
                flags.metricsPort());
        StreamExecutionEnvironment env = LocalExecution.environment(flags.parallelism(), cluster);
        CorpusJob.build(env, cfg, arguments.kafkaClientSettings(cfg).toProperties()); // validates before any move

        if (flags.fresh() || flags.fromSavepoint().isPresent()) {
            checkpoints.moveAside(Instant.now()).ifPresent(moved ->
                    out.printf("moved the job's earlier checkpoints aside, to %s (delete them when not needed)%n", moved));
        }
        Instant now = Instant.now();
        out.println(restore.map(point -> "resuming from " + point.describes() + point.written()
                .map(at -> ", written " + at + " (" + Duration.between(at, now).toSeconds() + " s ago)").orElse(""))
                .orElse("starting fresh"
                + (flags.fresh() ? " (--fresh)" : ": no completed checkpoint of this job in " + checkpoints.jobDir())));
        restore.filter(point -> cfg.deliveryGuarantee().transactional())
                .flatMap(point -> point.staleWarning(now, cfg.transactionTimeout(), cfg.checkpointInterval()))
                .ifPresent(warning -> out.println("WARNING: " + warning));
        out.printf("running %s locally (parallelism %d) against %s: %s -> %s, %s, %s; checkpoints in %s%n",
                CorpusJob.JOB_NAME, flags.parallelism(), cfg.bootstrapServers(), cfg.topics().documents(),
                cfg.topics().embeddings(), cfg.topics().predictions(), cfg.topics().deadLetters(), checkpoints.jobDir());

        JobClient job = env.executeAsync(CorpusJob.JOB_NAME);
        out.println("job " + job.getJobID());
        flags.webUiPort().ifPresent(port -> out.printf("web UI and REST API on http://localhost:%d; a savepoint: "
                + "curl -X POST http://localhost:%d/jobs/%s/savepoints -H 'Content-Type: application/json' "
                + "-d '{\"target-directory\": \"%s\", \"cancel-job\": false}'%n",
                port, port, job.getJobID(), root.resolve("savepoints")));
        flags.metricsPort().ifPresent(port -> out.printf("metrics for Prometheus on http://localhost:%d/metrics%n", port));
        out.flush();
        job.getJobExecutionResult().get();
        out.println("job " + job.getJobID() + " ended (stopped with a savepoint, or cancelled)");
    }

    /**
     * Where the job restores from: the savepoint the user names, or, unless {@code --fresh}, the newest
     * checkpoint of this job that loads.
     */
    static Optional<RestorePoint> restorePoint(RunFlags flags, CheckpointDirectory checkpoints, PrintStream out) {
        if (flags.fromSavepoint().isPresent()) {
            return Optional.of(RestorePoint.savepoint(checkSavepoint(flags.fromSavepoint().get(), checkpoints)));
        }
        if (flags.fresh()) {
            return Optional.empty();
        }
        return checkpoints.newest(LocalExecution::metadataLoads, skipped -> out.printf(
                "skipping checkpoint %d (%s): its metadata does not load (the process died while writing it?)%n",
                skipped.id(), skipped.dir())).map(RestorePoint::checkpoint);
    }

    private static Path checkSavepoint(Path path, CheckpointDirectory checkpoints) {
        Path metadata = Files.isDirectory(path) ? path.resolve("_metadata") : path;
        if (!Files.isRegularFile(metadata)) {
            throw new Args.UsageException("run: --from-savepoint " + path + " is not a savepoint (no " + metadata + ")");
        }
        if (checkpoints.contains(path)) {
            throw new Args.UsageException("run: --from-savepoint " + path + " is one of this job's own checkpoints, in "
                    + checkpoints.jobDir() + "; run without --from-savepoint to resume from the newest of them");
        }
        return path.toAbsolutePath();
    }

    /** The local directory of checkpoint-dir (a path or a file: URI), or the default one. */
    static Path checkpointRoot(String checkpointDir) {
        if (checkpointDir == null) {
            return LocalExecution.defaultCheckpointRoot();
        }
        if (checkpointDir.startsWith("file:")) {
            return Path.of(URI.create(checkpointDir));
        }
        if (checkpointDir.matches("[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
            throw new Args.UsageException("run: --" + JobOptions.CHECKPOINT_DIR.key() + " must be a local directory "
                    + "(a path or a file: URI) for run to find its checkpoints, got " + checkpointDir);
        }
        return Path.of(checkpointDir).toAbsolutePath();
    }
}
