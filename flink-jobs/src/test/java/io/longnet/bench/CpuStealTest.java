package io.longnet.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class CpuStealTest {

    @Test
    void readsStealAndTheSumOfTheFirstEightColumnsFromTheCpuLine() {
        String procStat = "cpu  911725 408303 199208 806942 9507 0 6325 53063 0 0\n"
                + "cpu0 455862 204151 99604 403471 4753 0 3162 26531 0 0\n"
                + "intr 123 0 0\n";
        long[] jiffies = CpuSteal.parse(procStat).orElseThrow();
        assertThat(jiffies[0]).isEqualTo(53063);
        assertThat(jiffies[1]).isEqualTo(911725L + 408303 + 199208 + 806942 + 9507 + 0 + 6325 + 53063);
    }

    @Test
    void noFigureWithoutAStealColumnOrACpuLine() {
        assertThat(CpuSteal.parse("cpu  1 2 3 4 5 6 7\n")).isEmpty();
        assertThat(CpuSteal.parse("intr 1 2\n")).isEmpty();
    }

    @Test
    void theShareIsTheStolenPartOfTheCpuTimeBetweenTheWindowsFirstAndLastSample() {
        CpuSteal steal = new CpuSteal();
        steal.add(new CpuSteal.Sample(1_000, 10, 1_000));
        steal.add(new CpuSteal.Sample(2_000, 30, 1_200));  // 20 of 200 stolen
        steal.add(new CpuSteal.Sample(3_000, 110, 1_400)); // 80 of 200 stolen
        steal.add(new CpuSteal.Sample(4_000, 110, 1_600)); // none

        assertThat(steal.share(1_000, 2_000).orElseThrow()).isCloseTo(0.10, within(1e-12));
        assertThat(steal.share(2_000, 3_500).orElseThrow()).isCloseTo(0.40, within(1e-12));
        assertThat(steal.share(0, 10_000).orElseThrow()).isCloseTo(100.0 / 600, within(1e-12));
        assertThat(steal.share(3_500, 10_000)).as("one sample is no interval").isEmpty();
    }
}
