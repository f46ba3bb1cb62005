package org.suncet.examples.recipe;

import ai.djl.ndarray.NDArray;

/**
 * <b>Test-only hook</b>: makes the input images of one chosen training step NaN, so that tests can
 * drive a program into a non-finite loss (and gradients) at an exact epoch and step, the same on
 * every machine. A real cause (an absurd learning rate) diverges too, but at a step that depends on
 * the CPU's kernels, and never in a chosen later epoch of an otherwise healthy run.
 *
 * <p>It is read from the system property {@value #PROPERTY}, whose value is {@code
 * RECIPE:EPOCH:STEP}: {@code pretraining}, {@code supervised} or {@code distillation} (the recipe
 * whose step is poisoned), and the 1-based epoch and step as the progress output shows them, e.g.
 * {@code -Dsuncet.test.nanInputAt=pretraining:2:3}. Unset (always, outside tests) it does nothing.
 * The poisoned images enter the model like any bad data would; the library's finite check is what
 * stops the step.
 */
final class InjectedNaN {

    /** The system property naming the poisoned step. */
    static final String PROPERTY = "suncet.test.nanInputAt";

    private InjectedNaN() {}

    /**
     * Returns which step of {@code epoch} to poison for {@code recipe}.
     *
     * @param recipe {@code pretraining}, {@code supervised} or {@code distillation}
     * @param epoch the 0-based epoch
     * @return the 0-based step, or −1 for none
     * @throws IllegalArgumentException if the property is set but malformed
     */
    static int stepOf(String recipe, int epoch) {
        String value = System.getProperty(PROPERTY);
        if (value == null || value.isEmpty()) {
            return -1;
        }
        String[] parts = value.split(":");
        try {
            if (parts.length != 3) {
                throw new NumberFormatException();
            }
            int targetEpoch = Integer.parseInt(parts[1]);
            int targetStep = Integer.parseInt(parts[2]);
            return parts[0].equals(recipe) && targetEpoch == epoch + 1 ? targetStep - 1 : -1;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    PROPERTY + " must be RECIPE:EPOCH:STEP (e.g. pretraining:2:3), got '" + value + "'", e);
        }
    }

    /**
     * Returns {@code images} times NaN, owned by their manager.
     *
     * @param images the step's input images
     * @return images of the same shape, every value NaN
     */
    static NDArray poison(NDArray images) {
        return images.mul(Float.NaN);
    }
}
