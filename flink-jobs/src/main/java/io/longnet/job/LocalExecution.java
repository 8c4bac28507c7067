package io.longnet.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * A local (MiniCluster) environment for {@code longnet run} and {@code longnet demo}: the job runs in this
 * JVM with the same RocksDB backend and checkpoints as on a cluster, restarting from the last checkpoint
 * after a failure.
 */
public final class LocalExecution {

    static final int RESTART_ATTEMPTS = 3;
    static final Duration RESTART_DELAY = Duration.ofSeconds(1);

    private LocalExecution() {
    }

    public static StreamExecutionEnvironment environment(int parallelism) {
        return environment(parallelism, new Configuration());
    }

    /** As {@link #environment(int)}, with further cluster settings (metric reporters, say). */
    public static StreamExecutionEnvironment environment(int parallelism, Configuration extra) {
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be >= 1, got " + parallelism);
        }
        Configuration conf = new Configuration(extra);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, RESTART_ATTEMPTS);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, RESTART_DELAY);
        return StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
    }

    /** {@code cfg}, with a fresh temporary checkpoint directory unless it names one. */
    public static JobConfig withCheckpointDir(JobConfig cfg) throws IOException {
        if (cfg.checkpointDir() != null) {
            return cfg;
        }
        Path dir = Files.createTempDirectory("longnet-checkpoints-");
        return cfg.withCheckpointDir(dir.toUri().toString());
    }
}
