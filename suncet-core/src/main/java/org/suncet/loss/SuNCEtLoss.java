package org.suncet.loss;

/**
 * Supervised noise-contrastive estimation, SuNCEt (Assran et al. 2020, "Supervision Accelerates
 * Pre-training in Contrastive Semi-Supervised Learning of Visual Representations", arXiv
 * 2006.10803): the supervised term added to SimCLR pre-training on the few labeled images.
 *
 * <pre>
 *   s_ij = ẑ_i · ẑ_j / τ,   ẑ = z / max(||z||, 1e-12)
 *   ℓ_i  = −[ LSE_{p∈P(i)} s_ip − LSE_{a∈A(i)} s_ia ]
 *   L    = mean of ℓ_i over the rows with |P(i)| ≥ 1
 * </pre>
 *
 * where {@code A(i)} is every labeled row but {@code i} and {@code P(i) = {p ∈ A(i) : y_p = y_i}}:
 * other images of the class and other views of the same image. Positives sit inside the log (the
 * NCA form): {@code ℓ_i = −log p(class of i | i)}. Unlabeled rows never enter; pass only the
 * labeled support. It equals SupCon's "L_in" minus {@code log|P(i)|}.
 *
 * <p>Input: {@code labels = NDList(y)}, {@code y [M]} integer class ids (int32/int64, or float
 * holding integers as DJL's datasets give); {@code predictions = NDList(z)}, {@code z [M, D]}, or
 * any list holding z at the prediction index (default −1, the last array: {@code
 * ContrastiveModel}'s {@code NDList(h, z)} gives z). Output: a scalar in z's dtype and device.
 * Default τ = 0.1 (the SuNCEt reference code). Rows without a positive are left out of the mean.
 *
 * <p>Bad input ({@link IllegalArgumentException}): rank other than 2, fewer than 2 rows, labels of
 * another length, a prediction index outside the list (or &lt; −1 at build time); with value checks
 * on (default): non-finite z, negative or non-integral labels, no row with a positive (the sampler
 * must give at least 2 samples of a class).
 */
public final class SuNCEtLoss extends AbstractContrastiveLoss.Supervised {

    private SuNCEtLoss(Builder builder) {
        super(builder, Similarity.COSINE, PositiveAggregation.INSIDE_LOG);
    }

    /**
     * Returns a builder with τ = 0.1.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link SuNCEtLoss}. */
    public static final class Builder extends BaseBuilder<Builder> {
        Builder() {
            super("SuNCEtLoss", 0.1f);
        }

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Builds the loss.
         *
         * @return the loss
         * @throws IllegalArgumentException if the temperature is not finite and &gt; 0, or the
         *     prediction index &lt; −1
         */
        public SuNCEtLoss build() {
            return new SuNCEtLoss(this);
        }
    }
}
