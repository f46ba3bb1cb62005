package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.function.UnaryOperator;
import org.suncet.ndarray.Scalars;

/**
 * The batched path of {@link SimClrAugmentation}: a batch {@code [B, C, H, W]} with one parameter set
 * per sample and view, using tensor ops only. All V views of a batch are made in one pass over
 * {@code R = V B} rows: the parameters become small host tables (indices, weights, matrices) that
 * travel to the device once, and the rows are processed in an order chosen so that the hue shifts of
 * one jitter slot are one contiguous slice:
 * <ol>
 *   <li>rows are sorted by the slot of their hue shift (0-3), then rows with colour jitter but no hue
 *       shift, then rows without colour jitter (stable, so the order is a pure function of the
 *       parameters), and processed in chunks of consecutive rows ({@link #CHUNK_ELEMENTS});</li>
 *   <li>crop, resize and flip: {@link BilinearSampler} (host-computed index and weight tables,
 *       whole-row selections along the height, gathers on the last axis along the width, in-place
 *       blends, no transposed copies), the flip folded into reversed column tables;</li>
 *   <li>colour jitter, slot by slot: brightness, contrast and saturation of every row that has one in
 *       this slot as one per-row channel mix ({@link ColorOps#mix}, the identity for the other rows);
 *       the slice of rows whose hue shift is in this slot rotated by {@link HueRotation} and written
 *       into the result; one clamp;</li>
 *   <li>grayscale, blur ({@link GaussianBlurKernel}: banded matrix products with per-row kernels) and
 *       solarize on the rows that get them (one row selection, the op, one in-place row write);</li>
 *   <li>normalisation in place, then one row write per chunk into the output {@code [V B, C, h, w]},
 *       whose V slices are the views.</li>
 * </ol>
 * Every row gets exactly the ops of its per-image view ({@link SimClrAugmentation#apply}) with the same
 * float arithmetic (the per-image ops use the same kernels); the work per call is a few hundred small
 * ops per chunk whatever the batch size.
 *
 * <p><b>Which rows share a call does not change a row's bits, except in the blur.</b> Every step but
 * the blur is element-wise float32 arithmetic in a fixed order (each product and sum rounded once; the
 * channel mix included, see {@link ColorOps}), a per-row, per-channel mean, or a copy, so on any CPU
 * and at any thread count a row's result does not depend on the chunk size, on the other rows or views
 * in its pass, or on its memory offset: the whole-batch, chunked, merged-view and per-image paths give
 * the same bits. The blur is banded matrix products in the BLAS ({@link GaussianBlurKernel}), whose
 * summation order and FMA use may change with the batch of matrices and their alignment (oneMKL
 * promises equal results only for equal alignment and thread count), so a row blurred with a kernel of
 * {@code k > 1} taps is only equal to float rounding across groupings: each of the two passes sums at
 * most {@code k} non-negative products of weights summing to 1 with values in [0, 1], so two orders
 * differ by at most {@code 2 k u} per pass ({@code u = 2^-24}), {@code 4 k u} after both, before
 * normalisation divides by the std. A solarize after the blur turns such a difference into a flip where
 * a value lies within it of the threshold.
 */
final class BatchedSimClrView {

    /**
     * Rows are processed in chunks of at most about this many elements per intermediate (4 MB of
     * float32, e.g. 6 rows at 224 px): small enough that the allocator reuses freed memory (tensors of
     * tens of MB come as fresh pages from the OS each time, which costs more than the arithmetic: one
     * 64-row chunk at 224 px was 1.7 times slower) and stay in cache, large enough that the per-op
     * overhead stays small (two views of 32 images are one chunk up to 72 px; at 32 px one-row chunks
     * were 8 times slower).
     */
    static final long CHUNK_ELEMENTS = 1L << 20;
    /** Group of rows with colour jitter but no hue shift (groups 0-3: hue shift in that slot). */
    private static final int NO_HUE = 4;
    /** Group of rows whose colour jitter is off or changes nothing. */
    private static final int NO_JITTER = 5;

