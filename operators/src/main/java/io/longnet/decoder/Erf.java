package io.longnet.decoder;

/** The error function in double precision (Java has none): Taylor series near 0, continued fraction beyond. */
final class Erf {

    private Erf() {
    }

    static double erf(double x) {
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
