package org.suncet.examples.run;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A one-line-per-epoch progress bar for a training loop:
 *
 * <pre>
 * epoch  3/10 [#########...........]  210/468  loss 4.1234  acc 53.2%  1234 img/s  0:17&lt;0:21
 * </pre>
 *
 * showing the epoch (1-based), the steps done of the epoch's steps, the mean loss and mean accuracy
 * over the epoch's steps so far (accuracy only when given), images per second, and elapsed time
 * with the estimated time left. When the epoch ends the line shows the epoch's totals and elapsed
 * time, and a new line starts.
 *
 * <p>On a terminal ({@link #isTerminal()}: {@code System.console() != null}) the line is redrawn in
 * place with a carriage return, at most every {@link Builder#optRedrawInterval redraw interval}
 * (default 0.1 s). Otherwise (output piped to a file or a CI log) a plain line is printed every
 * {@link Builder#optPlainInterval plain interval} (default 10 s), plus the epoch's final line, so
 * logs stay readable.
 *
 * <p>The clock is injectable for tests. Not thread-safe: call it from the training loop.
 */
public final class ProgressBar {

    /**
     * An epoch's totals.
     *
     * @param loss the mean loss over the epoch's steps (NaN if no step)
     * @param accuracy the mean accuracy over the steps that gave one (NaN if none did)
     * @param imagesPerSecond images over elapsed seconds
     * @param seconds elapsed seconds
     * @param steps steps taken
     */
    public record Summary(double loss, double accuracy, double imagesPerSecond, double seconds, long steps) {}

    private final PrintStream out;
    private final int epochs;
    private final long stepsPerEpoch;
    private final boolean interactive;
    private final LongSupplier nanoClock;
    private final int barWidth;
    private final long redrawNanos;
    private final long plainNanos;

    private int epochIndex = -1;
    private long steps;
    private long images;
    private double lossSum;
    private double accuracySum;
    private long accuracyCount;
    private long startNanos;
    private long lastDrawNanos;
    private int lastWidth;

    private ProgressBar(Builder builder) {
        this.out = builder.out;
        this.epochs = builder.epochs;
        this.stepsPerEpoch = builder.stepsPerEpoch;
        this.interactive = builder.interactive;
        this.nanoClock = builder.nanoClock;
        this.barWidth = builder.barWidth;
        this.redrawNanos = builder.redrawInterval.toNanos();
        this.plainNanos = builder.plainInterval.toNanos();
    }

    /**
     * A builder; {@link Builder#setOutput}, {@link Builder#setEpochs} and {@link
     * Builder#setStepsPerEpoch} are required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Whether standard output is an interactive terminal.
     *
     * @return {@code System.console() != null}
     */
    public static boolean isTerminal() {
        return System.console() != null;
    }

    /**
     * Starts an epoch: resets the counts and the clock.
     *
     * @param epochIndex the 0-based epoch index, shown 1-based
     * @throws IllegalArgumentException if {@code epochIndex} is not in [0, epochs)
     */
    public void startEpoch(int epochIndex) {
        if (epochIndex < 0 || epochIndex >= epochs) {
            throw new IllegalArgumentException("epochIndex must be in [0, " + epochs + "), got " + epochIndex);
        }
        this.epochIndex = epochIndex;
        steps = 0;
        images = 0;
        lossSum = 0;
        accuracySum = 0;
        accuracyCount = 0;
        startNanos = nanoClock.getAsLong();
        lastDrawNanos = startNanos;
        lastWidth = 0;
    }

    /**
     * Records a step without an accuracy.
     *
     * @param stepImages the images the step processed, ≥ 0
     * @param loss the step's loss
     */
    public void step(long stepImages, double loss) {
        step(stepImages, loss, Double.NaN);
    }

    /**
     * Records a step and redraws the line if it is time to.
     *
     * @param stepImages the images the step processed, ≥ 0
     * @param loss the step's loss (NaN is shown as such)
     * @param accuracy the step's accuracy in [0, 1], or NaN for none
     * @throws IllegalArgumentException if {@code stepImages} is negative
     * @throws IllegalStateException if no epoch was started
     */
    public void step(long stepImages, double loss, double accuracy) {
        requireEpoch();
        if (stepImages < 0) {
            throw new IllegalArgumentException("stepImages must be >= 0, got " + stepImages);
        }
        steps++;
        images += stepImages;
        lossSum += loss;
        if (!Double.isNaN(accuracy)) {
            accuracySum += accuracy;
            accuracyCount++;
        }
        long now = nanoClock.getAsLong();
        if (interactive && (now - lastDrawNanos >= redrawNanos || steps == stepsPerEpoch)) {
            draw(render(now, false), false);
            lastDrawNanos = now;
        } else if (!interactive && now - lastDrawNanos >= plainNanos) {
            draw(render(now, false), true);
            lastDrawNanos = now;
        }
    }

    /**
     * Ends the epoch: prints its final line and a line break.
     *
     * @return the epoch's totals
     * @throws IllegalStateException if no epoch was started
     */
    public Summary finishEpoch() {
        requireEpoch();
        long now = nanoClock.getAsLong();
        draw(render(now, true), true);
        double seconds = (now - startNanos) / 1e9;
        Summary summary =
                new Summary(
                        steps == 0 ? Double.NaN : lossSum / steps,
                        accuracyCount == 0 ? Double.NaN : accuracySum / accuracyCount,
                        seconds > 0 ? images / seconds : Double.NaN,
                        seconds,
                        steps);
        epochIndex = -1;
        return summary;
    }

    private void requireEpoch() {
        if (epochIndex < 0) {
            throw new IllegalStateException("no epoch started: call startEpoch first");
        }
    }

    private void draw(String line, boolean endLine) {
        if (interactive) {
            int padding = Math.max(0, lastWidth - line.length());
            out.print("\r" + line + " ".repeat(padding));
            lastWidth = line.length();
            if (endLine) {
                out.print('\n');
                lastWidth = 0;
            }
        } else {
            out.print(line + "\n");
        }
        out.flush();
    }

    /** The progress line at time {@code now}; {@code last} shows elapsed time only. */
    String render(long now, boolean last) {
        double seconds = Math.max(0, now - startNanos) / 1e9;
        int epochDigits = Integer.toString(epochs).length();
        int stepDigits = Long.toString(stepsPerEpoch).length();
        StringBuilder line = new StringBuilder();
        line.append(String.format(Locale.ROOT, "epoch %" + epochDigits + "d/%d ", epochIndex + 1, epochs));
        int filled = (int) Math.min(barWidth, barWidth * steps / stepsPerEpoch);
        line.append('[').append("#".repeat(filled)).append(".".repeat(barWidth - filled)).append(']');
        line.append(String.format(Locale.ROOT, " %" + stepDigits + "d/%d", steps, stepsPerEpoch));
        if (steps > 0) {
            line.append(String.format(Locale.ROOT, "  loss %.4f", lossSum / steps));
        }
        if (accuracyCount > 0) {
            line.append(String.format(Locale.ROOT, "  acc %.1f%%", 100 * accuracySum / accuracyCount));
        }
        line.append(seconds > 0 ? String.format(Locale.ROOT, "  %.0f img/s", images / seconds) : "  - img/s");
        line.append("  ").append(clock(seconds));
        if (!last) {
            String left = steps == 0 ? "?" : clock(seconds / steps * Math.max(0, stepsPerEpoch - steps));
            line.append('<').append(left);
        }
        return line.toString();
    }

    /** Formats seconds as m:ss, or h:mm:ss from an hour on. */
    static String clock(double seconds) {
        long total = Math.round(seconds);
        long hours = total / 3600;
        long minutes = (total % 3600) / 60;
        long rest = total % 60;
        return hours > 0
                ? String.format(Locale.ROOT, "%d:%02d:%02d", hours, minutes, rest)
                : String.format(Locale.ROOT, "%d:%02d", minutes, rest);
    }

    /** Builds a {@link ProgressBar}. */
    public static final class Builder {

        private PrintStream out;
        private int epochs;
        private long stepsPerEpoch;
        private boolean interactive = isTerminal();
        private LongSupplier nanoClock = System::nanoTime;
        private int barWidth = 20;
        private Duration redrawInterval = Duration.ofMillis(100);
        private Duration plainInterval = Duration.ofSeconds(10);

        private Builder() {}

        /**
         * Sets where the bar is printed (required).
         *
         * @param out the stream, usually {@code System.out}
         * @return this builder
         */
        public Builder setOutput(PrintStream out) {
            this.out = out;
            return this;
        }

        /**
         * Sets the number of epochs (required, ≥ 1).
         *
         * @param epochs the epochs of the run
         * @return this builder
         */
        public Builder setEpochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        /**
         * Sets the steps of one epoch (required, ≥ 1).
         *
         * @param stepsPerEpoch steps per epoch
         * @return this builder
         */
        public Builder setStepsPerEpoch(long stepsPerEpoch) {
            this.stepsPerEpoch = stepsPerEpoch;
            return this;
        }

        /**
         * Sets whether to redraw in place (default {@link #isTerminal()}).
         *
         * @param interactive true for carriage-return redraws, false for plain periodic lines
         * @return this builder
         */
        public Builder optInteractive(boolean interactive) {
            this.interactive = interactive;
            return this;
        }

        /**
         * Sets the clock (default {@link System#nanoTime()}).
         *
         * @param nanoClock returns a monotonic time in nanoseconds
         * @return this builder
         */
        public Builder optClock(LongSupplier nanoClock) {
            this.nanoClock = nanoClock;
            return this;
        }

        /**
         * Sets the bar's width in characters (default 20, ≥ 1).
         *
         * @param barWidth the width
         * @return this builder
         */
        public Builder optBarWidth(int barWidth) {
            this.barWidth = barWidth;
            return this;
        }

        /**
         * Sets the shortest time between two in-place redraws (default 0.1 s).
         *
         * @param redrawInterval the interval, ≥ 0
         * @return this builder
         */
        public Builder optRedrawInterval(Duration redrawInterval) {
            this.redrawInterval = redrawInterval;
            return this;
        }

        /**
         * Sets the time between two plain lines when not on a terminal (default 10 s).
         *
         * @param plainInterval the interval, ≥ 0
         * @return this builder
         */
        public Builder optPlainInterval(Duration plainInterval) {
            this.plainInterval = plainInterval;
            return this;
        }

        /**
         * Builds the bar.
         *
         * @return the progress bar
         * @throws IllegalArgumentException if a required setting is missing or a value is out of range
         */
        public ProgressBar build() {
            if (out == null) {
                throw new IllegalArgumentException("output must be set");
            }
            if (epochs < 1) {
                throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
            }
            if (stepsPerEpoch < 1) {
                throw new IllegalArgumentException("stepsPerEpoch must be >= 1, got " + stepsPerEpoch);
            }
            if (barWidth < 1) {
                throw new IllegalArgumentException("barWidth must be >= 1, got " + barWidth);
            }
            if (nanoClock == null) {
                throw new IllegalArgumentException("clock must not be null");
            }
            if (redrawInterval == null || redrawInterval.isNegative()) {
                throw new IllegalArgumentException("redrawInterval must be >= 0, got " + redrawInterval);
            }
            if (plainInterval == null || plainInterval.isNegative()) {
                throw new IllegalArgumentException("plainInterval must be >= 0, got " + plainInterval);
            }
            return new ProgressBar(this);
        }
    }
}
