package org.suncet.examples.recipe;

import org.suncet.train.NonFiniteTrainingException;

/**
 * Adds where a failed step was to a {@link NonFiniteTrainingException}, as the progress output
 * counts (1-based): {@code "non-finite loss (NaN) ... at epoch 2 step 3 of 4"}. The library's steps
 * cannot say it; the recipes' epoch loops can.
 */
final class StepLocation {

    private StepLocation() {}

    /**
     * Returns {@code e} with {@code " at epoch E step S of N"} appended.
     *
     * @param e what the step threw
     * @param epoch the 0-based epoch
     * @param step the 0-based step of the epoch
     * @param steps the steps of an epoch
     * @return the located exception
     */
    static NonFiniteTrainingException located(NonFiniteTrainingException e, int epoch, int step, int steps) {
        return e.withContext(" at epoch " + (epoch + 1) + " step " + (step + 1) + " of " + steps);
    }
}
