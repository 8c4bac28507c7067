package io.longnet.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The duration and checkpointed (incremental) size of each completed checkpoint of the job whose metrics
 * {@link CollectingReporter} collects, read from the job's gauges {@code lastCheckpointDuration} and
 * {@code lastCheckpointSize} whenever {@code numberOfCompletedCheckpoints} moves. Call {@link #sample()} more
 * often than checkpoints complete: two that complete between samples count once ({@link #missed()} says how many).
 */
public final class CheckpointWatch {

    private final List<Long> millis = new ArrayList<>();
    private final List<Long> seenAt = new ArrayList<>(); // wall clock (ms) of the sample that saw each one
    private final List<Long> sizes = new ArrayList<>(); // checkpointed (incremental) bytes of each one
    private long completed;
    private long missed;

    public synchronized void sample() {
        long now = (long) CollectingReporter.sum("numberOfCompletedCheckpoints"::equals);
        if (now > completed) {
            missed += now - completed - 1;
            completed = now;
            millis.add((long) CollectingReporter.sum("lastCheckpointDuration"::equals));
            seenAt.add(System.currentTimeMillis());
            sizes.add((long) CollectingReporter.sum("lastCheckpointSize"::equals));
        }
    }

    /** Checkpoints completed at the last sample. */
    public synchronized long completed() {
        return completed;
    }

    /** Completed checkpoints whose duration and size were not seen: they completed between two samples. */
    public synchronized long missed() {
        return missed;
    }

    /** The checkpointed sizes of the checkpoints seen, summed: the bytes the checkpoints uploaded. */
    public synchronized long uploadedBytes() {
        return sizes.stream().mapToLong(Long::longValue).sum();
    }

    /** The checkpoints seen between two wall-clock times (ms, [from, to)): their durations in ms, in order. */
    public synchronized List<Long> durationsSeen(long from, long to) {
        return seenBetween(millis, from, to);
    }

    /** The checkpointed sizes of the checkpoints seen between two wall-clock times (ms, [from, to)), summed. */
    public synchronized long uploadedBytesSeen(long from, long to) {
        return seenBetween(sizes, from, to).stream().mapToLong(Long::longValue).sum();
    }

    /** The entries of {@code perCheckpoint} (one per checkpoint seen) of those seen within [from, to), in order. */
    private List<Long> seenBetween(List<Long> perCheckpoint, long from, long to) {
        List<Long> in = new ArrayList<>();
        for (int i = 0; i < seenAt.size(); i++) {
            if (seenAt.get(i) >= from && seenAt.get(i) < to) {
                in.add(perCheckpoint.get(i));
            }
        }
        return in;
    }

    /** The durations of the checkpoints seen, in milliseconds; empty when none was seen. */
    public synchronized Optional<LatencySummary> durations() {
        return millis.isEmpty() ? Optional.empty()
                : Optional.of(LatencySummary.of(millis.stream().mapToLong(Long::longValue).toArray()));
    }
}
