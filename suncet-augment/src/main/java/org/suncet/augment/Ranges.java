package org.suncet.augment;

/** Checks of the parameter ranges of the random transforms' builders. */
final class Ranges {

    private Ranges() {}

    static void requireScale(double min, double max) {
        if (!(min > 0 && min <= max && max <= 1)) {
            throw new IllegalArgumentException("crop scale range must satisfy 0 < min <= max <= 1, got ["
                    + min + ", " + max + "]");
        }
    }

    static void requireRatio(double min, double max) {
        if (!(min > 0 && min <= max && Double.isFinite(max))) {
            throw new IllegalArgumentException("crop ratio range must satisfy 0 < min <= max < infinity, got ["
                    + min + ", " + max + "]");
        }
    }

    static void requireSigmaRange(double min, double max) {
        if (!(min > 0 && min <= max && Double.isFinite(max))) {
            throw new IllegalArgumentException("blur sigma range must satisfy 0 < min <= max < infinity, got ["
                    + min + ", " + max + "]");
        }
    }

    static void requireAmount(double amount, String name) {
        if (!(amount >= 0) || Double.isInfinite(amount)) {
            throw new IllegalArgumentException(name + " jitter amount must be finite and >= 0, got " + amount);
        }
    }
}
