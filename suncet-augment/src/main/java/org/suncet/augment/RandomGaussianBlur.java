package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import java.util.SplittableRandom;

/**
 * Gaussian blur with a random sigma: step 5 of the SimCLR view (Chen et al. 2020, arXiv 2002.05709,
 * appendix A: {@code sigma ~ U[0.1, 2.0]}, kernel 10% of the image side, applied with p = 0.5 through
 * {@link RandomApply}; not used for CIFAR-10).
 *
 * <p>Draw: {@code sigma ~ U[sigmaMin, sigmaMax]}; the kernel size is either fixed or, by default,
 * SimCLR's rule {@code k = 2 floor(floor(f H) / 2) + 1} for the fraction {@code f = 0.1} of the image
 * height H (23 at 224 px, 9 at 96 px, 3 at 32 px). Apply: {@link ImageOps#gaussianBlur}.
 *
 * <p>Bad settings (sigma range not {@code 0 < min <= max}, even or non-positive kernel, fraction not in
 * (0, 1]) get an {@link IllegalArgumentException} from {@link Builder#build()}.
 */
public final class RandomGaussianBlur extends RandomTransform<BlurParameters> {

    private final double sigmaMin;
    private final double sigmaMax;
    private final int kernelSize;
    private final double kernelFraction;

    private RandomGaussianBlur(Builder b) {
        super(b.seed, "RandomGaussianBlur");
        sigmaMin = b.sigmaMin;
        sigmaMax = b.sigmaMax;
        kernelSize = b.kernelSize;
        kernelFraction = b.kernelFraction;
    }

    /**
     * Returns a builder with SimCLR's defaults.
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The kernel size for an image of the given height: the fixed size, or SimCLR's rule.
     *
     * @param height the image height
     * @return an odd kernel size {@code >= 1}
     */
    public int kernelSizeFor(long height) {
        if (kernelSize > 0) {
            return kernelSize;
        }
        long base = (long) Math.floor(kernelFraction * height + 1e-9);
        return (int) (2 * (base / 2) + 1);
    }

    @Override
    public BlurParameters draw(SplittableRandom random, long height, long width) {
        return new BlurParameters(kernelSizeFor(height), uniform(random, sigmaMin, sigmaMax));
    }

    @Override
    public NDArray apply(NDArray image, BlurParameters parameters) {
        return ImageOps.gaussianBlur(image, parameters.kernelSize(), parameters.sigma());
    }

    /** Builder; all settings optional. */
    public static final class Builder {
        private double sigmaMin = 0.1;
        private double sigmaMax = 2.0;
        private int kernelSize;
        private double kernelFraction = 0.1;
        private long seed;

        Builder() {}

        /**
         * Sets the sigma range (default [0.1, 2.0]).
         *
         * @param min smallest sigma, {@code > 0}
         * @param max largest sigma, {@code >= min}
         * @return this builder
         */
        public Builder optSigma(double min, double max) {
            sigmaMin = min;
            sigmaMax = max;
            return this;
        }

        /**
         * Fixes the kernel size instead of SimCLR's rule.
         *
         * @param kernelSize odd, positive
         * @return this builder
         */
        public Builder optKernelSize(int kernelSize) {
            if (kernelSize <= 0 || kernelSize % 2 == 0) {
                throw new IllegalArgumentException("kernelSize must be odd and positive, got " + kernelSize);
            }
            this.kernelSize = kernelSize;
            return this;
        }

        /**
         * Sets the fraction of the image height for the kernel rule (default 0.1) and drops a fixed size.
         *
         * @param fraction in (0, 1]
         * @return this builder
         */
        public Builder optKernelFraction(double fraction) {
            if (!(fraction > 0 && fraction <= 1)) {
                throw new IllegalArgumentException("kernel fraction must be in (0, 1], got " + fraction);
            }
            kernelFraction = fraction;
            kernelSize = 0;
            return this;
        }

        /**
         * Sets the seed (default 0).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Builds the transform.
         *
         * @return the transform
         * @throws IllegalArgumentException if the sigma range is invalid
         */
        public RandomGaussianBlur build() {
            Ranges.requireSigmaRange(sigmaMin, sigmaMax);
            return new RandomGaussianBlur(this);
        }
    }
}
