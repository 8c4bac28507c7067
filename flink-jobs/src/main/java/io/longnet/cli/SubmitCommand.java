package io.longnet.cli;

import io.longnet.cluster.RetainedCheckpoints;
import io.longnet.job.CorpusJob;
import io.longnet.job.JobArguments;
import io.longnet.job.JobConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
            Optional<String> restore = savepoint.or(() -> latestIn.map(dir -> RetainedCheckpoints.newest(Path.of(dir))
                    .orElseThrow(() -> new IllegalArgumentException("--from-latest-checkpoint " + dir
                            + ": no complete checkpoint (chk-N/_metadata) in it"))
                    .toUri().toString()));
            int colon = jobManager.lastIndexOf(':');
            if (colon < 0) {
                throw new Args.UsageException("submit: --jobmanager must be HOST:PORT, got '" + jobManager + "'");
            }
            return new Target(jobManager.substring(0, colon), parse("jobmanager port",
                    jobManager.substring(colon + 1)), parse("parallelism", parallelism), restore);
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
