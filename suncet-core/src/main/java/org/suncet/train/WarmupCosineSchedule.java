package org.suncet.train;

import ai.djl.training.tracker.Tracker;

/**
 * A learning-rate schedule of linear warm-up then cosine decay, as SimCLR trains with (Chen et al.
 * 2020, "A Simple Framework for Contrastive Learning of Visual Representations", arXiv 2002.05709;
 * SimCLR v2, Chen et al. 2020, "Big Self-Supervised Models are Strong Semi-Supervised Learners",
 * arXiv 2006.10029). With peak value {@code p}, final value {@code f}, {@code W} warm-up steps and
 * {@code T} total steps, the value at update {@code t} is
 *
 * <pre>
 *   lr(t) = p · t / W                                              for 0 ≤ t ≤ W   (W &gt; 0)
 *   lr(t) = f + (p − f) · ½ · (1 + cos(π · (t − W) / (T − W)))    for W ≤ t ≤ T
 *   lr(t) = f                                                      for t &gt; T
 * </pre>
 *
 * <p>{@code t} is DJL's update count: an {@link ai.djl.training.optimizer.Optimizer} asks for
 * {@code t = 1} at its first update, so the first step trains at {@code p/W} (not 0), the {@code
 * W}-th at the peak, and the {@code T}-th, the last, at exactly {@code f}. The default final value
 * is 0 (DJL's {@code CosineTracker} defaults to 0.01). Both pieces are continuous at {@code W}; the
 * values rise monotonically during warm-up and fall monotonically after.
 *
 * <p>Paper settings: SimCLR v1 warms up for 10 epochs, v2 for 5 % of the steps ({@link
 * Builder#optWarmupFraction(double)}); the peak follows a {@link LearningRateScaling} rule.
 *
 * <p>Bad input ({@link IllegalArgumentException}): at build time, a peak value that is not finite
 * and &gt; 0, a final value outside [0, peak], total steps &lt; 1, warm-up steps outside [0, T) or
 * a warm-up fraction outside [0, 1); at query time, a negative {@code t}.
 */
public final class WarmupCosineSchedule implements Tracker {

    private final double peakValue;
    private final double finalValue;
    private final int warmupSteps;
    private final int totalSteps;

    private WarmupCosineSchedule(Builder builder) {
        if (!(builder.peakValue > 0f) || Float.isInfinite(builder.peakValue)) {
            throw new IllegalArgumentException(
                    "peakValue must be finite and > 0, got " + builder.peakValue);
        }
        if (!(builder.finalValue >= 0f && builder.finalValue <= builder.peakValue)) {
            throw new IllegalArgumentException(
                    "finalValue must be in [0, peakValue = "
                            + builder.peakValue
                            + "], got "
                            + builder.finalValue);
        }
        if (builder.totalSteps < 1) {
            throw new IllegalArgumentException(
                    "totalSteps must be >= 1, got " + builder.totalSteps);
        }
        int warmup;
        if (builder.warmupFraction != null) {
            double fraction = builder.warmupFraction;
            if (!(fraction >= 0 && fraction < 1)) {
                throw new IllegalArgumentException(
                        "warmupFraction must be in [0, 1), got " + fraction);
            }
            warmup =
                    (int)
                            Math.min(
                                    Math.round(fraction * builder.totalSteps),
                                    builder.totalSteps - 1L);
        } else {
            warmup = builder.warmupSteps;
        }
        if (warmup < 0 || warmup >= builder.totalSteps) {
            throw new IllegalArgumentException(
                    "warmupSteps must be in [0, totalSteps = "
                            + builder.totalSteps
                            + "), got "
                            + warmup);
        }
        this.peakValue = builder.peakValue;
        this.finalValue = builder.finalValue;
        this.warmupSteps = warmup;
        this.totalSteps = builder.totalSteps;
    }

    /**
     * Returns a builder with no warm-up and a final value of 0.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the value at update {@code numUpdate}.
     *
     * @param numUpdate the update count t ≥ 0 (DJL's optimizers start at 1)
     * @return lr(t)
     * @throws IllegalArgumentException if {@code numUpdate} is negative
     */
    @Override
    public float getNewValue(int numUpdate) {
        if (numUpdate < 0) {
            throw new IllegalArgumentException("numUpdate must be >= 0, got " + numUpdate);
        }
        if (numUpdate < warmupSteps) {
            return (float) (peakValue * numUpdate / warmupSteps);
        }
        if (numUpdate >= totalSteps) {
            return (float) finalValue;
        }
        double progress = (double) (numUpdate - warmupSteps) / (totalSteps - warmupSteps);
        return (float)
                (finalValue + (peakValue - finalValue) * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }

    /**
     * Returns the peak value p, reached at the end of warm-up.
     *
     * @return p
     */
    public float getPeakValue() {
        return (float) peakValue;
    }

    /**
     * Returns the final value f, reached at the last step.
     *
     * @return f
     */
    public float getFinalValue() {
        return (float) finalValue;
    }

    /**
     * Returns the number of warm-up steps W.
     *
     * @return W
     */
    public int getWarmupSteps() {
        return warmupSteps;
    }

    /**
     * Returns the total number of steps T.
     *
     * @return T
     */
    public int getTotalSteps() {
        return totalSteps;
    }

    /** Builds a {@link WarmupCosineSchedule}. */
    public static final class Builder {
        float peakValue = Float.NaN;
        float finalValue;
        int totalSteps;
        int warmupSteps;
        Double warmupFraction;

        Builder() {}

        /**
         * Sets the peak value p (required, finite and &gt; 0), for example {@code
         * LearningRateScaling.linear(0.3, batchSize)}.
         *
         * @param peakValue p
         * @return this builder
         */
        public Builder setPeakValue(float peakValue) {
            this.peakValue = peakValue;
            return this;
        }

        /**
         * Sets the total number of steps T (required, ≥ 1): the value reaches the final value at
         * update T.
         *
         * @param totalSteps T
         * @return this builder
         */
        public Builder setTotalSteps(int totalSteps) {
            this.totalSteps = totalSteps;
            return this;
        }

        /**
         * Sets the number of warm-up steps W (default 0, must be in [0, T)); replaces an earlier
         * {@link #optWarmupFraction(double)}.
         *
         * @param warmupSteps W
         * @return this builder
         */
        public Builder optWarmupSteps(int warmupSteps) {
            this.warmupSteps = warmupSteps;
            this.warmupFraction = null;
            return this;
        }

        /**
         * Sets the warm-up as a fraction of the total steps, W = round(fraction · T) (SimCLR v2:
         * 0.05; must be in [0, 1)); replaces an earlier {@link #optWarmupSteps(int)}.
         *
         * @param warmupFraction the fraction of steps spent warming up
         * @return this builder
         */
        public Builder optWarmupFraction(double warmupFraction) {
            this.warmupFraction = warmupFraction;
            return this;
        }

        /**
         * Sets the final value f reached at the last step (default 0, must be in [0, p]).
         *
         * @param finalValue f
         * @return this builder
         */
        public Builder optFinalValue(float finalValue) {
            this.finalValue = finalValue;
            return this;
        }

        /**
         * Builds the schedule.
         *
         * @return the schedule
         * @throws IllegalArgumentException if a setting is missing or out of range (see {@link
         *     WarmupCosineSchedule})
         */
        public WarmupCosineSchedule build() {
            return new WarmupCosineSchedule(this);
        }
    }
}
