package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import java.util.SplittableRandom;

/**
 * Conversion to grayscale (3 equal channels, {@link ImageOps#toGrayscale}) with probability {@code p}:
 * step 4 of the SimCLR view (Chen et al. 2020, arXiv 2002.05709; p = 0.2). Parameter: whether this
 * view is gray ({@code u < p}). One-channel images are unchanged either way. A probability outside
 * [0, 1] gets an {@link IllegalArgumentException}.
 */
public final class RandomGrayscale extends RandomTransform<Boolean> {

    private final double probability;

    /**
     * Creates the transform with seed 0.
     *
     * @param probability probability in [0, 1]
     */
    public RandomGrayscale(double probability) {
        this(probability, 0);
    }

    /**
     * Creates the transform.
     *
     * @param probability probability in [0, 1]
     * @param seed the seed
     */
    public RandomGrayscale(double probability, long seed) {
        super(seed, "RandomGrayscale");
        ImageChecks.requireProbability(probability, "grayscale probability");
        this.probability = probability;
    }

    @Override
    public Boolean draw(SplittableRandom random, long height, long width) {
        return random.nextDouble() < probability;
    }

    @Override
    public NDArray apply(NDArray image, Boolean gray) {
        ImageChecks.requireImage(image, "image", false);
        return gray ? ImageOps.toGrayscale(image) : image.duplicate();
    }
}
