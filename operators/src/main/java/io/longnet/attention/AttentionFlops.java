package io.longnet.attention;

import io.longnet.model.Branch;
import io.longnet.model.DilationSchedule;

/** Useful floating-point operations of causal dilated attention: 4 D per (query, visible key) pair (QK^T and PV). */
public final class AttentionFlops {

    private AttentionFlops() {
    }

    /** For positions [first, first + n) of a stream. */
    public static double count(DilationSchedule schedule, int heads, int headDim, long first, int n) {
        double pairs = 0;
        for (int b = 0; b < schedule.size(); b++) {
            Branch branch = schedule.branch(b);
            int w = branch.segmentLength();
            int r = branch.dilatedRatio();
            for (int h = 0; h < heads; h++) {
                int offset = schedule.offset(b, h, heads);
                for (long p = first; p < first + n; p++) {
                    long t = p % w;
                    if (t >= offset && (t - offset) % r == 0) {
                        pairs += (t - offset) / r + 1;
                    }
                }
            }
        }
        return 4.0 * headDim * pairs;
    }
}
