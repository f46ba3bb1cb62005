package org.suncet.augment;

/**
 * Tolerances derived from float32 rounding, for the comparisons whose two sides may round differently.
 * {@code u = 2^-24} is float32's unit roundoff: a product, sum or quotient rounded once lies within
 * {@code u |exact|}.
 */
final class FloatBounds {

    /** float32's unit roundoff. */
    static final double U = 0x1p-24;

    private FloatBounds() {}

    /**
     * The most by which two evaluation orders of the separable blur ({@link GaussianBlurKernel}: two
     * BLAS passes, each summing at most {@code taps} non-negative products of float32 weights summing to
     * {@code 1 + u} with values in [0, 1]) can differ. Any order, with or without FMA, of a sum of
     * {@code taps} such terms lies within {@code g = taps u / (1 - taps u)} (relative) of the exact sum
     * (Higham, Accuracy and Stability of Numerical Algorithms, 3.1): two orders of the first pass differ
     * by {@code 2 g (1 + u)}; the second pass adds its own {@code 2 g} on values up to {@code 1 + g}
     * and carries the first difference with weights summing to {@code 1 + u}: {@code 4 g (1 + O(u))}
     * in all, i.e. {@code 4.01 taps u} for {@code taps u < 1e-3}. The clamp to [0, 1] only shrinks it.
     */
    static double blurOrders(int taps) {
        if (taps == 1) {
            return 0; // one tap of weight exactly 1: x * 1 plus exact zeros, in any order
        }
        return 4.01 * taps * U;
    }

    /**
     * The most by which the blur of values in [0, 1] can differ from its exact value with the
     * double-precision kernel: per pass the float32 weights add {@code u} and the summation
     * {@code taps u / (1 - taps u)} (see {@link #blurOrders}); the second pass carries the first pass's
     * error with weights summing to {@code 1 + u}: {@code 2 (taps + 1) u (1 + O(taps u))}, i.e.
     * {@code 2.01 (taps + 1) u}.
     */
    static double blurFromExact(int taps) {
        return 2.01 * (taps + 1) * U;
    }

    /**
     * {@link #blurOrders} carried through the normalisation {@code v = (y - mean) / std}: the difference
     * is divided by the std, and each side's subtraction and division round its value by at most
     * {@code 2.01 u} of {@code |v|}, itself at most {@code maxAbs}; equal blurred values give equal bits.
     */
    static double blurOrdersNormalised(int taps, double minStd, double maxAbs) {
        double blurred = blurOrders(taps);
        return blurred == 0 ? 0 : blurred / minStd + 4.02 * U * maxAbs;
    }
}
