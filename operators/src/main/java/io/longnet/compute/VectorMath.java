package io.longnet.compute;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp, sums and the normal CDF in Java vectors with the same bits on every run. The Vector API's own EXP is computed by the JIT's SVML
 * stub once C2 has compiled the caller and by Java code before that, and the two differ in the last bit: a
 * run's numbers then depend on when the compiler got there, so a training run and its resumed copy, or a job
 * and its replay, drift apart. This one is plain IEEE arithmetic (range reduction by ln 2, a degree-7
 * polynomial, the exponent set in the bits): within 2 ulp of the true value, exp(-inf) = 0, NaN stays NaN.
 */
public final class VectorMath {

    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, FLOATS.vectorShape());
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HIGH = 0.693359375f;        // ln 2 split so that n * LN2_HIGH is exact
    private static final float LN2_LOW = -2.12194440e-4f;
    private static final float ROUNDER = 12582912f;            // 1.5 * 2^23: adding it rounds to an integer
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    private static final float LOWEST = -87.3f;                // below: the result underflows; returned as 0
    private static final float HIGHEST = 88.37f;               // above: float overflow; clamped (never reached here)

    // Abramowitz & Stegun 7.1.26, as in Erf.normalCdf: erfc(z) = t (a1 + t (a2 + ... + t a5)) exp(-z^2),
    // t = 1 / (1 + p z), z >= 0, absolute error below 1.5e-7.
    private static final float P = 0.3275911f;
    private static final float A1 = 0.254829592f;
    private static final float A2 = -0.284496736f;
    private static final float A3 = 1.421413741f;
    private static final float A4 = -1.453152027f;
    private static final float A5 = 1.061405429f;
    private static final float INVERSE_SQRT_2 = (float) (1 / Math.sqrt(2));

    private VectorMath() {
    }

    /** Phi(x) per lane by A&S 7.1.26; the tail Phi(-|x|) is computed directly, never as 1 minus a number near 1. */
    public static FloatVector normalCdf(FloatVector x) {
        FloatVector z = x.abs().mul(INVERSE_SQRT_2);
        FloatVector t = FloatVector.broadcast(x.species(), 1f).div(z.fma(P, 1f));
        FloatVector poly = t.fma(A5, A4).fma(t, FloatVector.broadcast(x.species(), A3))
                .fma(t, FloatVector.broadcast(x.species(), A2)).fma(t, FloatVector.broadcast(x.species(), A1)).mul(t);
        FloatVector tail = poly.mul(exp(z.mul(z).neg())).mul(0.5f); // Phi(-|x|)
        VectorMask<Float> nonNegative = x.compare(VectorOperators.GE, 0f);
        return tail.blend(tail.neg().add(1f), nonNegative);
    }

    /**
     * The lanes' sum, added in lane order. The Vector API's reduceLanes(ADD) adds them in an order of its own
     * choosing, which differs between interpreted and compiled code: the same drift as its EXP.
     */
    public static float sum(FloatVector v) {
        float[] lanes = v.toArray();
        float s = 0;
        for (float x : lanes) {
            s += x;
        }
        return s;
    }

    /**
     * e^x per lane. The power of two 2^n is built from the bits of x / ln 2 + 1.5 * 2^23, whose low bits hold n:
     * a float-to-int conversion would give the same n, but Java 17's compiler does not make the Vector API's
     * conversions into vector instructions, and one of them made this method 5.7 times slower (2.65 against
     * 0.46 ns per value at 16 lanes, in the same loop). The clamp is two blends rather than max and min (the same
     * bits, NaN included): without AVX-512 a float vector's max and min are sequences of several instructions each
     * (Java's rules for NaN and -0), and at 8 lanes (AVX2) the exp took 1.19 ns per value with them, 0.88 to 1.04
     * with the blends.
     */
    public static FloatVector exp(FloatVector x) {
        VectorMask<Float> underflow = x.compare(VectorOperators.LT, LOWEST);
        FloatVector clamped = x.blend(LOWEST, underflow).blend(HIGHEST, x.compare(VectorOperators.GT, HIGHEST));
        FloatVector shifted = clamped.mul(LOG2E).add(ROUNDER);             // its bits: ROUNDER's + round(x / ln 2)
        FloatVector n = shifted.sub(ROUNDER);                               // round(x / ln 2), in [-126, 127]
        FloatVector r = clamped.sub(n.mul(LN2_HIGH)).sub(n.mul(LN2_LOW));   // |r| <= ln 2 / 2
        FloatVector p = r.mul(1f / 5040).add(1f / 720).mul(r).add(1f / 120).mul(r).add(1f / 24).mul(r)
                .add(1f / 6).mul(r).add(0.5f).mul(r).add(1f).mul(r).add(1f);
        FloatVector scale = powerOfTwo(shifted);                                // 2^n, a normal float
        FloatVector result = p.mul(scale);
        VectorMask<Float> nan = x.compare(VectorOperators.NE, x);
        return result.blend(0f, underflow).blend(x, nan);
    }

    /**
     * 2^n from the bits of {@code shifted} (ROUNDER + n). The preferred species goes through constant int and float
     * species: reinterpretAsInts()/reinterpretAsFloats() find their target species by a lookup that the compiler
     * did not always fold, and then the reinterpret ran its Java fallback lane by lane, inlined ("missing
     * constant ... vclass_to=LoadP" with -XX:+PrintIntrinsics): a flight recording of an AVX2 machine's job had
     * every sample in exp there, and a run's slowest seconds had three times as many.
     */
    private static FloatVector powerOfTwo(FloatVector shifted) {
        if (shifted.species() == FLOATS) {
            IntVector bits = (IntVector) shifted.reinterpretShape(INTS, 0);
            return (FloatVector) bits.add(127 - ROUNDER_BITS).lanewise(VectorOperators.LSHL, 23)
                    .reinterpretShape(FLOATS, 0);
        }
        return shifted.reinterpretAsInts().add(127 - ROUNDER_BITS).lanewise(VectorOperators.LSHL, 23)
                .reinterpretAsFloats();
    }
}
