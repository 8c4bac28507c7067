package io.longnet.job;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What {@code longnet run} restores its job from: its own newest checkpoint, or a savepoint the user names.
 *
 * @param path      the checkpoint or savepoint (its directory, or its {@code _metadata} file)
 * @param claim     whether the job takes the snapshot over (its own checkpoints: Flink's CLAIM mode, so they
 *                  are subsumed and deleted as usual) or only reads it (a savepoint: NO_CLAIM, never deleted)
 * @param written   when the snapshot was written, for a checkpoint of this job; empty for a savepoint
 * @param describes how run's output names it ("checkpoint 12 (/cp/<job>/chk-12)", "savepoint /sp/savepoint-1")
 */
public record RestorePoint(Path path, boolean claim, Optional<Instant> written, String describes) {

    public RestorePoint {
        if (path == null || describes == null || written == null) {
            throw new IllegalArgumentException("restore point needs a path, a description and (maybe) a time");
        }
    }

    /** This job's own checkpoint, claimed. */
    public static RestorePoint checkpoint(CheckpointDirectory.Checkpoint checkpoint) {
        return new RestorePoint(checkpoint.dir(), true, Optional.of(checkpoint.written()),
                "checkpoint " + checkpoint.id() + " (" + checkpoint.dir() + ")");
    }

    /** A savepoint (or a retained checkpoint of another job) the user names; read, never deleted. */
    public static RestorePoint savepoint(Path path) {
        return new RestorePoint(path, false, Optional.empty(), "savepoint " + path);
    }

    /**
     * The warning a restore must give when Kafka may have aborted the transactions that carry its last outputs.
     * A checkpoint's transactions were opened up to one checkpoint interval before it was written, are committed
     * only after it completes, and are aborted by the brokers {@code transactionTimeout} after they were opened:
     * a process killed before that commit, restored later than that, has lost those outputs for good.
     */
    public Optional<String> staleWarning(Instant now, Duration transactionTimeout, Duration checkpointInterval) {
        return written.flatMap(at -> {
            Duration age = Duration.between(at, now);
            if (age.plus(checkpointInterval).compareTo(transactionTimeout) < 0) {
                return Optional.empty();
            }
            return Optional.of(describes + " was written " + age.toSeconds() + " s ago; its output transactions were "
                    + "opened up to " + JobOptions.CHECKPOINT_INTERVAL.key() + " " + checkpointInterval.toMillis()
                    + " ms before that, and Kafka aborts a transaction older than " + JobOptions.TRANSACTION_TIMEOUT.key()
                    + " " + transactionTimeout.toSeconds() + " s: if the previous run died before committing them, the"
                    + " embeddings, predictions and dead letters of its last checkpoint interval are lost (not rewritten)");
        });
    }
}
