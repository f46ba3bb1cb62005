package org.suncet.loss;

/**
 * Supervised contrastive loss, the "L_out" form (Khosla et al. 2020, "Supervised Contrastive
 * Learning", arXiv 2004.11362).
 *
 * <pre>
 *   s_ij = ẑ_i · ẑ_j / τ,   ẑ = z / max(||z||, 1e-12)
 *   ℓ_i  = −(1/|P(i)|) Σ_{p∈P(i)} [ s_ip − LSE_{a∈A(i)} s_ia ]
 *   L    = mean of ℓ_i over the rows with |P(i)| ≥ 1
 * </pre>
 *
 * where {@code A(i)} is every row but {@code i} and {@code P(i) = {p ∈ A(i) : y_p = y_i}}.
 *
 * <p>Input: {@code labels = NDList(y)}, {@code y [M]} integer class ids (int32/int64, or float
 * holding integers as DJL's datasets give); {@code predictions = NDList(z)}, {@code z [M, D]}, or
 * any list holding z at the prediction index (default −1, the last array: {@code
 * ContrastiveModel}'s {@code NDList(h, z)} gives z); several views of an image appear as several
 * rows with the same label. Output: a scalar in z's dtype and device. Default τ = 0.1 (SPEC §2.3;
 * the SupCon repository uses 0.07 and rescales the loss by τ/0.07, which we do not).
 *
 * <p>Bad input ({@link IllegalArgumentException}): rank other than 2, fewer than 2 rows, labels of
 * another length, a prediction index outside the list (or &lt; −1 at build time); with value checks
 * on (default): non-finite z, negative or non-integral labels, no row with a positive.
 */
public final class SupConLoss extends AbstractContrastiveLoss.Supervised {

    private SupConLoss(Builder builder) {
        super(builder, Similarity.COSINE, PositiveAggregation.OUTSIDE_LOG);
    }

    /**
     * Returns a builder with τ = 0.1.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link SupConLoss}. */
    public static final class Builder extends BaseBuilder<Builder> {
        Builder() {
            super("SupConLoss", 0.1f);
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
        public SupConLoss build() {
            return new SupConLoss(this);
        }
    }
}
