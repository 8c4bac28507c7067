package io.longnet.decoder;

/**
 * The error function (Java has none): {@link #erf} in double precision (Taylor series near 0, continued
 * fraction beyond), the reference; {@link #normalCdf} for the decoder's GELU, within 1e-7.
 */
public final class Erf {

    // Abramowitz & Stegun 7.1.26: erfc(z) = t (a1 + t (a2 + ... + t a5)) exp(-z^2), t = 1 / (1 + p z), z >= 0,
    // absolute error below 1.5e-7 (float32 resolution near 1).
    private static final double P = 0.3275911;
    private static final double A1 = 0.254829592;
    private static final double A2 = -0.284496736;
    private static final double A3 = 1.421413741;
    private static final double A4 = -1.453152027;
    private static final double A5 = 1.061405429;
    private static final double INVERSE_SQRT_2 = 1 / Math.sqrt(2);

    private Erf() {
    }

    /**
     * The standard normal CDF, Phi(x) = (1 + erf(x / sqrt 2)) / 2, within 1e-7 absolutely. The tail
     * erfc(|x| / sqrt 2) / 2 is computed directly, not as a difference of two numbers near 1.
     */
    public static float normalCdf(float x) {
        double z = Math.abs(x) * INVERSE_SQRT_2;
        double t = 1 / (1 + P * z);
        double erfc = t * (A1 + t * (A2 + t * (A3 + t * (A4 + t * A5)))) * Math.exp(-z * z);
        double tail = 0.5 * erfc; // Phi(-|x|)
        return (float) (x >= 0 ? 1 - tail : tail);
    }

    public static double erf(double x) {
        if (x < 0) {
            return -erf(-x);
        }
        if (x < 3) {
            // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1)); at x < 3 cancellation costs < 4 digits
            double term = x;
            double sum = x;
            for (int k = 1; k < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); k++) {
                term *= -x * x / k;
                sum += term / (2 * k + 1);
            }
            return 2 / Math.sqrt(Math.PI) * sum;
        }
        return 1 - erfcContinuedFraction(x);
    }

    /** erfc(x) for x >= 3 by Lentz's method on erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))). */
    private static double erfcContinuedFraction(double x) {
        double tiny = 1e-300;
        double f = x;
        double cc = x;
        double d = 0;
        for (int k = 1; k < 500; k++) {
            double a = k / 2.0;
            d = x + a * d;
            d = Math.abs(d) < tiny ? tiny : d;
            cc = x + a / cc;
            cc = Math.abs(cc) < tiny ? tiny : cc;
            d = 1 / d;
            double delta = cc * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) {
                break;
            }
        }
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
    }
}
