package io.longnet.compute;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VectorMathTest {

    @Test
    void expIsWithinTwoUlpOfTheTrueValueAndHandlesTheEdges() {
        Random rnd = new Random(1);
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        for (int trial = 0; trial < 2000; trial++) {
            float[] x = new float[lanes];
            for (int i = 0; i < lanes; i++) {
                x[i] = (float) ((rnd.nextDouble() * 2 - 1) * (trial % 2 == 0 ? 80 : 3));
            }
            float[] got = VectorMath.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, 0)).toArray();
            for (int i = 0; i < lanes; i++) {
                double exact = Math.exp(x[i]);
                assertThat((double) got[i]).as("exp(%s)", x[i]).isCloseTo(exact,
                        org.assertj.core.data.Offset.offset(2.5 * Math.ulp((float) exact)));
            }
        }
        float[] edges = new float[lanes];
        edges[0] = Float.NEGATIVE_INFINITY;
        if (lanes > 2) {
            edges[1] = Float.NaN;
            edges[2] = -100f;
        }
        float[] got = VectorMath.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, edges, 0)).toArray();
        assertThat(got[0]).isEqualTo(0f);
        if (lanes > 2) {
            assertThat(got[1]).isNaN();
            assertThat(got[2]).isEqualTo(0f);
        }
    }

    @Test
    void sumAddsTheLanesInOrder() {
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        float[] x = new float[lanes];
        float expected = 0;
        for (int i = 0; i < lanes; i++) {
            x[i] = 1f / (i + 3);
            expected += x[i];
        }
        assertThat(VectorMath.sum(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, 0))).isEqualTo(expected);
    }
}
