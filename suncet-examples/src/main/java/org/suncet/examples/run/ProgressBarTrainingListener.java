package org.suncet.examples.run;

import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.listener.TrainingListenerAdapter;
import org.suncet.train.StepMetrics;

/**
 * A DJL training listener that draws a {@link ProgressBar} from the events every listener gets, so
 * the command-line programs show their progress through the same path as DJL's {@code
 * LoggingTrainingListener} or a user's listener:
 *
 * <ul>
 *   <li>{@code onTrainingBatch}: one step of the bar; its images are the batch's progress since the
 *       previous batch ({@code Batch.getProgress()}: unlabeled images for pre-training, images for
 *       fine-tuning and distillation), its loss and accuracy the latest {@link StepMetrics#LOSS} and
 *       {@link StepMetrics#ACCURACY} in the trainer's DJL metrics (the library's steps record them
 *       there before they tell the listeners; NaN when absent, and an accuracy of NaN is not shown);
 *   <li>{@code onEpoch}: the epoch's final line ({@link ProgressBar#finishEpoch()});
 *   <li>{@code onTrainingEnd} (the trainer is closed): the line of an epoch left open, e.g. by a
 *       step that failed its finite check, so the output shows how far it got.
 * </ul>
 *
 * <p>DJL has no event for the start of an epoch. The loop calls {@link #startEpoch(int)} just
 * before it, so the epoch's clock includes its first step; otherwise the first batch opens the epoch
 * after the last one completed (0 first) and the clock starts there.
 *
 * <p>The bar's steps per epoch are fixed when it is built: build it with the trainer's. A listener
 * only reads: a run with it computes what the same run without it does, bit for bit. Not
 * thread-safe, like the bar: the library's steps tell listeners from the training loop's thread.
 */
public final class ProgressBarTrainingListener extends TrainingListenerAdapter {

    private final ProgressBar bar;
    private int nextEpoch;
    private boolean open;
    private long progressDone;
    private ProgressBar.Summary lastSummary;

    /**
     * Creates a listener drawing {@code bar}.
     *
     * @param bar the progress bar, built with the run's epochs and steps per epoch
     * @throws IllegalArgumentException if {@code bar} is null
     */
    public ProgressBarTrainingListener(ProgressBar bar) {
        if (bar == null) {
            throw new IllegalArgumentException("bar must not be null");
        }
        this.bar = bar;
    }

    /**
     * Opens an epoch: resets the bar's counts and starts its clock.
     *
     * @param epoch the 0-based epoch, shown 1-based
     * @throws IllegalStateException if an epoch is open
     * @throws IllegalArgumentException if {@code epoch} is outside the bar's epochs
     */
    public void startEpoch(int epoch) {
        if (open) {
            throw new IllegalStateException("epoch " + (nextEpoch + 1) + " is still open");
        }
        bar.startEpoch(epoch);
        nextEpoch = epoch;
        open = true;
        progressDone = 0;
    }

    /**
     * Returns the totals of the last epoch closed (by {@code onEpoch} or {@code onTrainingEnd}).
     *
     * @return the summary, or null before the first
     */
    public ProgressBar.Summary getLastSummary() {
        return lastSummary;
    }

    /** {@inheritDoc} */
    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        if (!open) {
            startEpoch(nextEpoch);
        }
        Batch batch = batchData.getBatch();
        long progress = batch.getProgress();
        long images = progress >= progressDone ? progress - progressDone : progress;
        progressDone = progress;
        bar.step(
                images,
                StepMetrics.latest(trainer, StepMetrics.LOSS),
                StepMetrics.latest(trainer, StepMetrics.ACCURACY));
    }

    /** {@inheritDoc} */
    @Override
    public void onEpoch(Trainer trainer) {
        if (open) {
            close();
        }
        nextEpoch++;
    }

    /** {@inheritDoc} */
    @Override
    public void onTrainingEnd(Trainer trainer) {
        if (open) {
            close();
        }
    }

    private void close() {
        lastSummary = bar.finishEpoch();
        open = false;
    }
}
