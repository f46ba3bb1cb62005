package org.suncet.examples.recipe;

import org.suncet.augment.SimClrAugmentation;
import org.suncet.augment.SimClrAugmentationBuilder;

/**
 * How the labeled support images of SuNCEt are augmented during pre-training (issue 15's
 * ablation). The official code (facebookresearch/suncet) gives the support SimCLR's own view;
 * {@link #CROP_FLIP} keeps only the random resized crop and the flip, {@link #NONE} forwards the
 * image as it is.
 */
public enum SupportView {
    /** SimCLR's CIFAR-strength view, the same pipeline as the unlabeled images (the default). */
    SIMCLR,
    /** The random resized crop [cropScaleMin, 1] and a horizontal flip; no colour changes. */
    CROP_FLIP,
    /** No augmentation: the image itself. */
    NONE;

    /**
     * Returns the builder of this view's augmentation.
     *
     * @param side the output side in pixels
     * @param cropScaleMin the smallest crop area fraction (ignored by {@link #NONE})
     * @return the builder, unseeded
     */
    public SimClrAugmentationBuilder builder(int side, double cropScaleMin) {
        return switch (this) {
            case SIMCLR -> SimClrAugmentation.cifar(side).optCropScale(cropScaleMin, 1);
            case CROP_FLIP -> SimClrAugmentation.cropAndFlip(side).optCropScale(cropScaleMin, 1);
            case NONE -> SimClrAugmentation.cropAndFlip(side).optCropScale(1, 1).optCropRatio(1, 1).optFlipProbability(0);
        };
    }

    /**
     * Parses a name as written on a command line: {@code simclr}, {@code crop-flip} or {@code none}.
     *
     * @param name the name
     * @return the view
     * @throws IllegalArgumentException naming the value and the choices, for any other name
     */
    public static SupportView parse(String name) {
        for (SupportView v : values()) {
            if (v.cliName().equals(name)) {
                return v;
            }
        }
        throw new IllegalArgumentException(
                "support augmentation must be simclr, crop-flip or none, got '" + name + "'");
    }

    /**
     * Returns the command-line name.
     *
     * @return {@code simclr}, {@code crop-flip} or {@code none}
     */
    public String cliName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
