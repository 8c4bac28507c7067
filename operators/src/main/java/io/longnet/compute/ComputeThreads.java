package io.longnet.compute;

/**
 * How many threads one encoder's arithmetic may use (the dilated-attention kernel and ND4J's native ops).
 * A process-wide setting: every encoder of a TaskManager runs with the same job configuration, and
 * slots x threads must not exceed the cores, or the threads only take turns.
 */
public final class ComputeThreads {

    private static volatile int threads = Runtime.getRuntime().availableProcessors();

    private ComputeThreads() {
    }

    public static int get() {
        return threads;
    }

    /** @param count threads per encoder, in [1, 1024] */
    public static void set(int count) {
        if (count < 1 || count > 1024) {
            throw new IllegalArgumentException("compute threads must be in [1, 1024], got " + count);
        }
        threads = count;
    }
}
