package org.suncet.augment;

/**
 * A crop box in pixels: rows {@code top .. top + height - 1}, columns {@code left .. left + width - 1}.
 * The parameters that {@link RandomResizedCrop} draws and {@link ImageOps#resizedCrop} applies.
 *
 * @param top first row, {@code >= 0}
 * @param left first column, {@code >= 0}
 * @param height rows in the box, {@code >= 1}
 * @param width columns in the box, {@code >= 1}
 */
public record CropBox(long top, long left, long height, long width) {

    /**
     * Checks the box.
     *
     * @throws IllegalArgumentException if {@code top} or {@code left} is negative or {@code height} or
     *     {@code width} is not positive
     */
    public CropBox {
        if (top < 0 || left < 0 || height < 1 || width < 1) {
            throw new IllegalArgumentException("crop box needs top >= 0, left >= 0, height >= 1, width >= 1, got "
                    + "top=" + top + ", left=" + left + ", height=" + height + ", width=" + width);
        }
    }

    /**
     * Checks that the box lies inside an image of the given size.
     *
     * @param imageHeight the image height
     * @param imageWidth the image width
     * @throws IllegalArgumentException if the box reaches outside the image
     */
    public void requireInside(long imageHeight, long imageWidth) {
        if (top + height > imageHeight || left + width > imageWidth) {
            throw new IllegalArgumentException("crop box " + this + " reaches outside the image of height "
                    + imageHeight + " and width " + imageWidth + " (needs top + height <= " + imageHeight
                    + " and left + width <= " + imageWidth + ")");
        }
    }

    /**
     * The centred box of the given size, torchvision's {@code center_crop} rule:
     * {@code top = round((H - h) / 2)}, {@code left = round((W - w) / 2)} (round half to even).
     *
     * @param imageHeight the image height
     * @param imageWidth the image width
     * @param height the box height, at most {@code imageHeight}
     * @param width the box width, at most {@code imageWidth}
     * @return the centred box
     * @throws IllegalArgumentException if the box is larger than the image or not positive
     */
    public static CropBox centered(long imageHeight, long imageWidth, long height, long width) {
        if (height > imageHeight || width > imageWidth) {
            throw new IllegalArgumentException("centre crop " + height + "x" + width
                    + " is larger than the image " + imageHeight + "x" + imageWidth);
        }
        return new CropBox((long) Math.rint((imageHeight - height) / 2.0),
                (long) Math.rint((imageWidth - width) / 2.0), height, width);
    }
}
