package org.suncet.train;

/**
 * Where a training batch stands in its epoch, as DJL's {@code Batch} tells training listeners
 * ({@code getProgress()}, {@code getProgressTotal()}): after this batch, {@code progress} of the
 * epoch's {@code total} items are done. DJL's own loader counts items in samples ({@code
 * DataIterable}: images so far of the dataset's size); {@code LoggingTrainingListener} draws its
 * progress bar from the two numbers, so any unit works as long as one epoch uses one.
 *
 * <p>The library's steps take one to report each batch to the trainer's listeners ({@link
 * PretrainingStep}, {@link SupervisedStep}, {@link DistillationStep}); {@link #SINGLE} is what a
 * step reports when its caller gives none.
 *
 * @param progress items done after this batch, in [1, total]
 * @param total items of the epoch, ≥ 1
 */
public record BatchProgress(long progress, long total) {

    /** A batch on its own: 1 of 1, what a step reports when its caller gives no progress. */
    public static final BatchProgress SINGLE = new BatchProgress(1, 1);

    /**
     * Checks the values.
     *
     * @param progress items done after this batch
     * @param total items of the epoch
     * @throws IllegalArgumentException unless {@code 1 <= progress <= total}
     */
    public BatchProgress {
        if (total < 1 || progress < 1 || progress > total) {
            throw new IllegalArgumentException(
                    "batch progress must satisfy 1 <= progress <= total, got progress "
                            + progress
                            + " of "
                            + total);
        }
    }

    /**
     * Returns the progress after step {@code step} (0-based) of an epoch of {@code steps} steps
     * of {@code itemsPerStep} items each: {@code ((step + 1)·items, steps·items)}.
     *
     * @param step the 0-based step, in [0, steps)
     * @param steps the steps of the epoch, ≥ 1
     * @param itemsPerStep items per step (e.g. images), ≥ 1
     * @return the progress
     * @throws IllegalArgumentException if a value is out of range
     */
    public static BatchProgress ofStep(int step, int steps, long itemsPerStep) {
        if (itemsPerStep < 1 || step < 0 || step >= steps) {
            throw new IllegalArgumentException(
                    "need 0 <= step < steps and itemsPerStep >= 1, got step "
                            + step
                            + ", steps "
                            + steps
                            + ", itemsPerStep "
                            + itemsPerStep);
        }
        return new BatchProgress((step + 1L) * itemsPerStep, steps * itemsPerStep);
    }
}
