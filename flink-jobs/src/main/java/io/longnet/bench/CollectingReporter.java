package io.longnet.bench;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * A Flink metric reporter that keeps every metric registered in this JVM, so that the pipeline benchmark can
 * read the job's own counters (a MiniCluster runs in the same JVM). Enabled only by configuration:
 * {@code metrics.reporter.NAME.factory.class: io.longnet.bench.CollectingReporter$Factory}.
 */
public final class CollectingReporter implements MetricReporter {

    /** Metric identifier (scope + name) to the metric, for every metric of every running reporter. */
    private static final Map<String, Metric> METRICS = new ConcurrentHashMap<>();

    @Override
    public void open(MetricConfig config) {
    }

    @Override
    public void close() {
    }

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        METRICS.put(group.getMetricIdentifier(name), metric);
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
        METRICS.remove(group.getMetricIdentifier(name), metric);
    }

    /** Sum over the registered counters and numeric gauges whose name (last identifier part) matches. */
    public static double sum(Predicate<String> name) {
        double total = 0;
        for (Map.Entry<String, Metric> e : METRICS.entrySet()) {
            String identifier = e.getKey();
            if (name.test(identifier.substring(identifier.lastIndexOf('.') + 1))) {
                total += value(e.getValue());
            }
        }
        return total;
    }

    /** Largest value over the registered counters and numeric gauges whose name matches (one per subtask). */
    public static double max(Predicate<String> name) {
        double most = 0;
        for (Map.Entry<String, Metric> e : METRICS.entrySet()) {
            String identifier = e.getKey();
            if (name.test(identifier.substring(identifier.lastIndexOf('.') + 1))) {
                most = Math.max(most, value(e.getValue()));
            }
        }
        return most;
    }

    /** The identifiers whose name matches, to say what a sum was taken over. */
    public static List<String> identifiers(Predicate<String> name) {
        return METRICS.keySet().stream()
                .filter(id -> name.test(id.substring(id.lastIndexOf('.') + 1)))
                .sorted()
                .toList();
    }

    /** The histograms whose name matches, by identifier (one per subtask). */
    public static Map<String, Histogram> histograms(Predicate<String> name) {
        Map<String, Histogram> found = new java.util.TreeMap<>();
        METRICS.forEach((identifier, metric) -> {
            if (metric instanceof Histogram histogram
                    && name.test(identifier.substring(identifier.lastIndexOf('.') + 1))) {
                found.put(identifier, histogram);
            }
        });
        return found;
    }

    private static double value(Metric metric) {
        if (metric instanceof Counter counter) {
            return counter.getCount();
        }
        if (metric instanceof Gauge<?> gauge && gauge.getValue() instanceof Number number) {
            return number.doubleValue();
        }
        return 0;
    }

    /** Found by Flink's reporter setup through {@code META-INF/services}. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new CollectingReporter();
        }
    }
}
