package org.suncet.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The one computation behind every contrastive loss of this package: a masked, max-shifted
 * log-sum-exp over a similarity matrix.
 *
 * <p>For {@code M} embeddings with class ids {@code y}, the candidates of row {@code i} are {@code
 * A(i) = {a ≠ i}} and its positives {@code P(i) = {p ∈ A(i) : y_p = y_i}}. With {@code s_ij} from
 * the chosen {@link Similarity} and {@code LSE_{k∈S}(x_k) = m + log Σ_{k∈S} exp(x_k − m)}, {@code m
 * = max_{k∈S} x_k}:
 *
 * <pre>
 *   INSIDE_LOG:  ℓ_i = LSE_{a∈A(i)} s_ia − LSE_{p∈P(i)} s_ip
 *   OUTSIDE_LOG: ℓ_i = LSE_{a∈A(i)} s_ia − (1/|P(i)|) Σ_{p∈P(i)} s_ip
 *   L = Σ_i [|P(i)| ≥ 1] ℓ_i / Σ_i [|P(i)| ≥ 1]
 * </pre>
 *
 * <p>Entries outside a set are excluded by adding {@value #EXCLUDED} (a large finite negative, never
 * −∞, so that {@code 0 · mask} never makes NaN); the shift {@code m} carries no gradient (the
 * log-sum-exp's gradient does not depend on it). Rows without a positive contribute exactly 0. All
 * arithmetic runs on the embeddings' device in float32 or float64 (float16 inputs are computed in
 * float32); the result has the embeddings' dtype. Every intermediate array is closed before return.
 *
 * <p>This is the autograd computation, selected by {@code optFused(false)}: every {@code M × M}
 * step is recorded, so higher-order gradients work. The losses' default, {@code
 * FusedContrastiveCore}, computes the same value and gradient blockwise without the {@code M × M}
 * matrix.
 */
public final class ContrastiveCore {

    /** The additive mask for excluded entries: finite, far below any similarity. */
    public static final double EXCLUDED = -1e30;

    private ContrastiveCore() {}

