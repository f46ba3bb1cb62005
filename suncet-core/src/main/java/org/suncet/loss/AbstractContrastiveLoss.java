package org.suncet.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;
import org.suncet.ndarray.MallocTuning;

/**
 * Base of the contrastive losses: a temperature, a {@link Similarity}, a {@link
 * PositiveAggregation}, and the choice of positives; the arithmetic is {@link ContrastiveCore}.
 *
 * <p>Value checks ({@code optCheckValues}, on by default) read one small array back to the host per
 * call: non-finite embeddings, negative or non-integral labels, and a batch in which no row has a
 * positive then throw {@link IllegalArgumentException}. Switch them off in a tuned loop where the
 * inputs are known to be good; shape checks always run.
 *
 * <p><b>Two computations, one result.</b> By default ({@code optFused(true)}) the loss and its
 * gradient are computed together in one pass over blocks of rows, never holding the {@code M × M}
 * similarity matrix: memory grows as {@code B × M + O(M·D)} instead of a dozen {@code M × M}
 * matrices (NT-Xent at 2N = 32768, D = 128, float32: 0.5 GiB peak for the whole process), and a
 * forward + backward pass on one thread was 1.2–4.4× faster at 2N = 4096 and 8192, 1–2.6× at
 * 1024, and within ±0.4 ms of autograd at 2N ≤ 256 (a fixed cost of more native calls; measured on
 * a busy 2-core machine, so indicative). The gradient it hands to autograd is final: it cannot
 * be differentiated again. {@code optFused(false)} selects the autograd computation of {@link
 * ContrastiveCore}, which records every {@code M × M} step and so supports higher-order
 * gradients. Both give the same value and gradient up to rounding (1e-10 relative in float64).
 * {@code optRowBlock(B)} sets the rows per block of the fused path (0, the default, picks B so
 * that a {@code B × M} block is about 16 MiB, and at least 64 rows; from D = 512 on, one block
 * of up to 256 MiB, whose gradient takes one matrix product fewer).
 *
 * <p><b>Which prediction.</b> DJL's {@code Trainer} and {@code EasyTrain} hand a loss the model's
 * whole output list; {@code ContrastiveModel} puts out {@code NDList(h, z)} (features, projection).
 * The loss reads the array at {@code optPredictionIndex(i)}: by default −1, the last array, so
 * {@code NDList(z)} and {@code NDList(h, z)} both give z; other arrays of the list are ignored. An
 * index outside the list throws {@link IllegalArgumentException} naming the index, the list's size
 * and its shapes. (DJL's {@code IndexLoss} wraps a loss to the same end, but its accumulators read
 * float32 only.)
 *
 * <p><b>Who owns the result.</b> As for any DJL operation: the input's manager, and the caller's
 * {@code NDScope} if one is open, so a scope around each call closes every array the call made.
 */
public abstract class AbstractContrastiveLoss extends AccumulatingLoss {

    private final float temperature;
    private final boolean checkValues;
    private final boolean fused;
    private final int rowBlock;
    private final int predictionIndex;

    /**
     * Creates the loss from its builder.
     *
     * @param builder the builder holding name, temperature and the check flag
     */
    protected AbstractContrastiveLoss(BaseBuilder<?> builder) {
        super(builder.name);
        MallocTuning.ensureApplied();
        this.temperature = InputChecks.temperature(builder.temperature);
        this.checkValues = builder.checkValues;
        this.fused = builder.fused;
        if (builder.rowBlock < 0) {
            throw new IllegalArgumentException(
                    "rowBlock must be >= 0 (0 = automatic), got " + builder.rowBlock);
        }
        this.rowBlock = builder.rowBlock;
        this.predictionIndex = InputChecks.predictionIndex(builder.predictionIndex);
    }

    /**
     * Returns the temperature τ.
     *
     * @return τ
     */
    public float getTemperature() {
        return temperature;
    }

    /**
     * Returns whether data-dependent input checks run.
     *
     * @return whether values are checked
     */
    public boolean isCheckingValues() {
        return checkValues;
    }

    /**
     * Returns whether the fused, row-blocked computation is used (the default).
     *
     * @return whether the loss is fused
     */
    public boolean isFused() {
        return fused;
    }

    /**
     * Returns the rows per block of the fused computation; 0 means automatic.
     *
     * @return the requested block rows
     */
    public int getRowBlock() {
        return rowBlock;
    }

    /**
     * Returns which array of the predictions list the loss reads: ≥ 0, or −1 (the default) for the
     * last.
     *
     * @return the prediction index
     */
    public int getPredictionIndex() {
        return predictionIndex;
    }

    /**
     * Returns the checked {@code [M, D]} embeddings at {@link #getPredictionIndex()} of {@code
     * predictions}.
     *
     * @param predictions the model's outputs, as DJL's {@code Trainer} passes them
     * @return the embeddings (an array of the list, not a copy)
     * @throws IllegalArgumentException if the list is empty, the index lies outside it, or the
     *     array is not {@code [M, D]} floating point with M ≥ 2
     */
    protected NDArray embeddings(NDList predictions) {
        return InputChecks.embeddings(InputChecks.pick(predictions, predictionIndex, "predictions"));
    }

