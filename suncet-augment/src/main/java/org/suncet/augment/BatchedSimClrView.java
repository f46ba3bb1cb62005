package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * The batched path of {@link SimClrAugmentation}: a batch {@code [B, C, H, W]} with one parameter set
 * per sample, using tensor ops only. The parameters are turned into a few small host arrays (boxes,
 * flags, factors) that travel to the device once; then
 * <ul>
 *   <li>crop, resize and flip: one {@link BilinearSampler} gather with per-sample boxes, the flip folded
 *       into reversed column indices;</li>
 *   <li>colour jitter in per-sample random order: for each of the 4 order slots, each adjustment runs
 *       once, on the rows of the samples that have it in this slot (a row gather), with their factors
 *       as a {@code [k, 1, 1, 1]} array; the slot's results go back into the batch by one
 *       concatenation and one row gather;</li>
 *   <li>grayscale, blur (one depthwise convolution with per-sample kernels) and solarize: likewise on
 *       the rows of the samples that get them.</li>
 * </ul>
 * So every sample gets exactly the ops of its per-image view, each op is one kernel launch for the
 * whole batch, and the host only builds the small index and factor arrays from the parameters.
 */
final class BatchedSimClrView {

    private static final ColorAdjustment[] ADJUSTMENTS = ColorAdjustment.values();

    private BatchedSimClrView() {}

    static NDArray apply(SimClrAugmentation view, NDArray batch, List<SimClrViewParameters> parameters) {
        ImageChecks.requireBatch(batch, "batch");
        ImageChecks.requireOnePerSample(batch, parameters.size(), "parameters");
        Shape shape = batch.getShape();
        int n = parameters.size();
        long outHeight = view.getOutputHeight();
        long outWidth = view.getOutputWidth();
        float[] boxes = new float[4 * n];
        float[] flips = new float[n];
        float[][][] jitter = new float[4][ADJUSTMENTS.length][n];
        boolean[][] jitterUsed = new boolean[4][ADJUSTMENTS.length];
        float[] gray = new float[n];
        float[] blur = new float[n];
        float[] sigmas = new float[n];
        float[] solarize = new float[n];
        int kernelSize = 0;
        for (int i = 0; i < n; i++) {
            SimClrViewParameters p = parameters.get(i);
            CropBox box = p.crop();
            box.requireInside(shape.get(2), shape.get(3));
            boxes[4 * i] = box.top();
            boxes[4 * i + 1] = box.left();
            boxes[4 * i + 2] = box.height();
            boxes[4 * i + 3] = box.width();
            flips[i] = p.flip() ? 1 : 0;
            for (int slot = 0; slot < 4; slot++) {
                for (ColorAdjustment a : ADJUSTMENTS) {
                    jitter[slot][a.ordinal()][i] = (float) a.identity();
                }
                if (p.colorJitter().applied()) {
                    ColorAdjustment a = p.colorJitter().parameters().order().get(slot);
                    double value = p.colorJitter().parameters().value(a);
                    if (value != a.identity()) {
                        jitter[slot][a.ordinal()][i] = (float) value;
                        jitterUsed[slot][a.ordinal()] = true;
                    }
                }
            }
            gray[i] = p.grayscale() ? 1 : 0;
            solarize[i] = p.solarize() ? 1 : 0;
            sigmas[i] = 1f;
            if (p.blur().applied()) {
                BlurParameters b = p.blur().parameters();
                if (kernelSize != 0 && b.kernelSize() != kernelSize) {
                    throw new IllegalArgumentException("blurred samples of one batch must share a kernel size, got "
                            + kernelSize + " and " + b.kernelSize() + " (sample " + i + ")");
                }
                kernelSize = b.kernelSize();
                ImageChecks.requireKernel(kernelSize, outHeight, outWidth);
                blur[i] = 1;
                sigmas[i] = (float) b.sigma();
            }
        }
        int k = kernelSize;
        return Scoped.compute(scope -> {
            NDArray x = BilinearSampler.sample(batch, scope.create(boxes, new Shape(n, 4)), scope.create(flips),
                    outHeight, outWidth);
            boolean rgb = shape.get(1) == 3;
            for (int slot = 0; slot < 4; slot++) {
                List<int[]> subsets = new ArrayList<>();
                List<NDArray> results = new ArrayList<>();
                for (ColorAdjustment a : ADJUSTMENTS) {
                    int[] subset = jitterUsed[slot][a.ordinal()] && (rgb || !skipsGray(a))
                            ? where(jitter[slot][a.ordinal()], a.identity()) : new int[0];
                    if (subset.length > 0) {
                        NDArray factors = column(scope, pick(jitter[slot][a.ordinal()], subset));
                        subsets.add(subset);
                        results.add(adjust(a, rows(scope, x, subset), factors));
                    }
                }
                x = merge(scope, x, subsets, results);
            }
            int[] grayRows = where(gray, 0);
            if (grayRows.length > 0) {
                x = merge(scope, x, List.of(grayRows), List.of(ColorOps.grayscale(rows(scope, x, grayRows))));
            }
            int[] blurRows = where(blur, 0);
            if (blurRows.length > 0) {
                NDArray kernels = GaussianBlurKernel.kernels(scope, scope.create(pick(sigmas, blurRows)), null, k);
                x = merge(scope, x, List.of(blurRows),
                        List.of(GaussianBlurKernel.blur(scope, rows(scope, x, blurRows), kernels)));
            }
            int[] solarizeRows = where(solarize, 0);
            if (solarizeRows.length > 0) {
                x = merge(scope, x, List.of(solarizeRows), List.of(ColorOps.solarize(rows(scope, x, solarizeRows),
                        (float) view.getSolarizeThreshold())));
            }
            float[] mean = view.getMean();
            if (mean != null) {
                Shape perChannel = new Shape(1, mean.length, 1, 1);
                x = x.sub(scope.create(mean, perChannel)).div(scope.create(view.getStd(), perChannel));
            }
            return x;
        }, batch);
    }