    private BatchedSimClrView() {}

    /**
     * Makes the views of a batch.
     *
     * @param view the view transform
     * @param batch {@code [B, C, H, W]}
     * @param views per view, B parameter sets
     * @return one {@code [B, C, h, w]} array per view, owned by the batch's manager
     */
    static NDList apply(SimClrAugmentation view, NDArray batch, List<List<SimClrViewParameters>> views) {
        return apply(view, batch, views, CHUNK_ELEMENTS);
    }

    /** {@link #apply} with a chosen chunk size (tests use tiny chunks). */
    static NDList apply(SimClrAugmentation view, NDArray batch, List<List<SimClrViewParameters>> views,
            long chunkElements) {
        ImageChecks.requireBatch(batch, "batch");
        for (List<SimClrViewParameters> parameters : views) {
            ImageChecks.requireOnePerSample(batch, parameters.size(), "parameters");
        }
        Plan plan = new Plan(view, batch.getShape(), views);
        NDManager parent = batch.getManager();
        try (NDManager scope = parent.newSubManager(batch.getDevice())) {
            scope.tempAttachAll(batch);
            NDList out = plan.run(scope, batch, chunkElements);
            for (NDArray array : out) {
                array.attach(parent);
            }
            return out;
        }
    }

    /** The host side: every row's parameters as tables, and the row order. */
    private static final class Plan {
        private final SimClrAugmentation view;
        private final int samples;
        private final int channels;
        private final int viewCount;
        private final int rows;
        private final long outHeight;
        private final long outWidth;
        private final long inputWidth;
        /** order[p] = the row (view * samples + sample) processed at position p. */
        private final int[] order;
        private final int[] group;
        private final ColorAdjustment[][] slots;
        private final float[][] values;
        private final SimClrViewParameters[] parameters;
        private int kernelSize;

        Plan(SimClrAugmentation view, Shape shape, List<List<SimClrViewParameters>> views) {
            this.view = view;
            samples = (int) shape.get(0);
            channels = (int) shape.get(1);
            viewCount = views.size();
            rows = viewCount * samples;
            outHeight = view.getOutputHeight();
            outWidth = view.getOutputWidth();
            inputWidth = shape.get(3);
            parameters = new SimClrViewParameters[rows];
            group = new int[rows];
            slots = new ColorAdjustment[rows][4];
            values = new float[rows][4];
            for (int v = 0; v < viewCount; v++) {
                for (int i = 0; i < samples; i++) {
                    int row = v * samples + i;
                    SimClrViewParameters p = views.get(v).get(i);
                    p.crop().requireInside(shape.get(2), shape.get(3));
                    parameters[row] = p;
                    plan(row, p);
                    if (p.blur().applied()) {
                        int k = p.blur().parameters().kernelSize();
                        if (kernelSize != 0 && k != kernelSize) {
                            throw new IllegalArgumentException("blurred samples of one batch must share a kernel size,"
                                    + " got " + kernelSize + " and " + k + " (sample " + i + ")");
                        }
                        kernelSize = k;
                        ImageChecks.requireKernel(kernelSize, outHeight, outWidth);
                    }
                }
            }
            // stable bucket sort by group
            order = new int[rows];
            int p = 0;
            for (int g = 0; g <= NO_JITTER; g++) {
                for (int r = 0; r < rows; r++) {
                    if (group[r] == g) {
                        order[p++] = r;
                    }
                }
            }
        }

        /** Records the jitter slots of one row that change something, and the row's group. */
        private void plan(int row, SimClrViewParameters p) {
            group[row] = NO_JITTER;
            if (!p.colorJitter().applied()) {
                return;
            }
            ColorJitterParameters jitter = p.colorJitter().parameters();
            for (int slot = 0; slot < 4; slot++) {
                ColorAdjustment a = jitter.order().get(slot);
                double value = jitter.value(a);
                boolean colourOnly = a == ColorAdjustment.SATURATION || a == ColorAdjustment.HUE;
                if (value == a.identity() || (channels != 3 && colourOnly)) {
                    continue;
                }
                slots[row][slot] = a;
                values[row][slot] = (float) value;
                if (a == ColorAdjustment.HUE) {
                    group[row] = slot;
                } else if (group[row] == NO_JITTER) {
                    group[row] = NO_HUE;
                }
            }
        }

