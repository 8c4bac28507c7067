package io.longnet.attention;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The key layout the kernel multiplies against: panels of L consecutive key rows stored transposed, so that
 * one vector load gives one column d of L keys. A panel array is {@code [panels][D][L]}: key row j, column d
 * at {@code (j / L) * D * L + d * L + j % L}. L is the machine's preferred float vector width.
 */
final class KeyPanels {

    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int LANES = SPECIES.length();

    private KeyPanels() {
    }

    /** n rounded up to a multiple of L. */
    static int roundUp(int n) {
        return (n + LANES - 1) / LANES * LANES;
    }

    /** The head width padded to whole vectors, Dp. */
    static int padded(int headDim) {
        return roundUp(headDim);
    }

    static void write(float[] panels, int headDim, int row, float[] src, int srcOff) {
        int base = row / LANES * headDim * LANES + row % LANES;
        for (int d = 0; d < headDim; d++) {
            panels[base + d * LANES] = src[srcOff + d];
        }
    }

    static void read(float[] panels, int headDim, int row, float[] dst, int dstOff) {
        int base = row / LANES * headDim * LANES + row % LANES;
        for (int d = 0; d < headDim; d++) {
            dst[dstOff + d] = panels[base + d * LANES];
        }
    }
}