    private static boolean skipsGray(ColorAdjustment a) {
        return a == ColorAdjustment.SATURATION || a == ColorAdjustment.HUE;
    }

    private static NDArray adjust(ColorAdjustment a, NDArray x, NDArray factors) {
        switch (a) {
            case BRIGHTNESS: return ColorOps.brightness(x, factors);
            case CONTRAST: return ColorOps.contrast(x, factors);
            case SATURATION: return ColorOps.saturation(x, factors);
            default: return HueRotation.rotate(x, factors);
        }
    }

    /** The samples {@code subset} of {@code x} ({@code [k, C, H, W]}); {@code x} itself if all, in order. */
    private static NDArray rows(NDManager scope, NDArray x, int[] subset) {
        if (subset.length == x.getShape().get(0)) {
            return x;
        }
        return x.get(new NDIndex("{}", scope.create(toLong(subset))));
    }

    /**
     * Replaces the rows {@code subsets[j]} of {@code x} by {@code results[j]} (disjoint subsets) with
     * one concatenation and one row gather: {@code [x; r_1; r_2; ...][rowIndex]}.
     */
    private static NDArray merge(NDManager scope, NDArray x, List<int[]> subsets, List<NDArray> results) {
        int n = (int) x.getShape().get(0);
        if (subsets.isEmpty()) {
            return x;
        }
        if (subsets.size() == 1 && subsets.get(0).length == n) {
            return results.get(0);
        }
        long[] rowIndex = new long[n];
        for (int i = 0; i < n; i++) {
            rowIndex[i] = i;
        }
        long offset = n;
        NDList pieces = new NDList(x);
        for (int j = 0; j < subsets.size(); j++) {
            int[] subset = subsets.get(j);
            for (int r = 0; r < subset.length; r++) {
                rowIndex[subset[r]] = offset + r;
            }
            offset += subset.length;
            pieces.add(results.get(j));
        }
        return NDArrays.concat(pieces, 0).get(new NDIndex("{}", scope.create(rowIndex)));
    }

    /** Indices {@code i} with {@code values[i] != skip}. */
    private static int[] where(float[] values, double skip) {
        int count = 0;
        for (float v : values) {
            count += v != (float) skip ? 1 : 0;
        }
        int[] out = new int[count];
        int j = 0;
        for (int i = 0; i < values.length; i++) {
            if (values[i] != (float) skip) {
                out[j++] = i;
            }
        }
        return out;
    }

    private static float[] pick(float[] values, int[] subset) {
        float[] out = new float[subset.length];
        for (int j = 0; j < subset.length; j++) {
            out[j] = values[subset[j]];
        }
        return out;
    }

    private static long[] toLong(int[] values) {
        long[] out = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    private static NDArray column(NDManager scope, float[] values) {
        return BatchImageOps.factorColumn(scope, values);
    }
}
