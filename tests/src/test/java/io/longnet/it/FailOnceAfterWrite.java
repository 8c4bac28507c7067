package io.longnet.it;

import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;

/**
 * Passes records through and throws once, on the second record after a checkpoint barrier, once some checkpoint
 * has completed. Chained in front of an at-least-once sink, the first of the two is then written to Kafka (the
 * pause before the throw gives the producer time to send it) and no checkpoint covers it, since it follows the
 * last barrier: the restart must write it again. So a run with this tap always has repeats. A static flag (the
 * MiniCluster runs in this JVM) makes it fire once per test, not again after the restart.
 *
 * @param <T> the record type
 */
final class FailOnceAfterWrite<T> extends RichMapFunction<T, T> implements CheckpointedFunction, CheckpointListener {

    private static final long serialVersionUID = 1L;
    /** Far above the producer's linger.ms (5 ms): the record before the failure is on the broker by then. */
    private static final long PAUSE_BEFORE_FAILURE_MILLIS = 1000;
    private static final AtomicBoolean FAILED = new AtomicBoolean();

    private transient boolean checkpointCompleted;
    private transient int sinceBarrier;

    static void reset() {
        FAILED.set(false);
    }

    static boolean failed() {
        return FAILED.get();
    }

    @Override
    public T map(T record) throws InterruptedException {
        if (checkpointCompleted && ++sinceBarrier >= 2 && FAILED.compareAndSet(false, true)) {
            Thread.sleep(PAUSE_BEFORE_FAILURE_MILLIS);
            throw new IllegalStateException("injected failure (test) after a written output, at " + record);
        }
        return record;
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) {
        sinceBarrier = 0;
    }

    @Override
    public void initializeState(FunctionInitializationContext context) {
        // nothing to restore: the flag that makes it fire once is static
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
        checkpointCompleted = true;
    }
}
