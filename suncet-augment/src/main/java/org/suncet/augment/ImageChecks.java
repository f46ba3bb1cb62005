package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Argument checks shared by the image ops; every failure is an {@link IllegalArgumentException}. */
final class ImageChecks {

    private ImageChecks() {}

    /**
     * Checks that {@code image} is a float32 image {@code [C, H, W]} or {@code [B, C, H, W]} with C = 1
     * or 3 (or C = 3 only when {@code rgbOnly}).
     */
    static void requireImage(NDArray image, String name, boolean rgbOnly) {
        if (image == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        Shape shape = image.getShape();
        int rank = shape.dimension();
        String expected = rgbOnly ? "C = 3" : "C = 1 or 3";
        if (rank != 3 && rank != 4) {
            throw new IllegalArgumentException(name + " must have shape [C, H, W] or [B, C, H, W] with "
                    + expected + ", got " + shape + " (rank " + rank + ")");
        }
        long channels = shape.get(rank - 3);
        if (channels != 3 && (rgbOnly || channels != 1)) {
            throw new IllegalArgumentException(name + " must have " + expected + " channels on axis "
                    + (rank - 3) + ", got " + channels + " in shape " + shape);
        }
        if (shape.get(rank - 1) < 1 || shape.get(rank - 2) < 1 || (rank == 4 && shape.get(0) < 1)) {
            throw new IllegalArgumentException(name + " must not be empty, got shape " + shape);
        }
        if (image.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException(name + " must be float32 with values in [0, 1], got "
                    + image.getDataType() + "; convert with ImageTensors.toFloatChw");
        }
    }

    /** Checks that {@code batch} is a float32 batch {@code [B, C, H, W]}, C = 1 or 3. */
    static void requireBatch(NDArray batch, String name) {
        requireImage(batch, name, false);
        if (batch.getShape().dimension() != 4) {
            throw new IllegalArgumentException(name + " must be a batch [B, C, H, W], got shape "
                    + batch.getShape());
        }
    }

    /** Checks that a per-sample parameter array has one entry per sample of {@code batch}. */
    static void requireOnePerSample(NDArray batch, int length, String name) {
        long samples = batch.getShape().get(0);
        if (length != samples) {
            throw new IllegalArgumentException(name + " must have one entry per sample: batch has "
                    + samples + " samples, got " + length + " entries");
        }
    }

    static void requireFinite(double value, String name) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException(name + " must be finite, got " + value);
        }
    }

    static void requireNonNegative(double value, String name) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(name + " must be finite and >= 0, got " + value);
        }
    }

    static void requireHue(double delta, String name) {
        if (!(delta >= -0.5 && delta <= 0.5)) {
            throw new IllegalArgumentException(name + " must be in [-0.5, 0.5], got " + delta);
        }
    }

    static void requireProbability(double p, String name) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException(name + " must be a probability in [0, 1], got " + p);
        }
    }

    static void requireSigma(double sigma, String name) {
        if (!(sigma > 0) || Double.isInfinite(sigma)) {
            throw new IllegalArgumentException(name + " must be finite and > 0, got " + sigma);
        }
    }

    /** Checks an odd positive kernel size whose reflect padding fits an image of the given size. */
    static void requireKernel(int kernelSize, long height, long width) {
        if (kernelSize <= 0 || kernelSize % 2 == 0) {
            throw new IllegalArgumentException("kernelSize must be odd and positive, got " + kernelSize);
        }
        long pad = kernelSize / 2;
        if (pad >= height || pad >= width) {
            throw new IllegalArgumentException("kernelSize " + kernelSize + " needs reflect padding "
                    + pad + " < image height and width, got image " + height + "x" + width);
        }
    }

    static void requirePositiveSize(long outHeight, long outWidth) {
        if (outHeight < 1 || outWidth < 1) {
            throw new IllegalArgumentException("output size must be positive, got outHeight="
                    + outHeight + ", outWidth=" + outWidth);
        }
    }
}
