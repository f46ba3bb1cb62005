package org.suncet.train;

/**
 * How a base learning rate grows with the batch size B (SimCLR, Chen et al. 2020, arXiv 2002.05709,
 * its default setting and Appendix B.1; SimCLR v2, Chen et al. 2020, arXiv 2006.10029):
 *
 * <pre>
 *   LINEAR:       lr = base · B / 256      (SimCLR v1: base 0.3 with LARS; fine-tuning base 0.05)
 *   SQUARE_ROOT:  lr = base · √B           (SimCLR v2: base 0.075, or 0.1 for small batches)
 * </pre>
 *
 * <p>B is the number of images in a step (SimCLR counts images, not views). Bad input ({@link
 * IllegalArgumentException}): a base that is not finite and &gt; 0, a batch size &lt; 1.
 */
public enum LearningRateScaling {
    /** {@code base · B / 256}, SimCLR v1's rule. */
    LINEAR {
        @Override
        double factor(long batchSize) {
            return batchSize / 256.0;
        }
    },
    /** {@code base · √B}, SimCLR v2's rule. */
    SQUARE_ROOT {
        @Override
        double factor(long batchSize) {
            return Math.sqrt(batchSize);
        }
    };

    abstract double factor(long batchSize);

    /**
     * Returns the learning rate for this batch size.
     *
     * @param base the base learning rate (finite, &gt; 0)
     * @param batchSize B, images per step (≥ 1)
     * @return the scaled learning rate
     * @throws IllegalArgumentException if base or batch size is out of range
     */
    public float scale(double base, long batchSize) {
        if (!(base > 0) || Double.isInfinite(base)) {
            throw new IllegalArgumentException("base must be finite and > 0, got " + base);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        return (float) (base * factor(batchSize));
    }

    /**
     * Returns {@code base · B / 256}.
     *
     * @param base the base learning rate (finite, &gt; 0)
     * @param batchSize B (≥ 1)
     * @return the scaled learning rate
     * @throws IllegalArgumentException if base or batch size is out of range
     */
    public static float linear(double base, long batchSize) {
        return LINEAR.scale(base, batchSize);
    }

    /**
     * Returns {@code base · √B}.
     *
     * @param base the base learning rate (finite, &gt; 0)
     * @param batchSize B (≥ 1)
     * @return the scaled learning rate
     * @throws IllegalArgumentException if base or batch size is out of range
     */
    public static float squareRoot(double base, long batchSize) {
        return SQUARE_ROOT.scale(base, batchSize);
    }
}
