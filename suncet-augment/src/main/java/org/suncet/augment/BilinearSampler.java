package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import org.suncet.ndarray.Scalars;

/**
 * Crop-then-resize by bilinear sampling with {@code align_corners = false} and no antialias, the rule
 * of PyTorch's {@code interpolate(mode="bilinear")} applied to the cropped box (what torchvision's
 * {@code resized_crop} does on float tensors), for any number of output rows each with its own source
 * sample, box and optional horizontal flip.
 *
 * <p>Along one axis, for a box of {@code size} input pixels starting at {@code start} and an output of
 * {@code n} pixels, output pixel {@code d} reads
 * <pre>
 *   s  = max((d + 0.5) * size / n - 0.5, 0)
 *   i0 = min(floor(s), size - 1),  i1 = i0 + (i0 &lt; size - 1 ? 1 : 0)
 *   w1 = clamp(s - i0, 0, 1),      w0 = 1 - w1
 *   out[d] = w0 * in[start + i0] + w1 * in[start + i1]
 * </pre>
 * in float32 arithmetic. These small tables are computed on the host; the image work is two passes of
 * gathers and in-place blends: first along the height, whole-row copies ({@code index_select}, through
 * DJL's embedding op) of the batch viewed as rows {@code [N * C * H, W]}; then along the width, a
 * {@code gather} on the last axis of that result with one column table per output row, broadcast over
 * channels and lines (a stride-0 view, not a copy), so the result comes out in its final layout. A
 * flipped row reads its column table in reverse, which equals flipping the resized crop bit for bit.
 * The width pass used to transpose the intermediate, select whole rows and transpose back: two more
 * full copies of the intermediate per call and per-channel column tables; each value is the same
 * products and sum in the same order, so the results are bit for bit those of the transposed form.
 */
final class BilinearSampler {

    private BilinearSampler() {}

    /**
     * Samples one output row per entry of {@code sources}.
     *
     * @param scope manager of the temporaries (the result too)
     * @param batch {@code [N, C, H, W]} float32
     * @param sources the source sample of each output row, in {@code [0, N)}
     * @param boxes the box of each output row, already checked to lie inside the image
     * @param flips a flag per output row, or null for no flip
     * @param outHeight output height
     * @param outWidth output width
     * @return {@code [sources.length, C, outHeight, outWidth]}, clamped to [0, 1]
     */
    static NDArray sample(NDManager scope, NDArray batch, int[] sources, CropBox[] boxes, boolean[] flips,
            long outHeight, long outWidth) {
        Shape shape = batch.getShape();
        long samples = shape.get(0);
        int channels = (int) shape.get(1);
        long height = shape.get(2);
        long width = shape.get(3);
        int rows = sources.length;
        int oh = (int) outHeight;
        int ow = (int) outWidth;
        long[] rowIndex0 = new long[rows * channels * oh];
        long[] rowIndex1 = new long[rowIndex0.length];
        float[] rowWeight0 = new float[rows * oh];
        float[] rowWeight1 = new float[rowWeight0.length];
        long[] colIndex0 = new long[rows * ow];
        long[] colIndex1 = new long[colIndex0.length];
        float[] colWeight0 = new float[rows * ow];
        float[] colWeight1 = new float[colWeight0.length];
        int[] index0 = new int[Math.max(oh, ow)];
        int[] index1 = new int[index0.length];
        float[] weight0 = new float[index0.length];
        float[] weight1 = new float[index0.length];
        for (int r = 0; r < rows; r++) {
            CropBox box = boxes[r];
            axis(box.height(), oh, index0, index1, weight0, weight1);
            System.arraycopy(weight0, 0, rowWeight0, r * oh, oh);
            System.arraycopy(weight1, 0, rowWeight1, r * oh, oh);
            for (int c = 0; c < channels; c++) {
                // image row of the batch viewed as [N * C * H, W]
                long base = ((long) sources[r] * channels + c) * height + box.top();
                for (int d = 0; d < oh; d++) {
                    rowIndex0[(r * channels + c) * oh + d] = base + index0[d];
                    rowIndex1[(r * channels + c) * oh + d] = base + index1[d];
                }
            }
            boolean flip = flips != null && flips[r];
            axis(box.width(), ow, index0, index1, weight0, weight1);
            for (int d = 0; d < ow; d++) {
                int from = flip ? ow - 1 - d : d;
                colWeight0[r * ow + d] = weight0[from];
                colWeight1[r * ow + d] = weight1[from];
                // column of the height-resampled row, [0, W)
                colIndex0[r * ow + d] = box.left() + index0[from];
                colIndex1[r * ow + d] = box.left() + index1[from];
            }
        }
        // [N * C * H, W] -> [rows, C, outH, W]
        NDArray table = batch.reshape(samples * channels * height, width);
        Shape tallShape = new Shape(rows, channels, oh, width);
        Shape rowWeights = new Shape(rows, 1, oh, 1);
        NDArray tall = selectRows(table, scope.create(rowIndex0)).reshape(tallShape);
        tall.muli(scope.create(rowWeight0, rowWeights));
        NDArray below = selectRows(table, scope.create(rowIndex1)).reshape(tallShape);
        tall.addi(below.muli(scope.create(rowWeight1, rowWeights)));
        below.close();
        // [rows, C, outH, W] -> [rows, C, outH, outW]: gathers on the last axis, one column table per row
        Shape outShape = new Shape(rows, channels, oh, ow);
        Shape columns = new Shape(rows, 1, 1, ow);
        NDArray out = tall.gather(scope.create(colIndex0, columns).broadcast(outShape), 3);
        out.muli(scope.create(colWeight0, columns));
        NDArray right = tall.gather(scope.create(colIndex1, columns).broadcast(outShape), 3);
        out.addi(right.muli(scope.create(colWeight1, columns)));
        right.close();
        tall.close();
        return Scalars.clip(out, 0, 1);
    }

    /**
     * {@code table[index]} for a 2-D {@code table} and 1-D int64 {@code index}: PyTorch's
     * {@code index_select(0, index)} (whole-row copies), which is what the embedding op runs; about
     * 2.5 times faster than advanced indexing on the CPU.
     */
    static NDArray selectRows(NDArray table, NDArray index) {
        return table.getNDArrayInternal().embedding(index, table, SparseFormat.DENSE).singletonOrThrow();
    }

    /**
     * The index and weight tables of one axis for a box of {@code size} pixels and {@code n} outputs,
     * relative to the box start, in the float32 arithmetic of PyTorch's kernel.
     */
    static void axis(long size, int n, int[] index0, int[] index1, float[] weight0, float[] weight1) {
        float length = size;
        float scale = length / (float) n;
        float last = length - 1f;
        for (int d = 0; d < n; d++) {
            float source = Math.max(((float) d + 0.5f) * scale - 0.5f, 0f);
            float i0 = Math.min((float) Math.floor(source), last);
            float w1 = Math.min(Math.max(source - i0, 0f), 1f);
            index0[d] = (int) i0;
            index1[d] = (int) i0 + (i0 < last ? 1 : 0);
            weight0[d] = 1f - w1;
            weight1[d] = w1;
        }
    }
}
