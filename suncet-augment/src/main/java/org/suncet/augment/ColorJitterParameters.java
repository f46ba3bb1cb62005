package org.suncet.augment;

import java.util.EnumSet;
import java.util.List;

/**
 * One draw of {@link ColorJitter}: the order of the four adjustments and their values. An adjustment
 * whose value is its identity ({@link ColorAdjustment#identity()}) is skipped.
 *
 * @param order the four adjustments, each once, in the order they are applied
 * @param brightness brightness factor, {@code >= 0}
 * @param contrast contrast factor, {@code >= 0}
 * @param saturation saturation factor, {@code >= 0}
 * @param hue hue shift in [-0.5, 0.5]
 */
public record ColorJitterParameters(List<ColorAdjustment> order, double brightness, double contrast,
        double saturation, double hue) {

    /**
     * Checks the record.
     *
     * @throws IllegalArgumentException if {@code order} is not a permutation of the four adjustments or
     *     a value is out of range
     */
    public ColorJitterParameters {
        if (order == null || order.size() != 4 || !EnumSet.copyOf(order).equals(EnumSet.allOf(ColorAdjustment.class))) {
            throw new IllegalArgumentException("order must list each of " + EnumSet.allOf(ColorAdjustment.class)
                    + " once, got " + order);
        }
        order = List.copyOf(order);
        ImageChecks.requireNonNegative(brightness, "brightness factor");
        ImageChecks.requireNonNegative(contrast, "contrast factor");
        ImageChecks.requireNonNegative(saturation, "saturation factor");
        ImageChecks.requireHue(hue, "hue delta");
    }

    /**
     * Returns the value of one adjustment.
     *
     * @param adjustment the adjustment
     * @return its factor or shift
     */
    public double value(ColorAdjustment adjustment) {
        switch (adjustment) {
            case BRIGHTNESS: return brightness;
            case CONTRAST: return contrast;
            case SATURATION: return saturation;
            default: return hue;
        }
    }
}
