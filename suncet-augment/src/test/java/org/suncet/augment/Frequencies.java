package org.suncet.augment;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.function.Predicate;

/** Statistical checks for the random transforms' draws. */
final class Frequencies {

    private Frequencies() {}

    /** Counts how many of the first {@code n} sample indices' draws satisfy {@code hit}. */
    static <P> int count(RandomTransform<P> transform, int n, Predicate<P> hit) {
        int hits = 0;
        for (int i = 0; i < n; i++) {
            if (hit.test(transform.draw(new ViewKey(0, i, 0), 32, 32))) {
                hits++;
            }
        }
        return hits;
    }

    /** The frequency {@code hits / n} is within 3 standard errors of {@code p}. */
    static void assertWithin3Se(int hits, int n, double p) {
        double se = Math.sqrt(p * (1 - p) / n);
        double freq = (double) hits / n;
        assertTrue(Math.abs(freq - p) <= 3 * se, "frequency " + freq + " vs p " + p + " (3 SE = " + 3 * se + ")");
    }

    /** Kolmogorov-Smirnov distance of the samples to U[low, high]. */
    static double ksUniform(double[] samples, double low, double high) {
        double[] s = samples.clone();
        Arrays.sort(s);
        double d = 0;
        for (int i = 0; i < s.length; i++) {
            double cdf = (s[i] - low) / (high - low);
            d = Math.max(d, Math.max(Math.abs(cdf - (double) i / s.length), Math.abs((double) (i + 1) / s.length - cdf)));
        }
        return d;
    }

    /** KS critical value at alpha = 0.001. */
    static double ksCritical(int n) {
        return 1.95 / Math.sqrt(n);
    }
}
