package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.suncet.ndarray.Scalars;

/**
 * The colour arithmetic of torchvision's functional ops on float tensors, on rank-4 images
 * {@code [B, C, H, W]}. All methods assume they run inside a {@link Scoped} computation and return
 * fresh arrays (except {@link #mix} when asked to work in place).
 *
 * <p>Brightness, contrast and saturation are one per-sample linear map of the channels, so any mix of
 * them over a batch (one adjustment per sample) is one pass {@link #mix}:
 * <pre>
 *   gray(x) = (0.2989 R + 0.587 G) + 0.114 B                     (torchvision's order)
 *   brightness f:  y = f x
 *   contrast f:    y = f x + sum_j ((1 - f) w_j) mean(x_j)       (w = gray weights)
 *   saturation f:  y = f x + sum_j ((1 - f) w_j) x_j
 *   then clamp(y, 0, 1)
 * </pre>
 *
 * <p><b>Element-wise on purpose.</b> Every value is a fixed sequence of float32 multiplies and adds
 * (each rounded once, sums taken left to right), plus one mean per row and channel, so a sample's
 * result does not depend on which other samples share the call, on their memory offsets, on the thread
 * count or on the CPU's vector width: the per-image path and every grouping of a batch give the same
 * bits. These used to be matrix products ({@code [B, 3, 3] x [B, 3, H*W]} and {@code [1, 3] x [B, 3, H*W]});
 * the BLAS picks its summation order and FMA use per kernel, shape and alignment, so a sample's result
 * could change with its batch: the chunked and whole-batch SimCLR views differed by 1.2e-6 to 1.8e-6
 * (after normalisation) on Intel Sapphire Rapids, where these were the only BLAS calls of the test. The
 * element-wise form measured as fast on one thread at 32-224 px (brightness alone several times
 * faster). The folded weights {@code (1 - f) w_j} round differently from torchvision's
 * {@code (1 - f) gray(x)}, and the mean of the channel means from its mean of {@code gray(x)}: 1.2e-7 at
 * most on the torchvision fixtures.
 */
final class ColorOps {

    static final float RED = 0.2989f;
    static final float GREEN = 0.587f;
    static final float BLUE = 0.114f;
    private static final float[] WEIGHTS = {RED, GREEN, BLUE};

    private ColorOps() {}

    /**
     * {@code (0.2989 R + 0.587 G) + 0.114 B}: {@code [B, 3, H, W] -> [B, 1, H, W]}, element-wise; C = 1
     * is returned as is.
     */
    static NDArray gray(NDManager scope, NDArray image) {
        if (image.getShape().get(1) == 1) {
            return image;
        }
        return sumOfChannels(scope.create(WEIGHTS, new Shape(1, 3, 1, 1)).mul(image));
    }

    /** {@code (c0 + c1) + c2} over axis 1 of a three-channel array: {@code [B, 3, ...] -> [B, 1, ...]}. */
    private static NDArray sumOfChannels(NDArray products) {
        NDList channels = products.split(3, 1);
        return channels.get(0).add(channels.get(1)).addi(channels.get(2));
    }

    /** {@link #mix} into a fresh array. */
    static NDArray mix(NDManager scope, NDArray image, float[] scale, float[] grayWeight, float[] meanWeight) {
        return mix(scope, image, scale, grayWeight, meanWeight, false);
    }