    /**
     * Computes the mean contrastive loss of the rows that have at least one positive.
     *
     * @param embeddings {@code z}, {@code [M, D]}, M ≥ 2 (shape is the caller's to check)
     * @param classIds {@code y}, {@code [M]}, any numeric dtype; rows with equal ids are positives
     * @param similarity the similarity {@code s}
     * @param aggregation how positives are aggregated
     * @param temperature τ &gt; 0
     * @param checkValues whether to check, in one host read, that {@code z} is finite, {@code y}
     *     holds non-negative integers, and some row has a positive
     * @return the scalar loss, in {@code z}'s dtype, on {@code z}'s device and manager, registered in the
     *     caller's {@link NDScope} if one is open (as every operation's result is)
     * @throws IllegalArgumentException when {@code checkValues} is set and a check fails
     */
    public static NDArray meanLoss(
            NDArray embeddings,
            NDArray classIds,
            Similarity similarity,
            PositiveAggregation aggregation,
            float temperature,
            boolean checkValues) {
        DataType outputType = embeddings.getDataType();
        NDArray result;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray z = computeType(embeddings);
            DataType type = z.getDataType();
            NDManager manager = z.getManager();
            int rows = Math.toIntExact(z.getShape().get(0));
            NDArray ids = classIds.toDevice(z.getDevice(), false);

            NDArray s = similarity.matrix(z, temperature); // [M, M]
            NDArray self = manager.eye(rows).toType(type, false).toDevice(z.getDevice(), false);
            NDArray sameId = ids.expandDims(1).eq(ids.expandDims(0)).toType(type, false);
            NDArray positive = sameId.sub(self); // 1 on P(i), 0 elsewhere (the diagonal included)
            NDArray candidates = s.add(self.mul(EXCLUDED)); // A(i): everything but i

            NDArray positives = positive.sum(new int[] {1}); // |P(i)|, [M]
            NDArray hasPositive = positives.gt(0).toType(type, false);
            NDArray logDenominator = logSumExp(candidates);
            NDArray positiveTerm;
            if (aggregation == PositiveAggregation.INSIDE_LOG) {
                // non-positives (and i itself) pushed down by EXCLUDED
                positiveTerm = logSumExp(s.add(positive.sub(1).mul(-EXCLUDED)));
            } else {
                positiveTerm = s.mul(positive).sum(new int[] {1}).div(positives.maximum(1));
            }
            NDArray rowLoss = logDenominator.sub(positiveTerm).mul(hasPositive);
            NDArray validRows = hasPositive.sum();
            NDArray loss = rowLoss.sum().div(validRows.maximum(1));
            if (checkValues) {
                checkValues(embeddings, ids, validRows);
            }
            result = loss.toType(outputType, false);
            NDScope.unregister(result);
        }
        // the caller's NDScope, if any, owns the result, as it owns every operation's result
        // (NDScope.register puts an array into the innermost scope only, so one unregistered in
        // this method's scope belongs to no scope)
        NDScope.register(result);
        return result;
    }

    /**
     * Row-wise log-sum-exp, {@code [M, M] -> [M]}, shifted by the row maximum (no gradient through
     * the shift).
     */
    static NDArray logSumExp(NDArray logits) {
        NDArray shift = logits.max(new int[] {1}, true).stopGradient();
        return logits.sub(shift).exp().sum(new int[] {1}).log().add(shift.squeeze(1));
    }

    /** Returns float32 for half-precision inputs, the array itself for float32/float64. */
    static NDArray computeType(NDArray embeddings) {
        DataType type = embeddings.getDataType();
        if (type == DataType.FLOAT32 || type == DataType.FLOAT64) {
            return embeddings;
        }
        if (type.isFloating()) {
            return embeddings.toType(DataType.FLOAT32, false);
        }
        throw new IllegalArgumentException(
                "predictions must be floating point embeddings, got dtype " + type);
    }

    /**
     * One host read for every data-dependent check; a second read only to describe a failure.
     *
     * @param embeddings z
     * @param ids the class ids, or {@code null} when the positives are structural (NT-Xent's fused
     *     path): then only z's finiteness is checked
     * @param validRows the rows that have a positive (read only with ids)
     */
    static void checkValues(NDArray embeddings, NDArray ids, NDArray validRows) {
        // NaN exactly when some entry is NaN or ±Inf (0·Inf = NaN), never for large finite values;
        // two passes instead of isNaN, isInfinite, or and any
        NDArray detached = embeddings.stopGradient();
        NDArray zero = detached.getManager().zeros(new Shape(), detached.getDataType(), detached.getDevice());
        NDArray nonFiniteProbe = detached.mul(zero).sum();
        if (ids == null) {
            if (Double.isNaN(nonFiniteProbe.toType(DataType.FLOAT64, false).getDouble())) {
                throw nonFinite(embeddings);
            }
            return;
        }
        NDArray smallestId = ids.min();
        NDList probes =
                new NDList(
                        nonFiniteProbe.toType(DataType.FLOAT64, false),
                        smallestId.toType(DataType.FLOAT64, false),
                        validRows.toType(DataType.FLOAT64, false));
        if (ids.getDataType().isFloating()) {
            probes.add(ids.neq(ids.floor()).logicalOr(ids.isNaN()).any().toType(DataType.FLOAT64, false));
        }
        double[] read = NDArrays.stack(probes).toDevice(ai.djl.Device.cpu(), false).toDoubleArray();
        long[] flags = {
            Double.isNaN(read[0]) ? 1 : 0,
            read[1] < 0 ? 1 : 0,
            read.length > 3 && read[3] != 0 ? 1 : 0,
            (long) read[2]
        };
        if (flags[0] != 0) {
            throw nonFinite(embeddings);
        }
        if (flags[1] != 0) {
            throw new IllegalArgumentException(
                    "labels must be non-negative class ids, got minimum "
                            + ids.min().toType(DataType.FLOAT64, false).getDouble());
        }
        if (flags[2] != 0) {
            throw new IllegalArgumentException(
                    "labels must be integral class ids, got non-integral value "
                            + ids.get(ids.neq(ids.floor()).logicalOr(ids.isNaN()))
                                    .get(0)
                                    .toType(DataType.FLOAT64, false)
                                    .getDouble());
        }
        if (flags[3] == 0) {
            throw new IllegalArgumentException(
                    "no row has a positive: every label of the "
                            + ids.size()
                            + " rows occurs once; give at least 2 samples of a class");
        }
    }

    private static IllegalArgumentException nonFinite(NDArray embeddings) {
        return new IllegalArgumentException(
                "predictions must be finite, got NaN or Inf in embeddings of shape " + embeddings.getShape());
    }
}
