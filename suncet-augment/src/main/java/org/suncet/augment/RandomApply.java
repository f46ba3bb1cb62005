package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import java.util.SplittableRandom;

/**
 * Applies a random transform with probability {@code p}, otherwise returns a copy of the image
 * (torchvision's {@code RandomApply}); SimCLR wraps its colour jitter in it with p = 0.8 and its blur
 * with p = 0.5 (Chen et al. 2020, arXiv 2002.05709, appendix A).
 *
 * <p>Draw: the coin {@code u < p} from the stream, then the wrapped transform's parameters from
 * {@code random.split()}, drawn whether or not the coin says apply. A probability outside [0, 1] or a
 * null transform gets an {@link IllegalArgumentException}.
 *
 * @param <P> the wrapped transform's parameter type
 */
public final class RandomApply<P> extends RandomTransform<Applied<P>> {

    private final RandomTransform<P> inner;
    private final double probability;

    /**
     * Creates the wrapper with seed 0.
     *
     * @param inner the wrapped transform
     * @param probability probability in [0, 1]
     */
    public RandomApply(RandomTransform<P> inner, double probability) {
        this(inner, probability, 0);
    }

    /**
     * Creates the wrapper.
     *
     * @param inner the wrapped transform
     * @param probability probability in [0, 1]
     * @param seed the seed
     */
    public RandomApply(RandomTransform<P> inner, double probability, long seed) {
        super(seed, "RandomApply");
        if (inner == null) {
            throw new IllegalArgumentException("wrapped transform must not be null");
        }
        ImageChecks.requireProbability(probability, "apply probability");
        this.inner = inner;
        this.probability = probability;
    }

    @Override
    public Applied<P> draw(SplittableRandom random, long height, long width) {
        boolean applied = random.nextDouble() < probability;
        return new Applied<>(applied, inner.draw(random.split(), height, width));
    }

    @Override
    public NDArray apply(NDArray image, Applied<P> parameters) {
        ImageChecks.requireImage(image, "image", false);
        return parameters.applied() ? inner.apply(image, parameters.parameters()) : image.duplicate();
    }

    /**
     * Returns the probability.
     *
     * @return the probability of applying
     */
    public double getProbability() {
        return probability;
    }

    /**
     * Returns the wrapped transform.
     *
     * @return the wrapped transform
     */
    public RandomTransform<P> getInner() {
        return inner;
    }
}
