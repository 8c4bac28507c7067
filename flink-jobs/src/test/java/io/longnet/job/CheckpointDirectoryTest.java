package io.longnet.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointDirectoryTest {

    private static final String JOB = CheckpointDirectory.jobId("longnet-corpus");

    @TempDir
    Path root;

    @Test
    void theJobIdIsFixedPerTransactionalIdPrefixAndAFlinkJobId() {
        assertThat(CheckpointDirectory.jobId("longnet-corpus")).isEqualTo(JOB).matches("[0-9a-f]{32}");
        assertThat(CheckpointDirectory.jobId("other-job")).isNotEqualTo(JOB).matches("[0-9a-f]{32}");
        assertThat(org.apache.flink.api.common.JobID.fromHexString(JOB).toHexString()).isEqualTo(JOB);
    }

    @Test
    void completedCheckpointsAreThoseWithMetadataNewestFirst() throws Exception {
        Instant written = Instant.parse("2026-12-01T10:00:00Z");
        checkpoint(2, written);
        checkpoint(10, written.plusSeconds(30));
        Files.createDirectories(root.resolve(JOB).resolve("chk-11"));          // killed mid-checkpoint
        Files.createDirectories(root.resolve(JOB).resolve("shared"));
        Files.createDirectories(root.resolve(JOB).resolve("taskowned"));
        checkpoint(root.resolve(CheckpointDirectory.jobId("other")), 12, written); // another job's

        List<CheckpointDirectory.Checkpoint> completed = new CheckpointDirectory(root, JOB).completed();

        assertThat(completed).extracting(CheckpointDirectory.Checkpoint::id).containsExactly(10L, 2L);
        assertThat(completed.get(0).dir()).isEqualTo(root.resolve(JOB).resolve("chk-10"));
        assertThat(completed.get(0).written()).isEqualTo(written.plusSeconds(30));
        assertThat(new CheckpointDirectory(root.resolve("nothing-here"), JOB).completed()).isEmpty();
    }

    @Test
    void theNewestThatLoadsWinsAndTheNewerOnesAreReported() throws Exception {
        Instant written = Instant.parse("2026-12-01T10:00:00Z");
        for (long id : new long[] {3, 4, 5}) {
            checkpoint(id, written);
        }
        List<Long> skipped = new ArrayList<>();

        CheckpointDirectory checkpoints = new CheckpointDirectory(root, JOB);

        assertThat(checkpoints.newest(c -> c.id() <= 3, c -> skipped.add(c.id())))
                .map(CheckpointDirectory.Checkpoint::id).contains(3L);
        assertThat(skipped).containsExactly(5L, 4L);
        assertThat(checkpoints.newest(c -> false, c -> { })).isEmpty();
    }

    @Test
    void movingAsideKeepsEveryFileAndLeavesNoCheckpointBehind() throws Exception {
        checkpoint(7, Instant.now());
        CheckpointDirectory checkpoints = new CheckpointDirectory(root, JOB);
        Instant now = Instant.parse("2026-12-01T20:05:11Z");

        Path first = checkpoints.moveAside(now).orElseThrow();
        checkpoint(8, Instant.now());
        Path second = checkpoints.moveAside(now).orElseThrow();

        assertThat(first).isEqualTo(root.resolve(JOB + ".set-aside-20261201T200511Z"));
        assertThat(first.resolve("chk-7").resolve("_metadata")).isRegularFile();
        assertThat(second).isEqualTo(root.resolve(JOB + ".set-aside-20261201T200511Z-2"));
        assertThat(second.resolve("chk-8").resolve("_metadata")).isRegularFile();
        assertThat(checkpoints.completed()).isEmpty();
        assertThat(checkpoints.moveAside(now)).isEmpty();
    }

    @Test
    void knowsWhatLiesInsideTheJobsDirectory() {
        CheckpointDirectory checkpoints = new CheckpointDirectory(root, JOB);
        assertThat(checkpoints.contains(root.resolve(JOB).resolve("chk-3"))).isTrue();
        assertThat(checkpoints.contains(root.resolve("savepoints").resolve("savepoint-1"))).isFalse();
    }

    @Test
    void rejectsAJobIdFlinkWouldNotUse() {
        assertThatThrownBy(() -> new CheckpointDirectory(root, "not-hex"))
                .hasMessageContainingAll("32", "not-hex");
    }

    private void checkpoint(long id, Instant written) throws Exception {
        checkpoint(root.resolve(JOB), id, written);
    }

    private static void checkpoint(Path jobDir, long id, Instant written) throws Exception {
        Path metadata = Files.createDirectories(jobDir.resolve("chk-" + id)).resolve("_metadata");
        Files.write(metadata, new byte[] {1, 2, 3});
        Files.setLastModifiedTime(metadata, FileTime.from(written));
    }
}
