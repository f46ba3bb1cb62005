package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;

/**
 * The colour arithmetic of torchvision's functional ops on float tensors, on rank-4 images
 * {@code [B, C, H, W]} with factors shaped {@code [B or 1, 1, 1, 1]} (one factor per sample). All
 * methods assume they run inside a {@link Scoped} computation and return fresh arrays.
 */
final class ColorOps {

    static final float RED = 0.2989f;
    static final float GREEN = 0.587f;
    static final float BLUE = 0.114f;

    private ColorOps() {}

    /** {@code 0.2989 R + 0.587 G + 0.114 B}: {@code [B, 3, H, W] -> [B, 1, H, W]}; C = 1 is returned as is. */
    static NDArray gray(NDArray image) {
        if (image.getShape().get(1) == 1) {
            return image;
        }
        return image.get(":, 0:1").mul(RED)
                .add(image.get(":, 1:2").mul(GREEN))
                .add(image.get(":, 2:3").mul(BLUE));
    }

    /** {@code clamp(f x)}. */
    static NDArray brightness(NDArray image, NDArray factor) {
        return image.mul(factor).clip(0f, 1f);
    }

    /** {@code clamp(f x + (1 - f) mean(gray(x)))} with one mean per sample. */
    static NDArray contrast(NDArray image, NDArray factor) {
        long pixels = image.getShape().get(2) * image.getShape().get(3);
        NDArray mean = gray(image).sum(new int[] {1, 2, 3}, true).div((float) pixels);
        return blend(image, mean, factor);
    }

    /** {@code clamp(f x + (1 - f) gray(x))}; the identity on one-channel images. */
    static NDArray saturation(NDArray image, NDArray factor) {
        if (image.getShape().get(1) == 1) {
            return image.duplicate();
        }
        return blend(image, gray(image), factor);
    }

    /** {@code gray(x)} repeated to the input's channel count, clamped. */
    static NDArray grayscale(NDArray image) {
        if (image.getShape().get(1) == 1) {
            return image.duplicate();
        }
        return gray(image).broadcast(image.getShape()).clip(0f, 1f);
    }

    /** {@code clamp(x >= threshold ? 1 - x : x)}. */
    static NDArray solarize(NDArray image, float threshold) {
        NDArray inverted = image.neg().add(1f);
        return NDArrays.where(image.gte(threshold), inverted, image).clip(0f, 1f);
    }

    /** {@code clamp(f a + (1 - f) b)}, torchvision's {@code _blend}. */
    static NDArray blend(NDArray a, NDArray b, NDArray factor) {
        return a.mul(factor).add(b.mul(factor.neg().add(1f))).clip(0f, 1f);
    }

    /**
     * Per-sample choice {@code mask ? chosen : other} with {@code mask} a 0/1 float32
     * {@code [B, 1, 1, 1]}; exact, since {@code 1 * a + 0 * b = a} for finite values.
     */
    static NDArray select(NDArray mask, NDArray chosen, NDArray other) {
        return chosen.mul(mask).add(other.mul(mask.neg().add(1f)));
    }
}
