package io.longnet.job;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptionsInternal;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.RecoveryClaimMode;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local (MiniCluster) environment for {@code longnet run} and {@code longnet demo}: the job runs in this
 * JVM with the same RocksDB backend and checkpoints as on a cluster. A failed job restarts from its last
 * checkpoint, without an attempt limit and with exponentially growing pauses (1 s, then 1.5 times longer each
 * time, at most a minute), so a broker outage delays the job but never ends it.
 */
public final class LocalExecution {

    static final Duration INITIAL_BACKOFF = Duration.ofSeconds(1);
    static final Duration MAX_BACKOFF = Duration.ofMinutes(1);

    /** The name under which {@code --metrics-port} registers flink-metrics-prometheus's reporter. */
    static final String PROMETHEUS_REPORTER = "prometheus";
    static final String PROMETHEUS_FACTORY = "org.apache.flink.metrics.prometheus.PrometheusReporterFactory";

    private static final Logger LOG = LoggerFactory.getLogger(LocalExecution.class);

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
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF, INITIAL_BACKOFF);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF, MAX_BACKOFF);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS, Integer.MAX_VALUE);
        return StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
    }

    /** {@code ~/.longnet/checkpoints}: where {@code longnet run} keeps checkpoints when no checkpoint-dir is set. */
    public static Path defaultCheckpointRoot() {
        return Path.of(System.getProperty("user.home"), ".longnet", "checkpoints");
    }

    /**
     * The cluster settings of one {@code longnet run}: its fixed job id (so that its checkpoints land in
     * {@code checkpoint-dir/<job id>}), what it restores from, and where its web UI / REST API and Prometheus
     * metrics are served, if anywhere.
     */
    public static Configuration runConfiguration(String jobId, Optional<RestorePoint> restore, OptionalInt webUiPort,
            OptionalInt metricsPort) {
        Configuration conf = new Configuration();
        conf.set(PipelineOptionsInternal.PIPELINE_FIXED_JOB_ID, jobId);
        restore.ifPresent(point -> {
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, point.path().toUri().toString());
            conf.set(StateRecoveryOptions.RESTORE_MODE, point.claim() ? RecoveryClaimMode.CLAIM : RecoveryClaimMode.NO_CLAIM);
        });
        webUiPort.ifPresent(port -> {
            conf.set(RestOptions.BIND_PORT, Integer.toString(port));
            conf.set(RestOptions.PORT, port);
        });
        metricsPort.ifPresent(port -> {
            conf.setString("metrics.reporter." + PROMETHEUS_REPORTER + ".factory.class", PROMETHEUS_FACTORY);
            conf.setString("metrics.reporter." + PROMETHEUS_REPORTER + ".port", Integer.toString(port));
        });
        return conf;
    }

    /** Whether the checkpoint's metadata file reads as Flink checkpoint metadata (a torn write does not). */
    public static boolean metadataLoads(CheckpointDirectory.Checkpoint checkpoint) {
        try (InputStream in = Files.newInputStream(checkpoint.metadata())) {
            Checkpoints.loadCheckpointMetadata(new DataInputStream(in), LocalExecution.class.getClassLoader(),
                    checkpoint.dir().toString());
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.warn("Checkpoint {} at {} does not load: {}", checkpoint.id(), checkpoint.dir(), e.toString());
            return false;
        }
    }
}
