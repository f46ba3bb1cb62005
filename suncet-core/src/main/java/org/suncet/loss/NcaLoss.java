package org.suncet.loss;

/**
 * Neighbourhood components analysis loss (Goldberger et al. 2004, "Neighbourhood Components
 * Analysis", NIPS 17), in the stable log form: the negative log-probability that a row's stochastic
 * nearest neighbour has its class.
 *
 * <pre>
 *   s_ij = −||z_i − z_j||² / τ          (z is NOT normalised)
 *   ℓ_i  = −[ LSE_{p∈P(i)} s_ip − LSE_{a∈A(i)} s_ia ]
 *   L    = mean of ℓ_i over the rows with |P(i)| ≥ 1
 * </pre>
 *
 * where {@code A(i)} is every row but {@code i} and {@code P(i) = {p ∈ A(i) : y_p = y_i}}. For unit
 * vectors NCA at τ' = 2τ equals {@link SuNCEtLoss} at τ.
 *
 * <p>Input: {@code labels = NDList(y)}, {@code y [M]} integer class ids (int32/int64, or float
 * holding integers); {@code predictions = NDList(z)}, {@code z [M, D]}, or any list holding z at
 * the prediction index (default −1, the last array: {@code ContrastiveModel}'s {@code NDList(h,
 * z)} gives z). Output: a scalar in z's dtype and device. Default τ = 1 (SPEC §2.4).
 *
 * <p>Bad input ({@link IllegalArgumentException}): rank other than 2, fewer than 2 rows, labels of
 * another length, a prediction index outside the list (or &lt; −1 at build time); with value checks
 * on (default): non-finite z, negative or non-integral labels, no row with a positive.
 */
public final class NcaLoss extends AbstractContrastiveLoss.Supervised {

    private NcaLoss(Builder builder) {
        super(builder, Similarity.NEGATIVE_SQUARED_EUCLIDEAN, PositiveAggregation.INSIDE_LOG);
    }

    /**
     * Returns a builder with τ = 1.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link NcaLoss}. */
    public static final class Builder extends BaseBuilder<Builder> {
        Builder() {
            super("NcaLoss", 1f);
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
        public NcaLoss build() {
            return new NcaLoss(this);
        }
    }
}
