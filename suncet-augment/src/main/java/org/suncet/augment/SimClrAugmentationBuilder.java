package org.suncet.augment;

/**
 * Builder of {@link SimClrAugmentation}, obtained from one of its presets. The size is required (the
 * presets set it); every other setting defaults to SimCLR's ImageNet value (Chen et al. 2020, arXiv
 * 2002.05709, appendix A) and is checked in {@link #build()}, which throws an
 * {@link IllegalArgumentException} naming the setting, its value and the allowed range.
 */
public final class SimClrAugmentationBuilder {

    long height;
    long width;
    double scaleMin = 0.08;
    double scaleMax = 1.0;
    double ratioMin = 3.0 / 4.0;
    double ratioMax = 4.0 / 3.0;
    double flipProbability = 0.5;
    double brightness = 0.8;
    double contrast = 0.8;
    double saturation = 0.8;
    double hue = 0.2;
    double jitterProbability = 0.8;
    double grayscaleProbability = 0.2;
    double blurProbability = 0.5;
    double sigmaMin = 0.1;
    double sigmaMax = 2.0;
    int kernelSize;
    double kernelFraction = 0.1;
    double solarizeThreshold = 0.5;
    double solarizeProbability;
    float[] mean;
    float[] std;
    long seed;

    SimClrAugmentationBuilder() {}

    /**
     * Sets a square output size.
     *
     * @param size output side
     * @return this builder
     */
    public SimClrAugmentationBuilder setSize(long size) {
        return setSize(size, size);
    }

    /**
     * Sets the output size.
     *
     * @param height output height
     * @param width output width
     * @return this builder
     */
    public SimClrAugmentationBuilder setSize(long height, long width) {
        this.height = height;
        this.width = width;
        return this;
    }

    /**
     * Sets the crop's area fraction range (default [0.08, 1]).
     *
     * @param min {@code > 0}
     * @param max {@code min <= max <= 1}
     * @return this builder
     */
    public SimClrAugmentationBuilder optCropScale(double min, double max) {
        scaleMin = min;
        scaleMax = max;
        return this;
    }

    /**
     * Sets the crop's aspect ratio range, drawn log-uniformly (default [3/4, 4/3]).
     *
     * @param min {@code > 0}
     * @param max {@code >= min}
     * @return this builder
     */
    public SimClrAugmentationBuilder optCropRatio(double min, double max) {
        ratioMin = min;
        ratioMax = max;
        return this;
    }

    /**
     * Sets the flip probability (default 0.5).
     *
     * @param p in [0, 1]
     * @return this builder
     */
    public SimClrAugmentationBuilder optFlipProbability(double p) {
        flipProbability = p;
        return this;
    }

    /**
     * Sets SimCLR's colour strength {@code s}: jitter amounts {@code 0.8 s} (brightness, contrast,
     * saturation) and {@code 0.2 s} (hue); 1 for ImageNet (default), 0.5 for CIFAR-10. Replaces earlier
     * amounts.
     *
     * @param strength {@code s} in [0, 2.5]
     * @return this builder
     */
    public SimClrAugmentationBuilder optStrength(double strength) {
        return optColorJitter(0.8 * strength, 0.8 * strength, 0.8 * strength, 0.2 * strength);
    }

    /**
     * Sets the jitter amounts one by one (see {@link ColorJitter}). Replaces earlier amounts.
     *
     * @param brightness brightness amount {@code >= 0}
     * @param contrast contrast amount {@code >= 0}
     * @param saturation saturation amount {@code >= 0}
     * @param hue hue amount in [0, 0.5]
     * @return this builder
     */
    public SimClrAugmentationBuilder optColorJitter(double brightness, double contrast, double saturation,
            double hue) {
        this.brightness = brightness;
        this.contrast = contrast;
        this.saturation = saturation;
        this.hue = hue;
        return this;
    }

    /**
     * Sets the probability of colour jitter (default 0.8).
     *
     * @param p in [0, 1]
     * @return this builder
     */
    public SimClrAugmentationBuilder optColorJitterProbability(double p) {
        jitterProbability = p;
        return this;
    }

