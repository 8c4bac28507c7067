package io.longnet.it;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;

/**
 * Passes records through and throws once, on the second record after a checkpoint completed. Chained in
 * front of a transactional sink, the first of them is then already in a transaction that the checkpoint does
 * not cover, so it must be aborted and written again after the restart, once. A static flag (the MiniCluster
 * runs in this JVM) makes it fire once per test, not again after the restart.
 *
 * @param <T> the record type
 */
final class FailOnceAfterCheckpoint<T> extends RichMapFunction<T, T> implements CheckpointListener {

    private static final long serialVersionUID = 1L;
    private static final AtomicBoolean FAILED = new AtomicBoolean();
    private static final AtomicLong FAILED_AFTER_CHECKPOINT = new AtomicLong(-1);

    private transient long lastCompleted = -1;
    private transient int sinceCheckpoint;

    static void reset() {
        FAILED.set(false);
        FAILED_AFTER_CHECKPOINT.set(-1);
    }

    static boolean failed() {
        return FAILED.get();
    }

    static long failedAfterCheckpoint() {
        return FAILED_AFTER_CHECKPOINT.get();
    }

    @Override
    public T map(T record) {
        if (lastCompleted > 0 && ++sinceCheckpoint >= 2 && FAILED.compareAndSet(false, true)) {
            FAILED_AFTER_CHECKPOINT.set(lastCompleted);
            throw new IllegalStateException("injected failure (test) after checkpoint " + lastCompleted + " at " + record);
        }
        return record;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
        lastCompleted = checkpointId;
        sinceCheckpoint = 0;
    }
}
