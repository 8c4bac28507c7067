package io.longnet.compute;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
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

    /**
     * The vector exp against the same steps in scalar float arithmetic, 2^n built with an int conversion: equal bit
     * for bit (so a replay or a resumed training run gets the same numbers whichever path ran), over a sweep of
     * [-90, 90] and the clamp limits, where n reaches -126 and 127.
     */
    @Test
    void expEqualsTheScalarStepsBitForBit() {
        expEqualsTheScalarStepsBitForBit(FloatVector.SPECIES_PREFERRED);
    }

    /** Another species than the preferred one takes exp's generic reinterpret: the same bits there. */
    @Test
    void expOfAnotherSpeciesEqualsTheScalarStepsBitForBit() {
        expEqualsTheScalarStepsBitForBit(FloatVector.SPECIES_PREFERRED == FloatVector.SPECIES_128
                ? FloatVector.SPECIES_64 : FloatVector.SPECIES_128);
    }

    private static void expEqualsTheScalarStepsBitForBit(VectorSpecies<Float> species) {
        int lanes = species.length();
        float[] special = {-87.3f, Math.nextDown(-87.3f), Math.nextUp(-87.3f), 88.37f, Math.nextDown(88.37f),
            88.4f, -88f, 0f, -0f, 1e-30f, -1e-30f, 0.34657359f, -0.34657359f};
        int sweep = 1 << 16;
        float[] x = new float[(sweep + special.length + lanes - 1) / lanes * lanes];
        for (int i = 0; i < sweep; i++) {
            x[i] = -90f + 180f * i / sweep;
        }
        System.arraycopy(special, 0, x, sweep, special.length);
        for (int j = 0; j < x.length; j += lanes) {
            float[] got = VectorMath.exp(FloatVector.fromArray(species, x, j)).toArray();
            for (int i = 0; i < lanes; i++) {
                assertThat(Float.floatToRawIntBits(got[i])).as("exp(%s) at %s", x[j + i], species)
                        .isEqualTo(Float.floatToRawIntBits(scalarExp(x[j + i])));
            }
        }
    }

    /** VectorMath.exp's steps, one float at a time. */
    private static float scalarExp(float x) {
        if (x != x) {
            return x;
        }
        if (x < -87.3f) {
            return 0f;
        }
        float clamped = Math.min(Math.max(x, -87.3f), 88.37f);
        float n = clamped * 1.44269504088896341f + 12582912f - 12582912f;
        float r = clamped - n * 0.693359375f - n * -2.12194440e-4f;
        float p = ((((((r * (1f / 5040) + 1f / 720) * r + 1f / 120) * r + 1f / 24) * r + 1f / 6) * r + 0.5f) * r + 1f)
                * r + 1f;
        return p * Float.intBitsToFloat(((int) n + 127) << 23);
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
