package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.function.BiFunction;

/**
 * The ops of {@link ImageOps} on a batch {@code [B, C, H, W]} with one parameter per sample, computed
 * with tensor ops only: the parameters travel to the device once as small arrays ({@code [B, 1, 1, 1]}
 * factors, {@code [B, 4]} boxes) and every sample is processed by the same kernels, so results equal
 * {@link ImageOps} applied image by image up to float rounding (the tests hold them to 1e-5).
 *
 * <p>Formulas, the paper and one-channel behaviour are those of {@link ImageOps}. Bad input gets an
 * {@link IllegalArgumentException}: a batch that is not {@code [B, C, H, W]} float32 with C = 1 or 3, a
 * parameter array whose length is not B, or a parameter that {@link ImageOps} would reject (negative
 * factor, hue outside [-0.5, 0.5], sigma {@code <= 0}, even kernel, box outside the image).
 */
public final class BatchImageOps {

    private BatchImageOps() {}

    /**
     * Per-sample {@link ImageOps#resizedCrop}, optionally followed by a per-sample horizontal flip.
     *
     * @param batch {@code [B, C, H, W]}
     * @param boxes one box per sample, inside the image
     * @param flips one flag per sample, or null for none
     * @param outHeight output height
     * @param outWidth output width
     * @return {@code [B, C, outHeight, outWidth]}
     */
    public static NDArray resizedCrop(NDArray batch, CropBox[] boxes, boolean[] flips, long outHeight,
            long outWidth) {
        ImageChecks.requireBatch(batch, "batch");
        ImageChecks.requirePositiveSize(outHeight, outWidth);
        ImageChecks.requireOnePerSample(batch, boxes.length, "boxes");
        if (flips != null) {
            ImageChecks.requireOnePerSample(batch, flips.length, "flips");
        }
        float[] table = new float[4 * boxes.length];
        for (int i = 0; i < boxes.length; i++) {
            boxes[i].requireInside(batch.getShape().get(2), batch.getShape().get(3));
            table[4 * i] = boxes[i].top();
            table[4 * i + 1] = boxes[i].left();
            table[4 * i + 2] = boxes[i].height();
            table[4 * i + 3] = boxes[i].width();
        }
        return Scoped.compute(scope -> BilinearSampler.sample(batch,
                scope.create(table, new Shape(boxes.length, 4)),
                flips == null ? null : scope.create(mask(flips)), outHeight, outWidth), batch);
    }

    /**
     * Per-sample {@link ImageOps#adjustBrightness}.
     *
     * @param batch {@code [B, C, H, W]}
     * @param factors B factors {@code >= 0}
     * @return the adjusted batch
     */
    public static NDArray adjustBrightness(NDArray batch, double[] factors) {
        return perSample(batch, factors, "brightness factor", ColorOps::brightness);
    }

    /**
     * Per-sample {@link ImageOps#adjustContrast}.
     *
     * @param batch {@code [B, C, H, W]}
     * @param factors B factors {@code >= 0}
     * @return the adjusted batch
     */
    public static NDArray adjustContrast(NDArray batch, double[] factors) {
        return perSample(batch, factors, "contrast factor", ColorOps::contrast);
    }

    /**
     * Per-sample {@link ImageOps#adjustSaturation}.
     *
     * @param batch {@code [B, C, H, W]}
     * @param factors B factors {@code >= 0}
     * @return the adjusted batch
     */
    public static NDArray adjustSaturation(NDArray batch, double[] factors) {
        return perSample(batch, factors, "saturation factor", ColorOps::saturation);
    }

    /**
     * Per-sample {@link ImageOps#adjustHue}.
     *
     * @param batch {@code [B, C, H, W]}
     * @param deltas B hue shifts in [-0.5, 0.5]
     * @return the adjusted batch
     */
    public static NDArray adjustHue(NDArray batch, double[] deltas) {
        return perSample(batch, deltas, "hue delta", (x, d) -> x.getShape().get(1) == 1 ? x.duplicate()
                : HueRotation.rotate(x, d));
    }

    /**
     * Per-sample {@link ImageOps#gaussianBlur} with one kernel size for the batch.
     *
     * @param batch {@code [B, C, H, W]}
     * @param kernelSize odd, positive, {@code kernelSize / 2 < H, W}
     * @param sigmas B standard deviations {@code > 0}
     * @return the blurred batch
     */
    public static NDArray gaussianBlur(NDArray batch, int kernelSize, double[] sigmas) {
        ImageChecks.requireBatch(batch, "batch");
        ImageChecks.requireOnePerSample(batch, sigmas.length, "sigmas");
        ImageChecks.requireKernel(kernelSize, batch.getShape().get(2), batch.getShape().get(3));
        for (double sigma : sigmas) {
            ImageChecks.requireSigma(sigma, "sigma");
        }
        return Scoped.compute(scope -> GaussianBlurKernel.blur(scope, batch,
                GaussianBlurKernel.kernels(scope, scope.create(toFloat(sigmas)), null, kernelSize)),
                batch);
    }

    private static NDArray perSample(NDArray batch, double[] factors, String name,
            BiFunction<NDArray, NDArray, NDArray> op) {
        ImageChecks.requireBatch(batch, "batch");
        ImageChecks.requireOnePerSample(batch, factors.length, name + "s");
        for (double factor : factors) {
            if (name.startsWith("hue")) {
                ImageChecks.requireHue(factor, name);
            } else {
                ImageChecks.requireNonNegative(factor, name);
            }
        }
        return Scoped.compute(scope -> op.apply(batch, factorColumn(scope, toFloat(factors))), batch);
    }

    /** {@code [B]} values as a {@code [B, 1, 1, 1]} array on the scope's device. */
    static NDArray factorColumn(NDManager scope, float[] values) {
        return scope.create(values, new Shape(values.length, 1, 1, 1));
    }

    static float[] toFloat(double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }

    static float[] mask(boolean[] flags) {
        float[] out = new float[flags.length];
        for (int i = 0; i < flags.length; i++) {
            out[i] = flags[i] ? 1f : 0f;
        }
        return out;
    }
}
