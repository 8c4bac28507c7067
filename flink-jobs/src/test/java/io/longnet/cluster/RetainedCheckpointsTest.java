package io.longnet.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RetainedCheckpointsTest {

    @TempDir
    Path dir;

    private Path checkpoint(String job, int n, Instant written) throws Exception {
        Path chk = Files.createDirectories(dir.resolve(job).resolve("chk-" + n));
        Path metadata = Files.writeString(chk.resolve(RetainedCheckpoints.METADATA), "x");
        Files.setLastModifiedTime(metadata, FileTime.from(written));
        return chk;
    }

    @Test
    void theNewestCompleteCheckpointOfAnyJobIsChosenAndOneWithoutMetadataSkipped() throws Exception {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        checkpoint("job-a", 7, t);
        Path newest = checkpoint("job-b", 3, t.plusSeconds(60));
        checkpoint("job-a", 8, t.plusSeconds(30));
        Files.createDirectories(dir.resolve("job-b").resolve("chk-4")); // being written when the JobManager died
        Files.createDirectories(dir.resolve("job-b").resolve("shared"));

        assertThat(RetainedCheckpoints.newest(dir)).contains(newest);
    }

    @Test
    void noCheckpointIsEmptyAndAMissingDirectoryAnError() throws Exception {
        Files.createDirectories(dir.resolve("job-a").resolve("chk-1"));

        assertThat(RetainedCheckpoints.newest(dir)).isEmpty();
        assertThatThrownBy(() -> RetainedCheckpoints.newest(dir.resolve("none"))).hasMessageContaining("none");
    }
}
