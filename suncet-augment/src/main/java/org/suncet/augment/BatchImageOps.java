package org.suncet.augment;

import ai.djl.ndarray.NDArray;

/**
 * The ops of {@link ImageOps} on a batch {@code [B, C, H, W]} with one parameter per sample, computed
 * with tensor ops only: the parameters travel to the device once as small arrays (per-sample channel
 * factors, crop tables, blur band matrices) and every sample is processed by the same kernels, so
 * results equal {@link ImageOps} applied image by image bit for bit, except the blur, which equals it to
 * float rounding ({@link GaussianBlurKernel}: at most {@code 4 k u} for a kernel of {@code k} taps).
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
        int[] sources = new int[boxes.length];
        for (int i = 0; i < boxes.length; i++) {
            boxes[i].requireInside(batch.getShape().get(2), batch.getShape().get(3));
            sources[i] = i;
        }
        CropBox[] table = boxes.clone();
        boolean[] flipped = flips == null ? null : flips.clone();
        return Scoped.compute(scope -> BilinearSampler.sample(scope, batch, sources, table, flipped, outHeight,
                outWidth), batch);
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
        ImageChecks.requireBatch(batch, "batch");
        ImageChecks.requireOnePerSample(batch, deltas.length, "hue deltas");
        for (double delta : deltas) {
            ImageChecks.requireHue(delta, "hue delta");
        }
        return Scoped.compute(scope -> batch.getShape().get(1) == 1 ? batch.duplicate()
                : HueRotation.rotate(scope, batch, toFloat(deltas)), batch);
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
        double[] copy = sigmas.clone();
        return Scoped.compute(scope -> GaussianBlurKernel.blur(scope, batch, copy, kernelSize), batch);
    }

    private static NDArray perSample(NDArray batch, double[] factors, String name, ImageOps.FactorOp op) {
        ImageChecks.requireBatch(batch, "batch");
        ImageChecks.requireOnePerSample(batch, factors.length, name + "s");
        for (double factor : factors) {
            ImageChecks.requireNonNegative(factor, name);
        }
        return Scoped.compute(scope -> op.apply(scope, batch, toFloat(factors)), batch);
    }

    static float[] toFloat(double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }
}
