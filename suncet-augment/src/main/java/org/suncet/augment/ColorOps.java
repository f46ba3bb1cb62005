package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * The colour arithmetic of torchvision's functional ops on float tensors, on rank-4 images
 * {@code [B, C, H, W]}. All methods assume they run inside a {@link Scoped} computation and return
 * fresh arrays.
 *
 * <p>Brightness, contrast and saturation are one per-sample linear map of the channels, so any mix of
 * them over a batch (one adjustment per sample) is one batched matrix product {@link #mix}:
 * <pre>
 *   brightness f:  M = f I,                        o = 0
 *   contrast f:    M = f I,                        o = (1 - f) mean(gray(x))
 *   saturation f:  M = f I + (1 - f) 1 w^T,        o = 0                      (w = gray weights)
 *   y = clamp(M x + o)    (per pixel; M is 3 x 3, or 1 x 1 for one-channel images)
 * </pre>
 * Brightness is exact ({@code f x + 0 y + 0 z = f x}); contrast and saturation round differently
 * from torchvision's {@code _blend} by a few 1e-8.
 */
final class ColorOps {

    static final float RED = 0.2989f;
    static final float GREEN = 0.587f;
    static final float BLUE = 0.114f;
    private static final float[] WEIGHTS = {RED, GREEN, BLUE};

    private ColorOps() {}

    /**
     * {@code 0.2989 R + 0.587 G + 0.114 B}: {@code [B, 3, H, W] -> [B, 1, H, W]} as one matrix product;
     * C = 1 is returned as is.
     */
    static NDArray gray(NDManager scope, NDArray image) {
        Shape shape = image.getShape();
        if (shape.get(1) == 1) {
            return image;
        }
        NDArray weights = scope.create(WEIGHTS, new Shape(1, 3));
        // [1, 3] x [B, 3, H*W] -> [B, 1, H*W]
        return weights.matMul(image.reshape(shape.get(0), 3, -1)).reshape(shape.get(0), 1, shape.get(2), shape.get(3));
    }

    /**
     * Brightness ({@code scale = f}), contrast ({@code scale = f, meanWeight = 1 - f}), saturation
     * ({@code scale = f, grayWeight = 1 - f}) or nothing ({@code scale = 1}), chosen per sample, without
     * the final clamp: {@code M x + o} as in the class comment.
     *
     * @param scope manager of the temporaries
     * @param image {@code [B, C, H, W]}
     * @param scale {@code B} values {@code a}
     * @param grayWeight {@code B} values {@code beta} (weight of {@code gray(x)}), or null for all zero
     * @param meanWeight {@code B} values {@code gamma} (weight of {@code mean(gray(x))}), or null for all
     *     zero
     * @return the adjusted images, not clamped
     */
    static NDArray mix(NDManager scope, NDArray image, float[] scale, float[] grayWeight, float[] meanWeight) {
        Shape shape = image.getShape();
        int samples = (int) shape.get(0);
        int channels = (int) shape.get(1);
        float[] matrices = new float[samples * channels * channels];
        for (int s = 0; s < samples; s++) {
            for (int i = 0; i < channels; i++) {
                for (int j = 0; j < channels; j++) {
                    float diagonal = i == j ? scale[s] : 0f;
                    float gray = grayWeight == null || channels == 1 ? 0f : grayWeight[s] * WEIGHTS[j];
                    matrices[(s * channels + i) * channels + j] = diagonal + gray;
                }
            }
        }
        // [B, C, C] x [B, C, H*W] -> [B, C, H*W]
        NDArray pixels = image.reshape(samples, channels, -1);
        NDArray out = scope.create(matrices, new Shape(samples, channels, channels)).matMul(pixels);
        if (meanWeight != null) {
            // mean(gray(x)) = w . (per-channel means): [B, C] x [C, 1] -> [B, 1]
            NDArray means = pixels.mean(new int[] {2});
            NDArray grayMean = channels == 1 ? means : means.matMul(scope.create(WEIGHTS, new Shape(3, 1)));
            out.addi(grayMean.mul(scope.create(meanWeight, new Shape(samples, 1))).reshape(samples, 1, 1));
        }
        return out.reshape(shape);
    }

    /** {@code clamp(f x)} with one factor for every sample. */
    static NDArray brightness(NDManager scope, NDArray image, float[] factors) {
        return mix(scope, image, perSample(image, factors), null, null).clip(0f, 1f);
    }

    /** {@code clamp(f x + (1 - f) mean(gray(x)))} with one mean per sample. */
    static NDArray contrast(NDManager scope, NDArray image, float[] factors) {
        float[] f = perSample(image, factors);
        return mix(scope, image, f, null, complement(f)).clip(0f, 1f);
    }

    /** {@code clamp(f x + (1 - f) gray(x))}; the identity on one-channel images. */
    static NDArray saturation(NDManager scope, NDArray image, float[] factors) {
        if (image.getShape().get(1) == 1) {
            return image.duplicate();
        }
        float[] f = perSample(image, factors);
        return mix(scope, image, f, complement(f), null).clip(0f, 1f);
    }

    /** {@code gray(x)} repeated to the input's channel count, clamped. */
    static NDArray grayscale(NDManager scope, NDArray image) {
        if (image.getShape().get(1) == 1) {
            return image.duplicate();
        }
        return gray(scope, image).broadcast(image.getShape()).clip(0f, 1f);
    }

    /** {@code clamp(x >= threshold ? 1 - x : x)}. */
    static NDArray solarize(NDArray image, float threshold) {
        NDArray inverted = image.neg().add(1f);
        return NDArrays.where(image.gte(threshold), inverted, image).clip(0f, 1f);
    }

    /** One factor per sample: {@code factors} itself, or its single value repeated. */
    private static float[] perSample(NDArray image, float[] factors) {
        int samples = (int) image.getShape().get(0);
        if (factors.length == samples) {
            return factors;
        }
        float[] out = new float[samples];
        Arrays.fill(out, factors[0]);
        return out;
    }

    /** {@code 1 - f} in float32. */
    private static float[] complement(float[] factors) {
        float[] out = new float[factors.length];
        for (int i = 0; i < factors.length; i++) {
            out[i] = 1f - factors[i];
        }
        return out;
    }
}
