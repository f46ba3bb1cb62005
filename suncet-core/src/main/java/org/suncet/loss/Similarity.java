package org.suncet.loss;

import ai.djl.ndarray.NDArray;
import org.suncet.ndarray.MatrixProducts;
import org.suncet.ndarray.Scalars;

/**
 * The pairwise similarity a contrastive loss scores candidates with, divided by the temperature τ.
 *
 * <ul>
 *   <li>{@link #COSINE}: {@code s_ij = ẑ_i · ẑ_j / τ} with {@code ẑ = z / max(||z||, 1e-12)} (SimCLR,
 *       SupCon, SuNCEt).
 *   <li>{@link #NEGATIVE_SQUARED_EUCLIDEAN}: {@code s_ij = −||z_i − z_j||² / τ} on unnormalised
 *       embeddings (NCA, Goldberger et al. 2004).
 * </ul>
 *
 * <p>The {@code [M, M]} product goes through {@link MatrixProducts} (oneDNN's 1×1 convolution on an
 * AMD CPU of family 26+ with AVX-512, else {@code matMul}); both are differentiable.
 */
public enum Similarity {
    /** Cosine similarity of L2-normalised rows over τ. */
    COSINE {
        @Override
        NDArray matrix(NDArray embeddings, float temperature) {
            NDArray normalised = normalise(embeddings);
            // [M, D] x [D, M] -> [M, M]; τ is applied on the [M, D] side (one pass fewer).
            return MatrixProducts.timesTransposed(Scalars.div(normalised, temperature), normalised);
        }
    },
    /** Negative squared Euclidean distance over τ; embeddings are not normalised. */
    NEGATIVE_SQUARED_EUCLIDEAN {
        @Override
        NDArray matrix(NDArray embeddings, float temperature) {
            // −||z_i − z_j||² = 2 z_i·z_j − ||z_i||² − ||z_j||²
            NDArray squaredNorms = embeddings.square().sum(new int[] {1}, true); // [M, 1]
            NDArray gram = MatrixProducts.timesTransposed(embeddings, embeddings); // [M, M]
            return Scalars.div(
                    Scalars.mul(gram, 2).sub(squaredNorms).sub(squaredNorms.transpose()),
                    temperature);
        }
    };

    /**
     * Returns {@code ẑ = z / sqrt(max(Σ_d z², 1e-24))}: the same values as {@code z / max(||z||,
     * 1e-12)}, with a finite gradient at 0; differentiable (no Java-number operands).
     *
     * @param embeddings {@code z}, {@code [M, D]}
     * @return {@code ẑ}, {@code [M, D]}
     */
    static NDArray normalise(NDArray embeddings) {
        return embeddings.div(
                Scalars.maximum(embeddings.square().sum(new int[] {1}, true), SQUARED_NORM_FLOOR).sqrt());
    }

    /** The floor under {@code Σ_d z²} in {@link #normalise}: {@code (1e-12)²}. */
    static final double SQUARED_NORM_FLOOR = 1e-24;

    /**
     * Returns the {@code [M, M]} similarity matrix of {@code [M, D]} embeddings, divided by τ.
     *
     * @param embeddings the embeddings, {@code [M, D]}, in float32 or float64
     * @param temperature τ &gt; 0
     * @return {@code s}, {@code [M, M]}, same dtype and device as the embeddings
     */
    abstract NDArray matrix(NDArray embeddings, float temperature);
}
