package io.longnet.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SubmitTargetTest {

    @TempDir
    Path dir;

    @Test
    void takesItsFlagsAndLeavesTheJobOptions() {
        List<String> args = new ArrayList<>(List.of("--bootstrap-servers", "k:9092", "--jobmanager", "host:18081",
                "--model", "/m", "--parallelism", "3", "--from-savepoint", "file:///sp/savepoint-1"));

        SubmitCommand.Target target = SubmitCommand.Target.take(args);

        assertThat(target).isEqualTo(new SubmitCommand.Target("host", 18081, 3, Optional.of("file:///sp/savepoint-1")));
        assertThat(args).containsExactly("--bootstrap-servers", "k:9092", "--model", "/m");
    }

    @Test
    void defaultsToTheLocalClusterAtParallelismOne() {
        assertThat(SubmitCommand.Target.take(new ArrayList<>()))
                .isEqualTo(new SubmitCommand.Target("localhost", 8081, 1, Optional.empty()));
    }

    private static final String JOB_A = "0123456789abcdef0123456789abcdef";
    private static final String JOB_B = "fedcba9876543210fedcba9876543210";

    /** A chk-N of {@code job} whose _metadata is real Flink checkpoint metadata, written at {@code written}. */
    private Path checkpoint(String job, long id, Instant written) throws Exception {
        Path chk = Files.createDirectories(dir.resolve(job).resolve("chk-" + id));
        Path metadata = chk.resolve("_metadata");
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(metadata))) {
            Checkpoints.storeCheckpointMetadata(new CheckpointMetadata(id, List.of(), List.of()), out);
        }
        Files.setLastModifiedTime(metadata, FileTime.from(written));
        return chk;
    }

    private Optional<String> latestIn(Path path) {
        return SubmitCommand.Target.take(new ArrayList<>(List.of("--from-latest-checkpoint", path.toString())))
                .restorePath();
    }

    /**
     * One job's directory, its highest checkpoint id that loads: not the newest file time (a copy without -p, a
     * tie), not a newer torn one, never another job's. Replaying from an older one would duplicate outputs.
     */
    @Test
    void fromLatestCheckpointTakesTheJobsHighestIdThatLoads() throws Exception {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        checkpoint(JOB_A, 9, t.plusSeconds(60));
        Path highest = checkpoint(JOB_A, 10, t);
        Path torn = Files.createDirectories(dir.resolve(JOB_A).resolve("chk-11"));
        Files.writeString(torn.resolve("_metadata"), "torn");
        checkpoint(JOB_B, 3, t.plusSeconds(120));

        assertThat(latestIn(dir.resolve(JOB_A))).contains(highest.toUri().toString());
        assertThatThrownBy(() -> latestIn(dir)).hasMessageContainingAll("one job's", JOB_A, JOB_B);
    }

    @Test
    void mistakesNameTheFlag() {
        assertThatThrownBy(() -> SubmitCommand.Target.take(new ArrayList<>(List.of("--jobmanager", "nohost"))))
                .hasMessageContaining("--jobmanager").hasMessageContaining("nohost");
        assertThatThrownBy(() -> SubmitCommand.Target.take(new ArrayList<>(List.of("--parallelism", "0"))))
                .hasMessage("--parallelism must be >= 1, got 0");
        Path emptyJob = dir.resolve(JOB_A);
        assertThatThrownBy(() -> SubmitCommand.Target.take(new ArrayList<>(List.of("--from-latest-checkpoint",
                emptyJob.toString())))).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> SubmitCommand.Target.take(new ArrayList<>(List.of("--from-savepoint", "a",
                "--from-latest-checkpoint", dir.toString())))).hasMessageContaining("not both");
    }
}
