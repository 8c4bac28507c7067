package io.longnet.ops;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/**
 * One counter per stream, registered under {@code GROUP=stream} when the stream is first seen (Prometheus:
 * {@code ..._operator_stream_NAME{stream="news"}}), for the first {@code limit} streams of a subtask: streams are
 * keys without bound, and every series costs the metric system memory and the scraper storage. Streams past the
 * limit are counted only in the operator's total. Counters restart from 0 with the task, as Flink's own do.
 */
final class PerStreamCounters {

    static final String GROUP = "stream";

    private final MetricGroup group;
    private final String name;
    private final int limit;
    private final Map<String, Counter> counters = new HashMap<>();

    /** @param limit the most streams counted one by one in this subtask, >= 0 */
    PerStreamCounters(MetricGroup group, String name, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("per-stream metric limit must be >= 0, got " + limit);
        }
        this.group = group;
        this.name = name;
        this.limit = limit;
    }

    void inc(String stream) {
        Counter counter = counters.get(stream);
        if (counter == null && counters.size() < limit) {
            counter = group.addGroup(GROUP, stream).counter(name);
            counters.put(stream, counter);
        }
        if (counter != null) {
            counter.inc();
        }
    }

    /** How many streams have their own counter. */
    int tracked() {
        return counters.size();
    }
}
