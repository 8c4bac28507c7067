package io.longnet.cli;

import io.longnet.job.CorpusJob;
import io.longnet.job.JobArguments;
import io.longnet.job.JobConfig;
import io.longnet.job.LocalExecution;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * {@code longnet run --bootstrap-servers H:P --model DIR [--parallelism N] [--config FILE] [--properties FILE]
 * [--option value ...]}: the corpus job in this JVM (a local Flink MiniCluster) against an external Kafka,
 * until interrupted. The job options are those of {@code flink run}.
 */
public final class RunCommand {

    private RunCommand() {
    }

    public static void run(List<String> argv) throws Exception {
        List<String> jobArgs = new ArrayList<>(argv);
        int parallelism = takeParallelism(jobArgs);
        JobArguments arguments = JobArguments.parse(jobArgs);
        JobConfig cfg = LocalExecution.withCheckpointDir(arguments.jobConfig());
        StreamExecutionEnvironment env = LocalExecution.environment(parallelism);
        CorpusJob.build(env, cfg, arguments.kafkaClientSettings(cfg).toProperties());
        System.out.printf("running %s locally (parallelism %d) against %s: %s -> %s, %s, %s; checkpoints in %s%n",
                CorpusJob.JOB_NAME, parallelism, cfg.bootstrapServers(), cfg.topics().documents(),
                cfg.topics().embeddings(), cfg.topics().predictions(), cfg.topics().deadLetters(), cfg.checkpointDir());
        env.execute(CorpusJob.JOB_NAME);
    }

    /** Removes {@code --parallelism N} (a Flink setting, not a job option); default 1. */
    static int takeParallelism(List<String> args) {
        int i = args.indexOf("--parallelism");
        if (i < 0) {
            return 1;
        }
        if (i + 1 >= args.size()) {
            throw new Args.UsageException("run: --parallelism needs a value");
        }
        String value = args.get(i + 1);
        args.subList(i, i + 2).clear();
        try {
            int p = Integer.parseInt(value);
            if (p < 1) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new Args.UsageException("run: --parallelism must be a positive integer, got \"" + value + "\"");
        }
    }
}