        NDList run(NDManager scope, NDArray batch, long chunkElements) {
            // the largest intermediate per row: [C, h, max(w, W)] (the sampler's first pass)
            long perRow = channels * outHeight * Math.max(outWidth, inputWidth);
            int chunks = (int) Math.max(1, Math.min(rows, ((long) rows * perRow + chunkElements - 1) / chunkElements));
            int perChunk = (rows + chunks - 1) / chunks;
            NDArray out;
            if (perChunk >= rows && isIdentityOrder()) {
                out = process(scope, batch, 0, rows);
            } else {
                // [V * B, C, h, w] in view-major sample order; every row is written once below
                out = scope.create(new Shape(rows, channels, outHeight, outWidth));
                for (int start = 0; start < rows; start += perChunk) {
                    int end = Math.min(rows, start + perChunk);
                    // temporaries of one chunk are freed before the next, so their memory is reused
                    try (NDManager chunk = scope.newSubManager()) {
                        chunk.tempAttachAll(batch, out);
                        NDArray x = process(chunk, batch, start, end);
                        long[] target = new long[end - start];
                        boolean consecutive = true;
                        for (int p = start; p < end; p++) {
                            target[p - start] = order[p];
                            consecutive &= order[p] == order[start] + p - start;
                        }
                        out.set(consecutive ? new NDIndex().addSliceDim(order[start], order[start] + end - start)
                                : new NDIndex("{}", chunk.create(target)), x);
                    }
                }
            }
            return viewCount == 1 ? new NDList(out) : out.split(viewCount);
        }

        /** The rows at positions {@code [start, end)}, fully augmented: {@code [end - start, C, h, w]}. */
        private NDArray process(NDManager scope, NDArray batch, int start, int end) {
            int count = end - start;
            int[] sources = new int[count];
            CropBox[] boxes = new CropBox[count];
            boolean[] flips = new boolean[count];
            for (int p = start; p < end; p++) {
                SimClrViewParameters row = parameters[order[p]];
                sources[p - start] = order[p] % samples;
                boxes[p - start] = row.crop();
                flips[p - start] = row.flip();
            }
            NDArray x = BilinearSampler.sample(scope, batch, sources, boxes, flips, outHeight, outWidth);
            for (int slot = 0; slot < 4; slot++) {
                x = jitterSlot(scope, x, slot, start, end);
            }
            if (channels == 3) {
                x = update(scope, x, select(start, end, p -> parameters[order[p]].grayscale()),
                        rowsOf -> ColorOps.grayscale(scope, rowsOf));
            }
            int[] blurRows = select(start, end, p -> parameters[order[p]].blur().applied());
            if (blurRows.length > 0) {
                double[] sigmas = new double[blurRows.length];
                for (int j = 0; j < blurRows.length; j++) {
                    sigmas[j] = parameters[order[start + blurRows[j]]].blur().parameters().sigma();
                }
                x = update(scope, x, blurRows, rowsOf -> GaussianBlurKernel.blur(scope, rowsOf, sigmas, kernelSize));
            }
            float threshold = (float) view.getSolarizeThreshold();
            x = update(scope, x, select(start, end, p -> parameters[order[p]].solarize()),
                    rowsOf -> ColorOps.solarize(rowsOf, threshold));
            float[] mean = view.getMean();
            if (mean != null) {
                Shape perChannel = new Shape(1, mean.length, 1, 1);
                x.subi(scope.create(mean, perChannel)).divi(scope.create(view.getStd(), perChannel));
            }
            return x;
        }

