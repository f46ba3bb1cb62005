package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Colour jitter in a random order: step 3 of the SimCLR view (Chen et al. 2020, arXiv 2002.05709,
 * appendix A; torchvision's {@code ColorJitter}).
 *
 * <p>Draw: a uniformly random order of the four adjustments (Fisher-Yates), then brightness, contrast
 * and saturation factors {@code f ~ U[max(0, 1 - a), 1 + a]} for their amounts {@code a}, and a hue
 * shift {@code d ~ U[-a_hue, a_hue]}; an amount of 0 gives the identity value (skipped). Apply: the
 * {@link ImageOps} adjustments in the drawn order. SimCLR: amounts {@code 0.8 s, 0.8 s, 0.8 s, 0.2 s}
 * for strength {@code s} ({@link #simclr(double)}; s = 1 on ImageNet, 0.5 on CIFAR-10).
 *
 * <p>Bad amounts (negative or infinite, hue amount above 0.5) get an {@link IllegalArgumentException}
 * from {@link Builder#build()}.
 */
public final class ColorJitter extends RandomTransform<ColorJitterParameters> {

    private final double brightness;
    private final double contrast;
    private final double saturation;
    private final double hue;

    private ColorJitter(Builder b) {
        super(b.seed, "ColorJitter");
        brightness = b.brightness;
        contrast = b.contrast;
        saturation = b.saturation;
        hue = b.hue;
    }

    /**
     * Returns a builder with all amounts 0 (the identity).
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns a builder with SimCLR's amounts for strength {@code s}: {@code 0.8 s} for brightness,
     * contrast and saturation, {@code 0.2 s} for hue.
     *
     * @param strength the colour strength {@code s >= 0}, at most 2.5 (hue amount at most 0.5)
     * @return a builder
     */
    public static Builder simclr(double strength) {
        return new Builder().optBrightness(0.8 * strength).optContrast(0.8 * strength)
                .optSaturation(0.8 * strength).optHue(0.2 * strength);
    }

    @Override
    public ColorJitterParameters draw(SplittableRandom random, long height, long width) {
        List<ColorAdjustment> order = new ArrayList<>(Arrays.asList(ColorAdjustment.values()));
        for (int i = order.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            order.set(j, order.set(i, order.get(j)));
        }
        return new ColorJitterParameters(order, factor(random, brightness), factor(random, contrast),
                factor(random, saturation), hue == 0 ? 0.0 : uniform(random, -hue, hue));
    }

    private static double factor(SplittableRandom random, double amount) {
        return uniform(random, Math.max(0, 1 - amount), 1 + amount);
    }

    @Override
    public NDArray apply(NDArray image, ColorJitterParameters parameters) {
        ImageChecks.requireImage(image, "image", false);
        return Scoped.compute(scope -> {
            NDArray out = image.duplicate();
            for (ColorAdjustment adjustment : parameters.order()) {
                double value = parameters.value(adjustment);
                if (value != adjustment.identity()) {
                    out = adjustment.apply(out, value);
                }
            }
            return out;
        }, image);
    }

    /** Builder; every amount is optional (default 0, no change). */
    public static final class Builder {
        private double brightness;
        private double contrast;
        private double saturation;
        private double hue;
        private long seed;

        Builder() {}

        /**
         * Sets the brightness amount {@code a}: factors {@code U[max(0, 1 - a), 1 + a]}.
         *
         * @param amount {@code >= 0}
         * @return this builder
         */
        public Builder optBrightness(double amount) {
            brightness = amount;
            return this;
        }

        /**
         * Sets the contrast amount {@code a}: factors {@code U[max(0, 1 - a), 1 + a]}.
         *
         * @param amount {@code >= 0}
         * @return this builder
         */
        public Builder optContrast(double amount) {
            contrast = amount;
            return this;
        }

        /**
         * Sets the saturation amount {@code a}: factors {@code U[max(0, 1 - a), 1 + a]}.
         *
         * @param amount {@code >= 0}
         * @return this builder
         */
        public Builder optSaturation(double amount) {
            saturation = amount;
            return this;
        }

        /**
         * Sets the hue amount {@code a}: shifts {@code U[-a, a]}.
         *
         * @param amount in [0, 0.5]
         * @return this builder
         */
        public Builder optHue(double amount) {
            hue = amount;
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
         * @throws IllegalArgumentException if an amount is out of range
         */
        public ColorJitter build() {
            Ranges.requireAmount(brightness, "brightness");
            Ranges.requireAmount(contrast, "contrast");
            Ranges.requireAmount(saturation, "saturation");
            Ranges.requireAmount(hue, "hue");
            if (hue > 0.5) {
                throw new IllegalArgumentException("hue jitter amount must be in [0, 0.5], got " + hue);
            }
            return new ColorJitter(this);
        }
    }
}
