package io.longnet.cli;

import io.longnet.job.CheckpointDirectory;
import io.longnet.job.CorpusJob;
import io.longnet.job.JobArguments;
import io.longnet.job.JobConfig;
import io.longnet.job.LocalExecution;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * {@code longnet submit [--jobmanager HOST:PORT] [--parallelism N] [--from-savepoint PATH |
 * --from-latest-checkpoint DIR] --bootstrap-servers H:P --model DIR [job options as for run]}: builds the corpus
 * job here and submits its job graph to a session cluster through Flink's REST client, as {@code flink run} does,
 * detached; prints the job id. The graph brings no jar: the cluster's processes have the job jar on their class
 * path ({@code longnet cluster start}, docker/).
 */
public final class SubmitCommand {

    private SubmitCommand() {
    }

    /**
     * Where and how to submit.
     *
     * @param host        the JobManager's REST address
     * @param port        its REST port
     * @param parallelism the job's parallelism
     * @param restorePath a savepoint or retained checkpoint to start from
     */
    public record Target(String host, int port, int parallelism, Optional<String> restorePath) {

        public Target {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("--jobmanager needs a host, got '" + host + "'");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("--jobmanager port must be in 1..65535, got " + port);
            }
            if (parallelism < 1) {
                throw new IllegalArgumentException("--parallelism must be >= 1, got " + parallelism);
            }
        }

        public String restUrl() {
            return "http://" + host + ":" + port;
        }

        /**
         * Removes {@code --jobmanager}, {@code --parallelism}, {@code --from-savepoint} and
         * {@code --from-latest-checkpoint} from {@code args}, leaving the job's own options.
         */
        public static Target take(List<String> args) {
            String jobManager = takeFlag(args, "jobmanager").orElse("localhost:8081");
            String parallelism = takeFlag(args, "parallelism").orElse("1");
            Optional<String> savepoint = takeFlag(args, "from-savepoint");
            Optional<String> latestIn = takeFlag(args, "from-latest-checkpoint");
            if (savepoint.isPresent() && latestIn.isPresent()) {
                throw new Args.UsageException("submit: give --from-savepoint or --from-latest-checkpoint, not both");
            }
            Optional<String> restore = savepoint.or(() -> latestIn.map(dir -> latestCheckpoint(Path.of(dir))));
            int colon = jobManager.lastIndexOf(':');
            if (colon < 0) {
                throw new Args.UsageException("submit: --jobmanager must be HOST:PORT, got '" + jobManager + "'");
            }
            return new Target(jobManager.substring(0, colon), parse("jobmanager port",
                    jobManager.substring(colon + 1)), parse("parallelism", parallelism), restore);
        }

        /**
         * The checkpoint to continue one job from: {@code jobDir} must be that job's directory
         * ({@code CHECKPOINT-DIR/<job id>}), and its highest checkpoint id whose metadata loads is taken, as
         * {@code run} does ({@link CheckpointDirectory}). Never by file time, never another job's: an older
         * checkpoint would replay committed outputs as duplicates, another job's would mix two jobs' state.
         */
        static String latestCheckpoint(Path jobDir) {
            Path job = jobDir.toAbsolutePath().normalize();
            if (!Files.isDirectory(job)) {
                throw new IllegalArgumentException("--from-latest-checkpoint " + jobDir + " does not exist");
            }
            String name = job.getFileName() == null ? "" : job.getFileName().toString();
            if (!name.matches("[0-9a-f]{32}")) {
                throw new IllegalArgumentException("--from-latest-checkpoint " + jobDir + " must be one job's "
                        + "checkpoint directory, CHECKPOINT-DIR/<job id>; it holds those of " + jobDirectories(job));
            }
            CheckpointDirectory checkpoints = new CheckpointDirectory(job.getParent(), name);
            return checkpoints.newest(LocalExecution::metadataLoads, skipped -> System.err.printf(
                            "submit: skipping checkpoint %d at %s: its metadata does not load%n", skipped.id(),
                            skipped.dir()))
                    .orElseThrow(() -> new IllegalArgumentException("--from-latest-checkpoint " + jobDir
                            + ": no complete checkpoint (chk-N/_metadata that loads) in it"))
                    .dir().toUri().toString();
        }

        private static List<String> jobDirectories(Path dir) {
            try (Stream<Path> entries = Files.list(dir)) {
                return entries.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9a-f]{32}")).sorted()
                        .toList();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
            }
        }

        private static Optional<String> takeFlag(List<String> args, String name) {
            int i = args.indexOf("--" + name);
            if (i < 0) {
                return Optional.empty();
            }
            if (i + 1 >= args.size()) {
                throw new Args.UsageException("submit: --" + name + " needs a value");
            }
            String value = args.get(i + 1);
            args.subList(i, i + 2).clear();
            return Optional.of(value);
        }

        private static int parse(String what, String value) {
            try {
                return Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw new Args.UsageException("submit: --" + what.replace(' ', '-') + " must be an integer, got '"
                        + value + "'");
            }
        }
    }

    public static void run(List<String> argv) throws Exception {
        List<String> jobArgs = new ArrayList<>(argv);
        Target target = Target.take(jobArgs);
        JobID id = submit(target, jobArgs);
        System.err.printf("submitted %s to %s (parallelism %d%s); watch it at %s/#/job/running/%s/overview%n",
                CorpusJob.JOB_NAME, target.restUrl(), target.parallelism(),
                target.restorePath().map(p -> ", from " + p).orElse(""), target.restUrl(), id);
        System.out.println(id);
    }

    /** Builds the job from {@code jobArgs} (the options of {@code run}) and submits it to {@code target}. */
    public static JobID submit(Target target, List<String> jobArgs) throws Exception {
        JobArguments arguments = JobArguments.parse(jobArgs);
        JobConfig cfg = arguments.jobConfig();
        Configuration conf = new Configuration();
        conf.set(DeploymentOptions.TARGET, "remote");
        conf.set(DeploymentOptions.ATTACHED, false);
        conf.set(RestOptions.ADDRESS, target.host());
        conf.set(RestOptions.PORT, target.port());
        target.restorePath().ifPresent(path -> conf.set(StateRecoveryOptions.SAVEPOINT_PATH, path));
        StreamExecutionEnvironment env = new StreamExecutionEnvironment(conf);
        env.setParallelism(target.parallelism());
        CorpusJob.build(env, cfg, arguments.kafkaClientSettings(cfg).toProperties());
        JobClient client = env.executeAsync(CorpusJob.JOB_NAME);
        return client.getJobID();
    }
}
