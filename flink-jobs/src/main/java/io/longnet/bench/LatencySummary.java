package io.longnet.bench;

import java.util.Arrays;
import java.util.Locale;

/**
 * Latencies in milliseconds summarised as a serving team reads them: count, p50, p90, p99 and max. Quantiles are
 * nearest-rank (the smallest sample with at least q of all samples at or below it), so each is a latency that
 * some output actually had.
 *
 * @param count samples, >= 1
 * @param p50   median
 * @param p90   90th percentile
 * @param p99   99th percentile
 * @param max   largest sample
 */
public record LatencySummary(int count, long p50, long p90, long p99, long max) {

    public LatencySummary {
        if (count < 1 || p50 > p90 || p90 > p99 || p99 > max) {
            throw new IllegalArgumentException("a latency summary needs samples and ordered quantiles, got count "
                    + count + ", p50 " + p50 + ", p90 " + p90 + ", p99 " + p99 + ", max " + max);
        }
    }

    /** @param millis the latencies, at least one; not modified */
    public static LatencySummary of(long[] millis) {
        if (millis == null || millis.length == 0) {
            throw new IllegalArgumentException("no latencies to summarise");
        }
        long[] sorted = millis.clone();
        Arrays.sort(sorted);
        return new LatencySummary(sorted.length, rank(sorted, 0.50), rank(sorted, 0.90), rank(sorted, 0.99),
                sorted[sorted.length - 1]);
    }

    private static long rank(long[] sorted, double q) {
        int index = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, index)];
    }

    /** {@code p50 1,234 ms  p90 ...  p99 ...  max ...  (n outputs)}. */
    public String format() {
        return format("outputs");
    }

    /** As {@link #format()}, counting {@code things} instead of outputs. */
    public String format(String things) {
        return String.format(Locale.ROOT, "p50 %,7d ms   p90 %,7d ms   p99 %,7d ms   max %,7d ms   (%d %s)",
                p50, p90, p99, max, count, things);
    }
}
