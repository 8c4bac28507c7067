package io.longnet.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RestorePointTest {

    private static final Instant WRITTEN = Instant.parse("2026-12-01T10:00:00Z");
    private static final Duration TIMEOUT = Duration.ofMinutes(15);
    private static final Duration INTERVAL = Duration.ofSeconds(10);

    private final RestorePoint checkpoint = RestorePoint.checkpoint(
            new CheckpointDirectory.Checkpoint(12, Path.of("/cp/job/chk-12"), WRITTEN));

    @Test
    void ownCheckpointsAreClaimedSavepointsOnlyRead() {
        assertThat(checkpoint.claim()).isTrue();
        assertThat(checkpoint.describes()).isEqualTo("checkpoint 12 (/cp/job/chk-12)");
        RestorePoint savepoint = RestorePoint.savepoint(Path.of("/sp/savepoint-1"));
        assertThat(savepoint.claim()).isFalse();
        assertThat(savepoint.written()).isEmpty();
        assertThat(savepoint.staleWarning(WRITTEN.plus(Duration.ofDays(3)), TIMEOUT, INTERVAL)).isEmpty();
    }

    @Test
    void aRecentCheckpointRestoresSilently() {
        assertThat(checkpoint.staleWarning(WRITTEN.plusSeconds(60), TIMEOUT, INTERVAL)).isEmpty();
        assertThat(checkpoint.staleWarning(WRITTEN.plus(TIMEOUT).minus(INTERVAL).minusSeconds(1), TIMEOUT, INTERVAL))
                .isEmpty();
    }

    @Test
    void aCheckpointWhoseTransactionsMayHaveTimedOutSaysSoWithItsAgeAndTheTimeout() {
        assertThat(checkpoint.staleWarning(WRITTEN.plus(TIMEOUT).minus(INTERVAL), TIMEOUT, INTERVAL)).isPresent();
        assertThat(checkpoint.staleWarning(WRITTEN.plus(Duration.ofMinutes(20)), TIMEOUT, INTERVAL)).hasValueSatisfying(
                warning -> assertThat(warning).contains("checkpoint 12", "written 1200 s ago",
                        "transaction-timeout 900 s", "checkpoint-interval 10000 ms", "lost"));
    }
}
