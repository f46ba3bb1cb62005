package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import java.util.SplittableRandom;

/**
 * Solarization {@code x >= threshold ? 1 - x : x} ({@link ImageOps#solarize}) with probability
 * {@code p}. Not part of SimCLR; BYOL (Grill et al. 2020, arXiv 2006.07733) uses threshold 0.5 with
 * p = 0 / 0.2 for its two views. Parameter: whether this view is solarized ({@code u < p}). A
 * probability outside [0, 1] or a non-finite threshold gets an {@link IllegalArgumentException}.
 */
public final class RandomSolarize extends RandomTransform<Boolean> {

    private final double threshold;
    private final double probability;

    /**
     * Creates the transform with seed 0.
     *
     * @param threshold values {@code >= threshold} are inverted
     * @param probability probability in [0, 1]
     */
    public RandomSolarize(double threshold, double probability) {
        this(threshold, probability, 0);
    }

    /**
     * Creates the transform.
     *
     * @param threshold values {@code >= threshold} are inverted
     * @param probability probability in [0, 1]
     * @param seed the seed
     */
    public RandomSolarize(double threshold, double probability, long seed) {
        super(seed, "RandomSolarize");
        ImageChecks.requireFinite(threshold, "solarize threshold");
        ImageChecks.requireProbability(probability, "solarize probability");
        this.threshold = threshold;
        this.probability = probability;
    }

    @Override
    public Boolean draw(SplittableRandom random, long height, long width) {
        return random.nextDouble() < probability;
    }

    @Override
    public NDArray apply(NDArray image, Boolean solarize) {
        ImageChecks.requireImage(image, "image", false);
        return solarize ? ImageOps.solarize(image, threshold) : image.duplicate();
    }

    /**
     * Returns the threshold.
     *
     * @return the threshold
     */
    public double getThreshold() {
        return threshold;
    }
}