        /**
         * Colour-jitter slot {@code slot} of the rows at positions {@code [start, end)} (the rows of
         * {@code x}): brightness, contrast and saturation of every row that has one in this slot as one
         * batched channel mix over all rows ({@link ColorOps#mix}, the identity on the others), the hue
         * shift of the rows whose shift is in this slot (one contiguous slice, thanks to the row order)
         * written into the mix, then one clamp.
         */
        private NDArray jitterSlot(NDManager scope, NDArray x, int slot, int start, int end) {
            int count = end - start;
            float[] scale = new float[count];
            float[] grayWeight = new float[count];
            float[] meanWeight = new float[count];
            boolean linear = false;
            boolean gray = false;
            boolean mean = false;
            for (int p = start; p < end; p++) {
                int j = p - start;
                ColorAdjustment a = slots[order[p]][slot];
                float f = values[order[p]][slot];
                scale[j] = 1f;
                if (a == null || a == ColorAdjustment.HUE) {
                    continue;
                }
                linear = true;
                scale[j] = f;
                if (a == ColorAdjustment.CONTRAST) {
                    meanWeight[j] = 1f - f;
                    mean = true;
                } else if (a == ColorAdjustment.SATURATION) {
                    grayWeight[j] = 1f - f;
                    gray = true;
                }
            }
            int hueStart = clamp(end(slot - 1), start, end) - start;
            int hueEnd = clamp(end(slot), start, end) - start;
            // in place: x is this chunk's own array, and the hue rows (identity in the mix) keep their values
            NDArray out = linear
                    ? ColorOps.mix(scope, x, scale, gray ? grayWeight : null, mean ? meanWeight : null, true) : x;
            if (hueEnd > hueStart) {
                float[] deltas = new float[hueEnd - hueStart];
                for (int j = hueStart; j < hueEnd; j++) {
                    deltas[j - hueStart] = values[order[start + j]][slot];
                }
                NDIndex slice = new NDIndex().addSliceDim(hueStart, hueEnd);
                // hue rows have the identity in the mix, so x and out agree on them
                NDArray rotated = HueRotation.rotate(scope, x.get(slice), deltas);
                if (hueEnd - hueStart == count) {
                    return rotated;
                }
                out.set(slice, rotated);
            }
            // hue results and untouched rows lie in [0, 1] already: the clamp is exact on them
            return linear ? Scalars.clip(out, 0, 1) : out;
        }

        /**
         * Replaces the rows {@code positions} of {@code x} by {@code op} of them: in place, or by the
         * (fresh, contiguous) result of {@code op} when that is every row.
         */
        private NDArray update(NDManager scope, NDArray x, int[] positions, UnaryOperator<NDArray> op) {
            if (positions.length == 0) {
                return x;
            }
            long count = x.getShape().get(0);
            if (positions.length == count) {
                return op.apply(x);
            }
            NDArray index = scope.create(toLong(positions));
            NDArray chosen = BilinearSampler.selectRows(x.reshape(count, -1), index).reshape(
                    new Shape(positions.length, channels, outHeight, outWidth));
            x.set(new NDIndex("{}", index), op.apply(chosen));
            return x;
        }

        private boolean isIdentityOrder() {
            for (int p = 0; p < rows; p++) {
                if (order[p] != p) {
                    return false;
                }
            }
            return true;
        }

        /** The first position after the rows of groups {@code <= g}. */
        private int end(int g) {
            int p = 0;
            while (p < rows && group[order[p]] <= g) {
                p++;
            }
            return p;
        }

        /** The positions in {@code [start, end)} that are {@code chosen}, relative to {@code start}. */
        private int[] select(int start, int end, IntPredicate chosen) {
            int[] out = new int[end - start];
            int count = 0;
            for (int p = start; p < end; p++) {
                if (chosen.test(p)) {
                    out[count++] = p - start;
                }
            }
            return Arrays.copyOf(out, count);
        }
    }

    private static int clamp(int value, int low, int high) {
        return Math.max(low, Math.min(high, value));
    }

    private static long[] toLong(int[] values) {
        long[] out = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