    /**
     * Sets the probability of grayscale (default 0.2).
     *
     * @param p in [0, 1]
     * @return this builder
     */
    public SimClrAugmentationBuilder optGrayscaleProbability(double p) {
        grayscaleProbability = p;
        return this;
    }

    /**
     * Sets the probability of blur (default 0.5; 0 in the CIFAR preset).
     *
     * @param p in [0, 1]
     * @return this builder
     */
    public SimClrAugmentationBuilder optBlurProbability(double p) {
        blurProbability = p;
        return this;
    }

    /**
     * Sets the blur's sigma range (default [0.1, 2.0]).
     *
     * @param min {@code > 0}
     * @param max {@code >= min}
     * @return this builder
     */
    public SimClrAugmentationBuilder optBlurSigma(double min, double max) {
        sigmaMin = min;
        sigmaMax = max;
        return this;
    }

    /**
     * Fixes the blur kernel size instead of the 10% rule.
     *
     * @param kernelSize odd, positive, {@code kernelSize / 2 < size}
     * @return this builder
     */
    public SimClrAugmentationBuilder optBlurKernelSize(int kernelSize) {
        this.kernelSize = kernelSize;
        return this;
    }

    /**
     * Sets the fraction of the output side for the kernel rule {@code 2 floor(floor(f size) / 2) + 1}
     * (default 0.1) and drops a fixed kernel size.
     *
     * @param fraction in (0, 1]
     * @return this builder
     */
    public SimClrAugmentationBuilder optBlurKernelFraction(double fraction) {
        kernelFraction = fraction;
        kernelSize = 0;
        return this;
    }

    /**
     * Turns on solarization (default off: p = 0; BYOL uses threshold 0.5, p = 0.2 on its second view).
     *
     * @param threshold finite threshold
     * @param p in [0, 1]
     * @return this builder
     */
    public SimClrAugmentationBuilder optSolarize(double threshold, double p) {
        solarizeThreshold = threshold;
        solarizeProbability = p;
        return this;
    }

    /**
     * Turns on per-channel normalisation {@code (x - mean) / std} as the last step (default off).
     *
     * @param mean one mean per input channel
     * @param std one standard deviation {@code > 0} per input channel
     * @return this builder
     */
    public SimClrAugmentationBuilder optNormalize(float[] mean, float[] std) {
        this.mean = mean == null ? null : mean.clone();
        this.std = std == null ? null : std.clone();
        return this;
    }

    /**
     * Sets the seed (default 0).
     *
     * @param seed the seed
     * @return this builder
     */
    public SimClrAugmentationBuilder optSeed(long seed) {
        this.seed = seed;
        return this;
    }

    /**
     * Builds the augmentation.
     *
     * @return the augmentation
     * @throws IllegalArgumentException if a setting is out of range
     */
    public SimClrAugmentation build() {
        ImageChecks.requirePositiveSize(height, width);
        ImageChecks.requireProbability(flipProbability, "flip probability");
        ImageChecks.requireProbability(jitterProbability, "colour jitter probability");
        ImageChecks.requireProbability(grayscaleProbability, "grayscale probability");
        ImageChecks.requireProbability(blurProbability, "blur probability");
        ImageChecks.requireProbability(solarizeProbability, "solarize probability");
        if (kernelSize != 0) {
            ImageChecks.requireKernel(kernelSize, height, width);
        } else if (!(kernelFraction > 0 && kernelFraction <= 1)) {
            throw new IllegalArgumentException("kernel fraction must be in (0, 1], got " + kernelFraction);
        }
        if ((mean == null) != (std == null) || (mean != null && (mean.length != std.length
                || (mean.length != 1 && mean.length != 3)))) {
            throw new IllegalArgumentException("normalisation needs mean and std of equal length 1 or 3, got "
                    + (mean == null ? "null" : mean.length) + " and " + (std == null ? "null" : std.length));
        }
        if (std != null) {
            for (float s : std) {
                ImageChecks.requireSigma(s, "normalisation std");
            }
        }
        return new SimClrAugmentation(this);
    }
}