    /**
     * Computes the loss of {@code [M, D]} embeddings whose positives are the rows of equal id.
     *
     * @param embeddings the checked embeddings
     * @param classIds {@code [M]} ids
     * @param similarity the similarity
     * @param aggregation the aggregation of positives
     * @return the scalar loss
     */
    protected NDArray compute(
            NDArray embeddings,
            NDArray classIds,
            Similarity similarity,
            PositiveAggregation aggregation) {
        if (fused) {
            return FusedContrastiveCore.labeled(
                    embeddings, classIds, similarity, aggregation, temperature, checkValues, rowBlock);
        }
        return ContrastiveCore.meanLoss(
                embeddings, classIds, similarity, aggregation, temperature, checkValues);
    }

    /** A loss over labeled embeddings: {@code labels = NDList(y [M])}, {@code predictions = NDList(z [M, D])}. */
    abstract static class Supervised extends AbstractContrastiveLoss {
        private final Similarity similarity;
        private final PositiveAggregation aggregation;

        Supervised(BaseBuilder<?> builder, Similarity similarity, PositiveAggregation aggregation) {
            super(builder);
            this.similarity = similarity;
            this.aggregation = aggregation;
        }

        /** {@inheritDoc} */
        @Override
        public NDArray evaluate(NDList labels, NDList predictions) {
            return evaluateEmbeddings(labels, embeddings(predictions));
        }

        /** The loss of embeddings already picked from the predictions: {@code labels = NDList(y [M])}. */
        NDArray evaluateEmbeddings(NDList labels, NDArray embeddings) {
            NDArray z = InputChecks.embeddings(embeddings);
            NDArray y = InputChecks.classLabels(labels, z.getShape().get(0));
            try {
                return compute(z, y, similarity, aggregation);
            } finally {
                if (y != labels.head()) {
                    y.close(); // the [M] view made of [M, 1] labels
                }
            }
        }
    }

    /**
     * Options shared by every contrastive loss builder.
     *
     * @param <T> the concrete builder type
     */
    public abstract static class BaseBuilder<T extends BaseBuilder<T>> {
        String name;
        float temperature;
        boolean checkValues = true;
        boolean fused = true;
        int rowBlock;
        int predictionIndex = -1;

        BaseBuilder(String name, float temperature) {
            this.name = name;
            this.temperature = temperature;
        }

        /**
         * Sets the temperature τ (finite, &gt; 0).
         *
         * @param temperature τ
         * @return this builder
         */
        public T optTemperature(float temperature) {
            this.temperature = temperature;
            return self();
        }

        /**
         * Sets the display name of the loss (as DJL's training listeners show it).
         *
         * @param name the name
         * @return this builder
         */
        public T optName(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("name must be non-blank, got '" + name + "'");
            }
            this.name = name;
            return self();
        }

        /**
         * Sets whether data-dependent checks run (default true): finite embeddings, non-negative
         * integral labels, at least one row with a positive. They cost one small host read per
         * call.
         *
         * @param checkValues whether to check values
         * @return this builder
         */
        public T optCheckValues(boolean checkValues) {
            this.checkValues = checkValues;
            return self();
        }

        /**
         * Sets whether the loss and its gradient are computed together over blocks of rows
         * (default true): much less memory and time, but a gradient that cannot be differentiated
         * again. {@code false} selects the autograd computation, which supports higher-order
         * gradients.
         *
         * @param fused whether to use the fused computation
         * @return this builder
         */
        public T optFused(boolean fused) {
            this.fused = fused;
            return self();
        }

        /**
         * Sets the rows per block of the fused computation (default 0: automatic, a {@code B × M}
         * block of about 16 MiB and at least 64 rows, or from D = 512 on one block of up to 256
         * MiB). Larger blocks use more memory; the result
         * does not depend on it beyond rounding.
         *
         * @param rowBlock rows per block, ≥ 0
         * @return this builder
         */
        public T optRowBlock(int rowBlock) {
            this.rowBlock = rowBlock;
            return self();
        }

        /**
         * Sets which array of the predictions list the loss reads (default −1: the last, so both
         * {@code NDList(z)} and {@code ContrastiveModel}'s {@code NDList(h, z)} give z). Use it
         * for a model that puts its embeddings elsewhere, e.g. 0 for {@code NDList(z, logits)}.
         *
         * @param predictionIndex the index, ≥ 0, or −1 for the last array
         * @return this builder
         */
        public T optPredictionIndex(int predictionIndex) {
            this.predictionIndex = predictionIndex;
            return self();
        }

        /**
         * Returns this builder.
         *
         * @return this builder
         */
        protected abstract T self();
    }
}
