package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import java.util.SplittableRandom;

/**
 * Horizontal flip with probability {@code p}: step 2 of the SimCLR view (Chen et al. 2020, arXiv
 * 2002.05709; p = 0.5). Parameter: whether this view is flipped ({@code u < p}, {@code u ~ U[0, 1)}).
 * A view that is not flipped is returned as a copy. A probability outside [0, 1] gets an
 * {@link IllegalArgumentException}.
 */
public final class RandomHorizontalFlip extends RandomTransform<Boolean> {

    private final double probability;

    /**
     * Creates the transform with seed 0.
     *
     * @param probability flip probability in [0, 1]
     */
    public RandomHorizontalFlip(double probability) {
        this(probability, 0);
    }

    /**
     * Creates the transform.
     *
     * @param probability flip probability in [0, 1]
     * @param seed the seed
     */
    public RandomHorizontalFlip(double probability, long seed) {
        super(seed, "RandomHorizontalFlip");
        ImageChecks.requireProbability(probability, "flip probability");
        this.probability = probability;
    }

    @Override
    public Boolean draw(SplittableRandom random, long height, long width) {
        return random.nextDouble() < probability;
    }

    @Override
    public NDArray apply(NDArray image, Boolean flip) {
        ImageChecks.requireImage(image, "image", false);
        return flip ? ImageOps.hflip(image) : image.duplicate();
    }
}
