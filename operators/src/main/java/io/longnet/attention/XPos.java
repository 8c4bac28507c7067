package io.longnet.attention;

/**
 * xPos rotation and scaling of one head-width row (spec section 5). Pair i = 0..D/2-1 of a row at rotation
 * position t and scale position n becomes, with theta = t * 10000^(-i/(D/2)) and sigma = zeta_i^(n/b)
 * (inverse for keys): y[2i] = sigma (x[2i] cos theta - x[2i+1] sin theta),
 * y[2i+1] = sigma (x[2i+1] cos theta + x[2i] sin theta).
 * Attention only compares rows of one segment, so callers pass segment-relative positions: exact, and finite
 * at any stream position.
 */
public final class XPos {

    private final double[] logZeta;   // [D/2] ln zeta_i
    private final double[] frequency; // [D/2] 10000^(-i/(D/2))
    private final double scaleBase;

    /** @param zeta the xpos.scale buffer, [D/2]: zeta_i = (2i + 0.4 D) / (1.4 D) in torchscale */
    public XPos(float[] zeta, double scaleBase) {
        int half = zeta.length;
        this.logZeta = new double[half];
        this.frequency = new double[half];
        for (int i = 0; i < half; i++) {
            if (!(zeta[i] > 0)) {
                throw new IllegalArgumentException("xpos.scale[" + i + "] must be positive, got " + zeta[i]);
            }
            logZeta[i] = Math.log(zeta[i]);
            frequency[i] = 1.0 / Math.pow(10000.0, (double) i / half);
        }
        this.scaleBase = scaleBase;
    }

    public int headDim() {
        return 2 * logZeta.length;
    }

    /**
     * Writes the rotated and scaled row src[srcOff .. srcOff+D) to dst[dstOff ..), times {@code factor}.
     *
     * @param t         rotation position
     * @param n         scale position
     * @param downscale true for keys (sigma inverted)
     */
    public void apply(float[] src, int srcOff, float[] dst, int dstOff, double t, double n, boolean downscale,
                      double factor) {
        double sign = downscale ? -1.0 : 1.0;
        for (int i = 0; i < logZeta.length; i++) {
            double theta = t * frequency[i];
            double sigma = Math.exp(sign * logZeta[i] * n / scaleBase) * factor;
            double cos = Math.cos(theta);
            double sin = Math.sin(theta);
            double x0 = src[srcOff + 2 * i];
            double x1 = src[srcOff + 2 * i + 1];
            dst[dstOff + 2 * i] = (float) (sigma * (x0 * cos - x1 * sin));
            dst[dstOff + 2 * i + 1] = (float) (sigma * (x1 * cos + x0 * sin));
        }
    }

    /** The same in double precision, for the reference implementation. */
    public void apply(double[] src, double[] dst, double t, double n, boolean downscale) {
        double sign = downscale ? -1.0 : 1.0;
        for (int i = 0; i < logZeta.length; i++) {
            double theta = t * frequency[i];
            double sigma = Math.exp(sign * logZeta[i] * n / scaleBase);
            double cos = Math.cos(theta);
            double sin = Math.sin(theta);
            double x0 = src[2 * i];
            double x1 = src[2 * i + 1];
            dst[2 * i] = sigma * (x0 * cos - x1 * sin);
            dst[2 * i + 1] = sigma * (x1 * cos + x0 * sin);
        }
    }
}
