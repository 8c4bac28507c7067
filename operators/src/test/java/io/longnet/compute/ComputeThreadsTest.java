package io.longnet.compute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ComputeThreadsTest {

    @Test
    void setReachesNd4jAndItsBlas() {
        int before = ComputeThreads.get();
        try {
            ComputeThreads.set(1);
            assertThat(ComputeThreads.get()).isEqualTo(1);
            assertThat(ComputeThreads.nativeThreads()).isEqualTo(1);
            assertThat(ComputeThreads.blasThreads()).isEqualTo(1);
            ComputeThreads.set(2);
            assertThat(ComputeThreads.get()).isEqualTo(2);
            assertThat(ComputeThreads.nativeThreads()).isEqualTo(2);
            assertThat(ComputeThreads.blasThreads()).isEqualTo(2);
        } finally {
            ComputeThreads.set(before);
        }
    }

    @Test
    void rejectsCountsOutsideTheRangeNamingTheValue() {
        assertThatThrownBy(() -> ComputeThreads.set(0))
                .hasMessage("compute threads must be in [1, 1024], got 0");
        assertThatThrownBy(() -> ComputeThreads.set(1025))
                .hasMessage("compute threads must be in [1, 1024], got 1025");
    }
}
