package org.suncet.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Global average pooling of {@code [B, C, H, W]} feature maps: the mean over H and W. (The PyTorch
 * engine's {@code mean} takes one axis, so the two spatial axes are flattened into one first.)
 */
final class SpatialMean {

    private SpatialMean() {}

    /**
     * Averages over the spatial axes.
     *
     * @param maps {@code [B, C, H, W]}
     * @param keepDims whether to return {@code [B, C, 1, 1]} rather than {@code [B, C]}
     * @return the means, a new array
     */
    static NDArray of(NDArray maps, boolean keepDims) {
        Shape shape = maps.getShape();
        try (NDArray flat = maps.reshape(new Shape(shape.get(0), shape.get(1), -1))) {
            NDArray mean = flat.mean(new int[] {2}); // [B, C, H·W] -> [B, C]
            if (!keepDims) {
                return mean;
            }
            try (mean) {
                return mean.reshape(new Shape(shape.get(0), shape.get(1), 1, 1));
            }
        }
    }
}
