package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import java.util.SplittableRandom;

/**
 * Random crop of random area and aspect ratio, resized to a fixed size: step 1 of the SimCLR view
 * (Chen et al. 2020, arXiv 2002.05709, appendix A; torchvision's {@code RandomResizedCrop}).
 *
 * <p>Draw rule (torchvision's {@code get_params}), for an image {@code H x W}: up to {@code attempts}
 * times draw an area fraction {@code a ~ U[scaleMin, scaleMax]} and a log aspect ratio
 * {@code log r ~ U[log ratioMin, log ratioMax]}; {@code w = round(sqrt(a H W r))},
 * {@code h = round(sqrt(a H W / r))} (round half to even); if {@code 0 < w <= W} and {@code 0 < h <= H}
 * the box is at {@code top ~ U{0..H-h}}, {@code left ~ U{0..W-w}}. Otherwise the centred crop of the
 * whole image clamped to the ratio range. Apply: {@link ImageOps#resizedCrop} to the output size.
 *
 * <p>Defaults: scale [0.08, 1], ratio [3/4, 4/3], 10 attempts. Bad settings (size {@code < 1}, scale
 * not {@code 0 < min <= max <= 1}, ratio not {@code 0 < min <= max}, attempts {@code < 1}) get an
 * {@link IllegalArgumentException} from {@link Builder#build()}.
 */
public final class RandomResizedCrop extends RandomTransform<CropBox> {

    private final long outHeight;
    private final long outWidth;
    private final double scaleMin;
    private final double scaleMax;
    private final double ratioMin;
    private final double ratioMax;
    private final int attempts;

    private RandomResizedCrop(Builder b) {
        super(b.seed, "RandomResizedCrop");
        outHeight = b.height;
        outWidth = b.width;
        scaleMin = b.scaleMin;
        scaleMax = b.scaleMax;
        ratioMin = b.ratioMin;
        ratioMax = b.ratioMax;
        attempts = b.attempts;
    }

    /**
     * Returns a builder.
     *
     * @return a builder with torchvision's defaults; the size is required
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public CropBox draw(SplittableRandom random, long height, long width) {
        double area = (double) height * width;
        double logMin = Math.log(ratioMin);
        double logMax = Math.log(ratioMax);
        for (int i = 0; i < attempts; i++) {
            double target = area * uniform(random, scaleMin, scaleMax);
            double ratio = Math.exp(uniform(random, logMin, logMax));
            long w = (long) Math.rint(Math.sqrt(target * ratio));
            long h = (long) Math.rint(Math.sqrt(target / ratio));
            if (w > 0 && w <= width && h > 0 && h <= height) {
                return new CropBox(random.nextLong(height - h + 1), random.nextLong(width - w + 1), h, w);
            }
        }
        double inRatio = (double) width / height;
        long w = width;
        long h = height;
        if (inRatio < ratioMin) {
            h = (long) Math.rint(w / ratioMin);
        } else if (inRatio > ratioMax) {
            w = (long) Math.rint(h * ratioMax);
        }
        h = Math.max(1, Math.min(h, height));
        w = Math.max(1, Math.min(w, width));
        return new CropBox((height - h) / 2, (width - w) / 2, h, w);
    }

    @Override
    public NDArray apply(NDArray image, CropBox box) {
        return ImageOps.resizedCrop(image, box.top(), box.left(), box.height(), box.width(), outHeight, outWidth);
    }

    /**
     * Returns the output height.
     *
     * @return the output height
     */
    public long getOutputHeight() {
        return outHeight;
    }

    /**
     * Returns the output width.
     *
     * @return the output width
     */
    public long getOutputWidth() {
        return outWidth;
    }

    /** Builder: {@code setSize} is required, the rest optional. */
    public static final class Builder {
        private long height;
        private long width;
        private double scaleMin = 0.08;
        private double scaleMax = 1.0;
        private double ratioMin = 3.0 / 4.0;
        private double ratioMax = 4.0 / 3.0;
        private int attempts = 10;
        private long seed;

        Builder() {}

        /**
         * Sets a square output size.
         *
         * @param size output height and width
         * @return this builder
         */
        public Builder setSize(long size) {
            return setSize(size, size);
        }

        /**
         * Sets the output size.
         *
         * @param height output height
         * @param width output width
         * @return this builder
         */
        public Builder setSize(long height, long width) {
            this.height = height;
            this.width = width;
            return this;
        }

        /**
         * Sets the range of the crop's area as a fraction of the image (default [0.08, 1]).
         *
         * @param min smallest fraction, {@code > 0}
         * @param max largest fraction, {@code min <= max <= 1}
         * @return this builder
         */
        public Builder optScale(double min, double max) {
            scaleMin = min;
            scaleMax = max;
            return this;
        }

        /**
         * Sets the range of the aspect ratio width/height, drawn log-uniformly (default [3/4, 4/3]).
         *
         * @param min smallest ratio, {@code > 0}
         * @param max largest ratio, {@code >= min}
         * @return this builder
         */
        public Builder optRatio(double min, double max) {
            ratioMin = min;
            ratioMax = max;
            return this;
        }

        /**
         * Sets the attempts before the centre-crop fallback (default 10).
         *
         * @param attempts {@code >= 1}
         * @return this builder
         */
        public Builder optAttempts(int attempts) {
            this.attempts = attempts;
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
         * @throws IllegalArgumentException if a setting is out of range
         */
        public RandomResizedCrop build() {
            ImageChecks.requirePositiveSize(height, width);
            Ranges.requireScale(scaleMin, scaleMax);
            Ranges.requireRatio(ratioMin, ratioMax);
            if (attempts < 1) {
                throw new IllegalArgumentException("attempts must be >= 1, got " + attempts);
            }
            return new RandomResizedCrop(this);
        }
    }
}
