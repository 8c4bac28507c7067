package io.longnet.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Test;

class CollectingReporterTest {

    /** A group whose identifiers are "subtask-N.name", as Flink's scoped groups give distinct ones. */
    private static final class Subtask extends UnregisteredMetricsGroup {
        private final int index;

        Subtask(int index) {
            this.index = index;
        }

        @Override
        public String getMetricIdentifier(String metricName) {
            return "subtask-" + index + "." + metricName;
        }
    }

    @Test
    void sumsTheCountersAndGaugesOfOneNameOverSubtasksUntilRemoved() {
        CollectingReporter reporter = new CollectingReporter();
        SimpleCounter first = new SimpleCounter();
        SimpleCounter second = new SimpleCounter();
        first.inc(5);
        second.inc(7);
        Gauge<Long> bytes = () -> 100L;
        reporter.notifyOfAddedMetric(first, "collectingTestTokens", new Subtask(0));
        reporter.notifyOfAddedMetric(second, "collectingTestTokens", new Subtask(1));
        reporter.notifyOfAddedMetric(bytes, "collectingTestBytes", new Subtask(0));

        assertThat(CollectingReporter.sum("collectingTestTokens"::equals)).isEqualTo(12.0);
        assertThat(CollectingReporter.sum("collectingTestBytes"::equals)).isEqualTo(100.0);
        assertThat(CollectingReporter.identifiers("collectingTestTokens"::equals))
                .containsExactly("subtask-0.collectingTestTokens", "subtask-1.collectingTestTokens");

        reporter.notifyOfRemovedMetric(second, "collectingTestTokens", new Subtask(1));
        assertThat(CollectingReporter.sum("collectingTestTokens"::equals)).isEqualTo(5.0);
        reporter.notifyOfRemovedMetric(first, "collectingTestTokens", new Subtask(0));
        reporter.notifyOfRemovedMetric(bytes, "collectingTestBytes", new Subtask(0));
    }
}
