package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Crop-then-resize by bilinear sampling with {@code align_corners = false} and no antialias, the rule
 * of PyTorch's {@code interpolate(mode="bilinear")} applied to the cropped box (what torchvision's
 * {@code resized_crop} does on float tensors), computed with gathers so that every sample of a batch
 * can have its own box and an optional horizontal flip.
 *
 * <p>Along one axis, for a box of {@code size} input pixels starting at {@code start} and an output of
 * {@code n} pixels, output pixel {@code d} reads
 * <pre>
 *   s  = max((d + 0.5) * size / n - 0.5, 0)
 *   i0 = min(floor(s), size - 1),  i1 = i0 + (i0 &lt; size - 1 ? 1 : 0)
 *   w1 = clamp(s - i0, 0, 1),      w0 = 1 - w1
 *   out[d] = w0 * in[start + i0] + w1 * in[start + i1]
 * </pre>
 * computed in float32 on the device. A flipped sample reads its column indices and weights in reverse
 * order, which equals flipping the resized crop.
 */
final class BilinearSampler {

    private BilinearSampler() {}

    /**
     * Samples per-sample boxes from a batch.
     *
     * @param batch {@code [B, C, H, W]} float32
     * @param boxes {@code [B or 1, 4]} float32 rows {@code (top, left, height, width)}, already checked
     *     to lie inside the image
     * @param flips {@code [B or 1]} float32 of 0/1, or null for no flip
     * @return {@code [B, C, outHeight, outWidth]}, clamped to [0, 1]
     */
    static NDArray sample(NDArray batch, NDArray boxes, NDArray flips, long outHeight, long outWidth) {
        NDArray[] inputs = flips == null ? new NDArray[] {batch, boxes} : new NDArray[] {batch, boxes, flips};
        return Scoped.compute(scope -> {
            Shape shape = batch.getShape();
            long samples = shape.get(0);
            long channels = shape.get(1);
            long width = shape.get(3);
            // Rows: [B or 1, outH] indices and weights.
            NDArray[] rows = axis(scope, boxes.get(":, 0"), boxes.get(":, 2"), outHeight);
            // Columns: [B or 1, outW], reversed for flipped samples.
            NDArray[] cols = axis(scope, boxes.get(":, 1"), boxes.get(":, 3"), outWidth);
            if (flips != null) {
                NDArray flip = flips.reshape(-1, 1);
                NDArray keep = flip.neg().add(1f);
                for (int i = 0; i < cols.length; i++) {
                    cols[i] = cols[i].flip(1).mul(flip).add(cols[i].mul(keep));
                }
            }
            // [B, C, H, W] -> [B, C, outH, W]
            Shape rowShape = new Shape(samples, channels, outHeight, width);
            NDArray top = gather(batch, rows[0].reshape(-1, 1, outHeight, 1), rowShape, 2);
            NDArray bottom = gather(batch, rows[1].reshape(-1, 1, outHeight, 1), rowShape, 2);
            NDArray mixed = top.mul(rows[2].reshape(-1, 1, outHeight, 1))
                    .add(bottom.mul(rows[3].reshape(-1, 1, outHeight, 1)));
            // [B, C, outH, W] -> [B, C, outH, outW]
            Shape colShape = new Shape(samples, channels, outHeight, outWidth);
            NDArray left = gather(mixed, cols[0].reshape(-1, 1, 1, outWidth), colShape, 3);
            NDArray right = gather(mixed, cols[1].reshape(-1, 1, 1, outWidth), colShape, 3);
            return left.mul(cols[2].reshape(-1, 1, 1, outWidth))
                    .add(right.mul(cols[3].reshape(-1, 1, 1, outWidth)))
                    .clip(0f, 1f);
        }, inputs);
    }

    private static NDArray gather(NDArray source, NDArray index, Shape shape, int axis) {
        return source.gather(index.toType(DataType.INT64, false).broadcast(shape), axis);
    }

    /**
     * Index and weight tables of one axis: {@code {start + i0, start + i1, w0, w1}}, each
     * {@code [B or 1, n]} float32 (indices are exact small integers).
     */
    private static NDArray[] axis(NDManager scope, NDArray start, NDArray size, long n) {
        NDArray begin = start.reshape(-1, 1);
        NDArray length = size.reshape(-1, 1);
        NDArray dest = scope.arange(0f, (float) n, 1f, DataType.FLOAT32).reshape(1, n);
        NDArray scale = length.div((float) n);
        NDArray source = dest.add(0.5f).mul(scale).sub(0.5f).maximum(0f);
        NDArray last = length.sub(1f);
        NDArray i0 = source.floor().minimum(last);
        NDArray w1 = source.sub(i0).clip(0f, 1f);
        NDArray i1 = i0.add(i0.lt(last).toType(DataType.FLOAT32, false));
        NDArray w0 = w1.neg().add(1f);
        return new NDArray[] {i0.add(begin), i1.add(begin), w0, w1};
    }
}
