package io.longnet.attention;

import static org.assertj.core.api.Assertions.assertThat;

import io.longnet.model.DilationSchedule;
import io.longnet.model.HeadOffsetRule;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A failover drops the task's model and loads it again, while the kernel's helper threads (and the caller's) live
 * on: 100 kernels that ran, with and without xPos, on the caller and the helpers, are all collectable afterwards.
 */
class ScratchLeakTest {

    @Test
    void droppedKernelsAreNotKeptByTheThreadsTheyRanOn() {
        DilationSchedule schedule = DilationSchedule.of(List.of(256, 512), List.of(1, 2), HeadOffsetRule.GROUPED);
        int heads = 4;
        int d = 64;
        int n = 512; // enough pairs to run the heads in parallel
        float[] zeta = new float[d / 2];
        Arrays.fill(zeta, 0.5f);
        float[] qkv = new float[n * 3 * heads * d]; // [n, 3E]
        Random rnd = new Random(1);
        for (int i = 0; i < qkv.length; i++) {
            qkv[i] = rnd.nextFloat() - 0.5f;
        }
        List<WeakReference<DilatedAttention>> dropped = new ArrayList<>();
        for (int restart = 0; restart < 100; restart++) {
            DilatedAttention attention = new DilatedAttention(schedule, heads, d,
                    restart % 2 == 0 ? null : new XPos(zeta, 512));
            attention.attend(qkv, n, 0, attention.newState());
            dropped.add(new WeakReference<>(attention));
        }
        for (int attempt = 0; attempt < 10 && dropped.stream().anyMatch(r -> r.get() != null); attempt++) {
            System.gc();
        }
        assertThat(dropped.stream().filter(r -> r.get() != null).count()).as("kernels still reachable").isZero();
    }
}
