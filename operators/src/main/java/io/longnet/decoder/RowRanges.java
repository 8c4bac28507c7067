package io.longnet.decoder;

import io.longnet.compute.ComputeThreads;
import io.longnet.compute.ParallelLoop;

/** Splits a matrix's rows into one contiguous range per compute thread, for the row-wise passes of a layer. */
final class RowRanges {

    /**
     * Below this many elements a pass runs on the calling thread: waking a helper costs tens of microseconds,
     * about what a pass over this many elements takes.
     */
    private static final long PARALLEL_MIN_ELEMENTS = 1 << 16;

    /** A pass over rows [from, to). */
    @FunctionalInterface
    interface Pass {
        void run(int from, int to);
    }

    private RowRanges() {
    }

    /** Runs pass over [0, rows) of a [rows, width] matrix, on {@link ComputeThreads#get()} threads when it pays. */
    static void run(int rows, int width, Pass pass) {
        int threads = (long) rows * width < PARALLEL_MIN_ELEMENTS ? 1 : Math.min(ComputeThreads.get(), rows);
        ParallelLoop.forEach(threads, threads, part -> pass.run(
                (int) ((long) rows * part / threads), (int) ((long) rows * (part + 1) / threads)));
    }
}
