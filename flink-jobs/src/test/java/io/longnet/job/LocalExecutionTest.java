package io.longnet.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptionsInternal;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.RecoveryClaimMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalExecutionTest {

    private static final String JOB = CheckpointDirectory.jobId("longnet-corpus");

    @TempDir
    Path dir;

    @Test
    void aFailedJobRestartsWithoutLimitAndWithGrowingPauses() {
        ReadableConfig conf = LocalExecution.environment(1).getConfiguration();

        assertThat(conf.get(RestartStrategyOptions.RESTART_STRATEGY)).isEqualTo("exponential-delay");
        assertThat(conf.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS))
                .isEqualTo(Integer.MAX_VALUE);
        assertThat(conf.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF))
                .isEqualTo(Duration.ofSeconds(1));
        assertThat(conf.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF))
                .isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void aFreshRunHasItsFixedJobIdAndNothingToRestore() {
        Configuration conf = LocalExecution.runConfiguration(JOB, Optional.empty(), OptionalInt.empty(),
                OptionalInt.empty());

        assertThat(conf.get(PipelineOptionsInternal.PIPELINE_FIXED_JOB_ID)).isEqualTo(JOB);
        assertThat(conf.getOptional(StateRecoveryOptions.SAVEPOINT_PATH)).isEmpty();
        assertThat(conf.toMap()).doesNotContainKey("metrics.reporter.prometheus.factory.class");
    }

    @Test
    void ownCheckpointsAreClaimedSavepointsAreNot() {
        RestorePoint checkpoint = RestorePoint.checkpoint(
                new CheckpointDirectory.Checkpoint(4, dir.resolve(JOB).resolve("chk-4"), Instant.now()));
        Configuration claimed = LocalExecution.runConfiguration(JOB, Optional.of(checkpoint), OptionalInt.empty(),
                OptionalInt.empty());
        Configuration read = LocalExecution.runConfiguration(JOB, Optional.of(RestorePoint.savepoint(dir.resolve("sp"))),
                OptionalInt.empty(), OptionalInt.empty());

        assertThat(claimed.get(StateRecoveryOptions.SAVEPOINT_PATH)).isEqualTo(dir.resolve(JOB).resolve("chk-4").toUri().toString());
        assertThat(claimed.get(StateRecoveryOptions.RESTORE_MODE)).isEqualTo(RecoveryClaimMode.CLAIM);
        assertThat(read.get(StateRecoveryOptions.RESTORE_MODE)).isEqualTo(RecoveryClaimMode.NO_CLAIM);
    }

    @Test
    void portsServeTheRestApiAndThePrometheusReporter() {
        Configuration conf = LocalExecution.runConfiguration(JOB, Optional.empty(), OptionalInt.of(18081),
                OptionalInt.of(19249));

        assertThat(conf.get(RestOptions.BIND_PORT)).isEqualTo("18081");
        assertThat(conf.toMap()).containsEntry("metrics.reporter.prometheus.factory.class",
                        "org.apache.flink.metrics.prometheus.PrometheusReporterFactory")
                .containsEntry("metrics.reporter.prometheus.port", "19249");
    }

    @Test
    void aTornMetadataFileDoesNotLoad() throws Exception {
        Path chk = Files.createDirectories(dir.resolve(JOB).resolve("chk-9"));
        Files.write(chk.resolve("_metadata"), new byte[] {0x4a, 0x11, 0x5a});

        assertThat(LocalExecution.metadataLoads(new CheckpointDirectory.Checkpoint(9, chk, Instant.now()))).isFalse();
    }
}
