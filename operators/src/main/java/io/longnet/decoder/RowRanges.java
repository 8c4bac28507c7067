package io.longnet.decoder;

import io.longnet.compute.ComputeThreads;
import io.longnet.compute.ParallelLoop;

/** The row-wise passes of a layer over a native matrix, one contiguous range of rows per compute thread. */
final class RowRanges {

    /**
     * Below this many elements a pass runs on the calling thread: waking a helper costs tens of microseconds,
     * about what a pass over this many elements takes.
     */
    private static final long PARALLEL_MIN_ELEMENTS = 1 << 16;

    /** A change to one row [width], in place. */
    @FunctionalInterface
    interface RowUpdate {
        void apply(float[] row);
    }

    private RowRanges() {
    }

    /** Runs pass over [0, rows) of a [rows, width] matrix, on {@link ComputeThreads#get()} threads when it pays. */
    static void run(int rows, int width, ParallelLoop.Range pass) {
        int threads = (long) rows * width < PARALLEL_MIN_ELEMENTS ? 1 : ComputeThreads.get();
        ParallelLoop.forEachRange(rows, threads, pass);
    }

    /** Every row of the matrix read, updated and written back: one pass. */
    static void update(NativeRows matrix, RowUpdate update) {
        run(matrix.rows(), matrix.width(), (from, to) -> {
            float[] row = new float[matrix.width()]; // [width]
            for (int r = from; r < to; r++) {
                matrix.read(r, row);
                update.apply(row);
                matrix.write(r, row);
            }
        });
    }
}
