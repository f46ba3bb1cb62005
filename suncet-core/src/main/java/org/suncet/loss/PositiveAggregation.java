package org.suncet.loss;

/**
 * How a row's positives {@code P(i)} enter its loss, given the denominator {@code LSE_{a∈A(i)} s_ia}.
 *
 * <ul>
 *   <li>{@link #INSIDE_LOG}: {@code ℓ_i = −[LSE_{p∈P(i)} s_ip − LSE_{a∈A(i)} s_ia]}, the probability
 *       mass on all positives together (NCA, SuNCEt; SupCon's "L_in" up to {@code log|P(i)|}).
 *   <li>{@link #OUTSIDE_LOG}: {@code ℓ_i = −(1/|P(i)|) Σ_{p∈P(i)} [s_ip − LSE_{a∈A(i)} s_ia]}, the
 *       mean log-probability of each positive (NT-Xent, SupCon's "L_out").
 * </ul>
 */
public enum PositiveAggregation {
    /** Positives summed inside the logarithm (NCA, SuNCEt). */
    INSIDE_LOG,
    /** Log-probabilities of the positives averaged outside the logarithm (NT-Xent, SupCon). */
    OUTSIDE_LOG
}
