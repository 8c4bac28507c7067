package io.longnet.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.flink.metrics.MetricGroup;
import org.junit.jupiter.api.Test;

class PerStreamCountersTest {

    @Test
    void theFirstStreamsUpToTheLimitGetTheirOwnCounterAndTheRestNone() {
        RegisteredMetrics metrics = new RegisteredMetrics();
        MetricGroup operator = metrics.task.getOrAddOperator("heads");
        PerStreamCounters counters = new PerStreamCounters(operator, "documents", 2);

        counters.inc("news");
        counters.inc("notes");
        counters.inc("news");
        counters.inc("overflow");
        counters.inc("news");

        assertThat(metrics.counter("documents", PerStreamCounters.GROUP, "news")).isEqualTo(3);
        assertThat(metrics.counter("documents", PerStreamCounters.GROUP, "notes")).isEqualTo(1);
        assertThat(metrics.count("documents", PerStreamCounters.GROUP)).isEqualTo(2);
        assertThat(counters.tracked()).isEqualTo(2);
    }

    @Test
    void aNegativeLimitIsRejectedWithItsValue() {
        RegisteredMetrics metrics = new RegisteredMetrics();
        assertThatThrownBy(() -> new PerStreamCounters(metrics.task.getOrAddOperator("heads"), "documents", -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
    }
}