    /**
     * Brightness ({@code scale = f}), contrast ({@code scale = f, meanWeight = 1 - f}), saturation
     * ({@code scale = f, grayWeight = 1 - f}) or nothing ({@code scale = 1}), chosen per sample, without
     * the final clamp: {@code y = scale x + sum_j (grayWeight w_j) x_j + sum_j (meanWeight w_j) mean(x_j)},
     * added in that order. A zero weight adds an exact +0 and a scale of 1 is exact, so a sample gets the
     * same bits here as from its own op alone.
     *
     * @param scope manager of the temporaries
     * @param image {@code [B, C, H, W]}
     * @param scale {@code B} values {@code a}
     * @param grayWeight {@code B} values {@code beta} (weight of {@code gray(x)}), or null for all zero
     * @param meanWeight {@code B} values {@code gamma} (weight of {@code mean(gray(x))}), or null for all
     *     zero
     * @param inPlace write the result into {@code image} (which the caller owns and no longer needs)
     * @return the adjusted images, not clamped
     */
    static NDArray mix(NDManager scope, NDArray image, float[] scale, float[] grayWeight, float[] meanWeight,
            boolean inPlace) {
        Shape shape = image.getShape();
        int samples = (int) shape.get(0);
        int channels = (int) shape.get(1);
        NDArray grayTerm = null;
        if (grayWeight != null && channels == 3) {
            // [B, 3, H, W] * [B, 3, 1, 1], summed over the channels: [B, 1, H, W]
            grayTerm = sumOfChannels(image.mul(scope.create(folded(grayWeight), new Shape(samples, 3, 1, 1))));
        }
        NDArray meanTerm = null;
        if (meanWeight != null) {
            // [B, C, H*W] -> [B, C]: one sum per row and channel. PyTorch reduces each output row whole on
            // one thread, but splits a reduction to a single value across threads: give that one two rows.
            NDArray pixels = image.reshape(samples, channels, -1);
            NDArray means = samples * channels == 1
                    ? pixels.broadcast(new Shape(2, 1, pixels.getShape().get(2))).mean(new int[] {2}).get("0:1")
                    : pixels.mean(new int[] {2});
            meanTerm = channels == 3
                    ? sumOfChannels(means.mul(scope.create(folded(meanWeight), new Shape(samples, 3))))
                    : means.mul(scope.create(meanWeight, new Shape(samples, 1)));
        }
        NDArray perSample = scope.create(scale, new Shape(samples, 1, 1, 1));
        NDArray out = inPlace ? image.muli(perSample) : image.mul(perSample);
        if (grayTerm != null) {
            out.addi(grayTerm);
        }
        if (meanTerm != null) {
            out.addi(meanTerm.reshape(samples, 1, 1, 1));
        }
        return out;
    }

    /** {@code weight[s] * w_j} for sample s and channel j, in float32: {@code 3 B} values. */
    private static float[] folded(float[] weight) {
        float[] out = new float[3 * weight.length];
        for (int s = 0; s < weight.length; s++) {
            for (int j = 0; j < 3; j++) {
                out[3 * s + j] = weight[s] * WEIGHTS[j];
            }
        }
        return out;
    }

    /** {@code clamp(f x)} with one factor for every sample. */
    static NDArray brightness(NDManager scope, NDArray image, float[] factors) {
        return Scalars.clip(mix(scope, image, perSample(image, factors), null, null), 0, 1);
    }

    /** {@code clamp(f x + (1 - f) mean(gray(x)))} with one mean per sample. */
    static NDArray contrast(NDManager scope, NDArray image, float[] factors) {
        float[] f = perSample(image, factors);
        return Scalars.clip(mix(scope, image, f, null, complement(f)), 0, 1);
    }

    /** {@code clamp(f x + (1 - f) gray(x))}; the identity on one-channel images. */
    static NDArray saturation(NDManager scope, NDArray image, float[] factors) {
        if (image.getShape().get(1) == 1) {
            return image.duplicate();
        }
        float[] f = perSample(image, factors);
        return Scalars.clip(mix(scope, image, f, complement(f), null), 0, 1);
    }

    /** {@code gray(x)} repeated to the input's channel count, clamped. */
    static NDArray grayscale(NDManager scope, NDArray image) {
        if (image.getShape().get(1) == 1) {
            return image.duplicate();
        }
        return Scalars.clip(gray(scope, image).broadcast(image.getShape()), 0, 1);
    }

    /**
     * {@code clamp(x >= threshold ? 1 - x : x, 0, 1)}, without a comparison. With {@code y = x} clamped
     * to {@code [-Float.MAX_VALUE, Float.MAX_VALUE]} (so that an infinity gives the selection's result,
     * not {@code 0 * inf}) and the mask {@code a = clamp(sign(y - threshold) + 1, 0, 1)} (exactly 1 where
     * {@code x >= threshold} and 0 elsewhere: a float difference is zero only between equal values), it
     * computes {@code a (1 - y) + (1 - a) y}, in which one product is an exact zero and the other exact,
     * so the bits are those of the selection (a NaN stays NaN). libtorch 2.7.1's {@code where} with a
     * bool mask took about twenty times a float op's time on the CPU and its comparison three to four; this
     * form is about three times faster at 224 px (docs/benchmarks.md, session 22).
     */
    static NDArray solarize(NDArray image, float threshold) {
        NDArray y = Scalars.clip(image, -Float.MAX_VALUE, Float.MAX_VALUE);
        NDArray above = Scalars.clip(y.sub(threshold).signi().addi(1f), 0, 1);
        NDArray inverted = y.neg().addi(1f).muli(above);
        NDArray kept = above.neg().addi(1f).muli(y);
        return Scalars.clip(inverted.addi(kept), 0, 1);
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
