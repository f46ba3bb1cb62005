package org.suncet.augment;

import ai.djl.ndarray.NDArray;

/**
 * The four adjustments of {@link ColorJitter}, each with its identity value (an adjustment at its
 * identity value is skipped) and its deterministic op in {@link ImageOps}.
 */
public enum ColorAdjustment {
    /** {@link ImageOps#adjustBrightness}, identity 1. */
    BRIGHTNESS(1),
    /** {@link ImageOps#adjustContrast}, identity 1. */
    CONTRAST(1),
    /** {@link ImageOps#adjustSaturation}, identity 1. */
    SATURATION(1),
    /** {@link ImageOps#adjustHue}, identity 0. */
    HUE(0);

    private final double identity;

    ColorAdjustment(double identity) {
        this.identity = identity;
    }

    /**
     * Returns the value at which the adjustment does nothing.
     *
     * @return 1 for the factors, 0 for the hue shift
     */
    public double identity() {
        return identity;
    }

    /**
     * Applies the adjustment.
     *
     * @param image float32 {@code [C, H, W]} or {@code [B, C, H, W]}
     * @param value the factor or hue shift
     * @return the adjusted image
     */
    public NDArray apply(NDArray image, double value) {
        switch (this) {
            case BRIGHTNESS: return ImageOps.adjustBrightness(image, value);
            case CONTRAST: return ImageOps.adjustContrast(image, value);
            case SATURATION: return ImageOps.adjustSaturation(image, value);
            default: return ImageOps.adjustHue(image, value);
        }
    }
}
