package io.longnet.attention;

/**
 * xPos (spec section 5): per pair i = 0..D/2-1 of a head-width row, a rotation by theta = t * 10000^(-i/(D/2))
 * at rotation position t, and a scale sigma = zeta_i^(n/b) at scale position n (inverse for keys):
 * y[2i] = sigma (x[2i] cos theta - x[2i+1] sin theta), y[2i+1] = sigma (x[2i+1] cos theta + x[2i] sin theta).
 *
 * <p>A query at n and a key at n' only ever meet through the product zeta_i^((n - n') / b), so this class
 * offers the two halves separately: {@link #rotor} (positions relative to the segment, exact and finite at
 * any stream position) and {@link #decay} (ln zeta_i / b, to raise to a position difference). Applying
 * zeta^(n/b) to a row on its own leaves float range once |n| passes about 36K at b = 512; callers never do.
 */
public final class XPos {

    private final double[] decay;     // [D/2] ln(zeta_i) / b, <= 0
    private final double[] frequency; // [D/2] 10000^(-i/(D/2))

    /** @param zeta the xpos.scale buffer, [D/2]: zeta_i = (2i + 0.4 D) / (1.4 D) in torchscale */
    public XPos(float[] zeta, double scaleBase) {
        int half = zeta.length;
        this.decay = new double[half];
        this.frequency = new double[half];
        for (int i = 0; i < half; i++) {
            if (!(zeta[i] > 0 && zeta[i] <= 1)) {
                throw new IllegalArgumentException("xpos.scale[" + i + "] must be in (0, 1], got " + zeta[i]);
            }
            decay[i] = Math.log(zeta[i]) / scaleBase;
            frequency[i] = 1.0 / Math.pow(10000.0, (double) i / half);
        }
    }

    public int headDim() {
        return 2 * decay.length;
    }

    /** ln(zeta_i) / b for pair i: a query and a key {@code delta} positions apart meet with exp(delta * decay). */
    public double decay(int pair) {
        return decay[pair];
    }

    /** The largest |ln(zeta_i) / b|. */
    public double maxDecay() {
        double max = 0;
        for (double c : decay) {
            max = Math.max(max, -c);
        }
        return max;
    }

    /** Rotations of rows at positions t0, t0 + step, t0 + 2 step, ... (see {@link Rotor}). */
    public Rotor rotor(double t0, double step) {
        return new Rotor(t0, step);
    }

    /**
     * Rotates rows at an arithmetic progression of positions with one complex multiplication per pair and
     * row instead of a cosine and a sine: (cos, sin) of the next position is (cos, sin) of this one times
     * (cos, sin) of the step, in double precision (the error grows by about 1e-16 a row: 1e-10 after 2^20 rows).
     */
    public final class Rotor {
        private final double[] cos;      // [D/2] at the current position
        private final double[] sin;      // [D/2]
        private final double[] stepCos;  // [D/2]
        private final double[] stepSin;  // [D/2]

        private Rotor(double t0, double step) {
            int half = frequency.length;
            cos = new double[half];
            sin = new double[half];
            stepCos = new double[half];
            stepSin = new double[half];
            for (int i = 0; i < half; i++) {
                cos[i] = Math.cos(t0 * frequency[i]);
                sin[i] = Math.sin(t0 * frequency[i]);
                stepCos[i] = Math.cos(step * frequency[i]);
                stepSin[i] = Math.sin(step * frequency[i]);
            }
        }

        /** Rotates the row x[off .. off + D) in place to the current position. */
        public void rotate(float[] x, int off) {
            for (int i = 0; i < cos.length; i++) {
                double x0 = x[off + 2 * i];
                double x1 = x[off + 2 * i + 1];
                x[off + 2 * i] = (float) (x0 * cos[i] - x1 * sin[i]);
                x[off + 2 * i + 1] = (float) (x1 * cos[i] + x0 * sin[i]);
            }
        }

        /** Moves to the next position. */
        public void advance() {
            for (int i = 0; i < cos.length; i++) {
                double c = cos[i] * stepCos[i] - sin[i] * stepSin[i];
                sin[i] = sin[i] * stepCos[i] + cos[i] * stepSin[i];
                cos[i] = c;
            }
        }
    }

    /** The row x [D] rotated to rotation position t, in double precision (for the reference). */
    public double[] rotated(double[] x, double t) {
        double[] y = new double[x.length];
        for (int i = 0; i < decay.length; i++) {
            double theta = t * frequency[i];
            double cos = Math.cos(theta);
            double sin = Math.sin(theta);
            y[2 * i] = x[2 * i] * cos - x[2 * i + 1] * sin;
            y[2 * i + 1] = x[2 * i + 1] * cos + x[2 * i] * sin;
        }
        return y;
    }

    /** zeta_i^(distance / b) in double precision. */
    public double scale(int pair, double distance) {
        return Math.exp(decay[pair] * distance);
    }
}
