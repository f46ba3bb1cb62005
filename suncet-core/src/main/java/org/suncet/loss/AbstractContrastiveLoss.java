package org.suncet.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;

/**
 * Base of the contrastive losses: a temperature, a {@link Similarity}, a {@link
 * PositiveAggregation}, and the choice of positives; the arithmetic is {@link ContrastiveCore}.
 *
 * <p>Value checks ({@code optCheckValues}, on by default) read one small array back to the host per
 * call: non-finite embeddings, negative or non-integral labels, and a batch in which no row has a
 * positive then throw {@link IllegalArgumentException}. Switch them off in a tuned loop where the
 * inputs are known to be good; shape checks always run.
 */
public abstract class AbstractContrastiveLoss extends AccumulatingLoss {

    private final float temperature;
    private final boolean checkValues;

    /**
     * Creates the loss from its builder.
     *
     * @param builder the builder holding name, temperature and the check flag
     */
    protected AbstractContrastiveLoss(BaseBuilder<?> builder) {
        super(builder.name);
        this.temperature = InputChecks.temperature(builder.temperature);
        this.checkValues = builder.checkValues;
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
            NDArray z = InputChecks.embeddings(InputChecks.single(predictions, "predictions"));
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
         * Returns this builder.
         *
         * @return this builder
         */
        protected abstract T self();
    }
}
