package org.suncet.augment;

/**
 * Everything {@link SimClrAugmentation} drew for one view, in the order it is applied; record it to
 * log a view and pass it back to {@link SimClrAugmentation#apply} to replay the view exactly.
 *
 * @param crop the crop box in the input image
 * @param flip whether the view is flipped horizontally
 * @param colorJitter whether colour jitter runs, and its order and values
 * @param grayscale whether the view is made gray
 * @param blur whether the view is blurred, and the kernel size and sigma
 * @param solarize whether the view is solarized
 */
public record SimClrViewParameters(CropBox crop, boolean flip, Applied<ColorJitterParameters> colorJitter,
        boolean grayscale, Applied<BlurParameters> blur, boolean solarize) {

    /**
     * Checks the record.
     *
     * @throws IllegalArgumentException if a component is null
     */
    public SimClrViewParameters {
        if (crop == null || colorJitter == null || blur == null) {
            throw new IllegalArgumentException("crop, colorJitter and blur must not be null");
        }
    }
}
