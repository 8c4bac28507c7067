package io.longnet.attention;

import static org.assertj.core.api.Assertions.assertThat;

import io.longnet.model.DilationSchedule;
import io.longnet.model.HeadOffsetRule;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeyPanelsTest {

    /** The memory bound the job client computes without the Vector API holds for this machine's vectors. */
    @Test
    void theHeldMemoryBoundCoversThisMachinesVectorWidth() {
        assertThat(KeyPanels.LANES).isLessThanOrEqualTo(AttentionState.MAX_LANES);
        DilationSchedule schedule = DilationSchedule.of(List.of(40, 24), List.of(1, 3), HeadOffsetRule.GROUPED);
        AttentionState state = new AttentionState(schedule, 2, 5);
        float[] rows = new float[40 * 5]; // [40, 5]
        for (int b = 0; b < 2; b++) {
            for (int h = 0; h < 2; h++) {
                int m = schedule.branch(b).keptRows(schedule.offset(b, h, 2));
                state.append(b, h, java.util.Arrays.copyOf(rows, m * 5), java.util.Arrays.copyOf(rows, m * 5));
            }
        }
        assertThat(state.heldFloats()).isLessThanOrEqualTo(AttentionState.maxHeldFloats(schedule, 2, 5))
                .isGreaterThanOrEqualTo(state.keptFloats());
    }
}
