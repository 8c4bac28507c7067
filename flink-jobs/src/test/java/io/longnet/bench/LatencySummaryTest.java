package io.longnet.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class LatencySummaryTest {

    @Test
    void quantilesAreNearestRankSamples() {
        long[] hundred = LongStream.rangeClosed(1, 100).map(i -> 101 - i).toArray(); // 100 .. 1, unsorted
        assertThat(LatencySummary.of(hundred)).isEqualTo(new LatencySummary(100, 50, 90, 99, 100));
        assertThat(hundred[0]).as("the input is not modified").isEqualTo(100);

        long[] ten = {5, 1, 9, 3, 7, 2, 8, 4, 6, 1000};
        assertThat(LatencySummary.of(ten)).isEqualTo(new LatencySummary(10, 5, 9, 1000, 1000));
        assertThat(LatencySummary.of(new long[] {42})).isEqualTo(new LatencySummary(1, 42, 42, 42, 42));
    }

    @Test
    void formatsEveryFigureAndRejectsNothingToSummarise() {
        assertThat(LatencySummary.of(new long[] {1200, 800}).format())
                .isEqualTo("p50     800 ms   p90   1,200 ms   p99   1,200 ms   max   1,200 ms   (2 outputs)");
        assertThatThrownBy(() -> LatencySummary.of(new long[0])).hasMessage("no latencies to summarise");
        assertThatThrownBy(() -> new LatencySummary(3, 10, 5, 20, 30)).hasMessageContaining("p50 10, p90 5");
    }
}
