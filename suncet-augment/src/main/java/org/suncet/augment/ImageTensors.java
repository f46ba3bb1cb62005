package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Set;

/**
 * Conversions between what DJL datasets and image readers give and the float CHW images in [0, 1] that
 * {@link ImageOps} and the random transforms take (the layout of SimCLR's and torchvision's
 * {@code ToTensor}).
 *
 * <ul>
 *   <li>{@link #toFloatChw}: {@code [H, W]}, {@code [H, W, C]} or {@code [B, H, W, C]} with C = 1 or 3,
 *       any integer or float dtype holding 0-255 values (uint8 from {@code ImageFactory}, float32 from
 *       {@code Mnist}/{@code FashionMnist}) to float32 {@code [C, H, W]} / {@code [B, C, H, W]} =
 *       {@code value / 255}.</li>
 *   <li>{@link #toRgb}: a one-channel image repeated to 3 channels, for colour augmentation of
 *       grayscale data.</li>
 * </ul>
 * Both are method references that fit DJL's {@code Transform}, e.g.
 * {@code new Pipeline().add(ImageTensors::toFloatChw)}. Bad input (another rank, 2 or 4+ channels, a
 * dtype other than uint8, int8/16/32/64, float32/64) gets an {@link IllegalArgumentException}. Values are not range-checked
 * (that would need a host round trip): float input already in [0, 1] must not be passed here.
 */
public final class ImageTensors {

    private static final Set<DataType> ACCEPTED = Set.of(DataType.UINT8, DataType.INT8, DataType.INT16,
            DataType.INT32, DataType.INT64, DataType.FLOAT32, DataType.FLOAT64);

    private ImageTensors() {}

    /**
     * Converts an HWC image (or a batch of them) holding values 0-255 to float32 CHW in [0, 1].
     *
     * @param image {@code [H, W]}, {@code [H, W, C]} or {@code [B, H, W, C]}, C = 1 or 3
     * @return {@code [C, H, W]} or {@code [B, C, H, W]} float32, {@code value / 255}
     */
    public static NDArray toFloatChw(NDArray image) {
        if (image == null) {
            throw new IllegalArgumentException("image must not be null");
        }
        Shape shape = image.getShape();
        int rank = shape.dimension();
        DataType type = image.getDataType();
        if (!ACCEPTED.contains(type)) {
            throw new IllegalArgumentException("image must hold numbers 0-255 as one of " + ACCEPTED
                    + ", got dtype " + type);
        }
        if (rank < 2 || rank > 4 || (rank > 2 && shape.get(rank - 1) != 1 && shape.get(rank - 1) != 3)) {
            throw new IllegalArgumentException("image must be [H, W], [H, W, C] or [B, H, W, C] with C = 1 or 3"
                    + " (channels last), got shape " + shape);
        }
        return Scoped.compute(scope -> {
            NDArray hwc = rank == 2 ? image.expandDims(2) : image;
            NDArray chw = rank == 4 ? hwc.transpose(0, 3, 1, 2) : hwc.transpose(2, 0, 1);
            return chw.toType(DataType.FLOAT32, true).div(255f);
        }, image);
    }

    /**
     * Repeats a one-channel image to 3 channels; a 3-channel image is copied unchanged.
     *
     * @param image float32 {@code [1 or 3, H, W]} or {@code [B, 1 or 3, H, W]}
     * @return {@code [3, H, W]} or {@code [B, 3, H, W]}
     */
    public static NDArray toRgb(NDArray image) {
        ImageChecks.requireImage(image, "image", false);
        return ImageOps.perImage(image, (batch, scope) -> batch.getShape().get(1) == 3 ? batch.duplicate()
                : batch.repeat(1, 3));
    }
}
