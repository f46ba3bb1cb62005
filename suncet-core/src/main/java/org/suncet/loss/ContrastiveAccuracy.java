package org.suncet.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.evaluator.AbstractAccuracy;
import ai.djl.util.Pair;

/**
 * Contrastive top-1 accuracy (SimCLR, Chen et al. 2020, arXiv 2002.05709): the fraction of rows
 * whose most similar other row, by cosine similarity, is one of its positives.
 *
 * <pre>
 *   acc = (1/M) Σ_i [ argmax_{a ≠ i} ẑ_i · ẑ_a ∈ P(i) ]
 * </pre>
 *
 * <p>Input: {@code predictions = NDList(z [M, D])}, or any list holding z at the prediction index
 * (default −1, the last array, so {@code ContrastiveModel}'s {@code NDList(h, z)} gives z). With {@code labels} null or empty, z is
 * view-major {@code [V·N, D]} as for {@link NtXentLoss} and the positives are the other views of
 * the image; with {@code labels = NDList(y [M])} the positives are the rows of the same class. As a
 * DJL {@code Evaluator} it accumulates over batches; {@link #evaluate} returns the batch's accuracy
 * as a float32 scalar. No gradient is recorded. Bad input ({@link IllegalArgumentException}): as
 * for the losses' shapes and prediction index, and non-finite embeddings (a NaN row would otherwise
 * score as some class).
 */
public final class ContrastiveAccuracy extends AbstractAccuracy {

    private final int viewsPerImage;
    private final int predictionIndex;

    /** Creates the metric for two views per image, reading the last array of the predictions. */
    public ContrastiveAccuracy() {
        this("ContrastiveAccuracy", 2);
    }

    /**
     * Creates the metric, reading the last array of the predictions.
     *
     * @param name the display name
     * @param viewsPerImage V, used when no labels are given (≥ 2)
     */
    public ContrastiveAccuracy(String name, int viewsPerImage) {
        this(name, viewsPerImage, -1);
    }

    /**
     * Creates the metric.
     *
     * @param name the display name
     * @param viewsPerImage V, used when no labels are given (≥ 2)
     * @param predictionIndex which array of the predictions list holds z: ≥ 0, or −1 for the last
     */
    public ContrastiveAccuracy(String name, int viewsPerImage, int predictionIndex) {
        super(name);
        if (viewsPerImage < 2) {
            throw new IllegalArgumentException("viewsPerImage must be >= 2, got " + viewsPerImage);
        }
        this.viewsPerImage = viewsPerImage;
        this.predictionIndex = InputChecks.predictionIndex(predictionIndex);
    }

    /**
     * Returns which array of the predictions list the metric reads: ≥ 0, or −1 for the last.
     *
     * @return the prediction index
     */
    public int getPredictionIndex() {
        return predictionIndex;
    }

    /**
     * Returns the batch's contrastive accuracy.
     *
     * @param labels null or empty (views), or {@code NDList(y [M])}
     * @param predictions {@code NDList(z [M, D])}, or a list holding z at the prediction index
     * @return a float32 scalar in [0, 1]
     */
    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        Pair<Long, NDArray> result = accuracyHelper(labels, predictions);
        try (NDArray correct = result.getValue();
                NDArray asFloat = correct.toType(DataType.FLOAT32, false)) {
            return asFloat.mean();
        }
    }

    /** {@inheritDoc} */
    @Override
    protected Pair<Long, NDArray> accuracyHelper(NDList labels, NDList predictions) {
        NDArray embeddings =
                InputChecks.embeddings(InputChecks.pick(predictions, predictionIndex, "predictions"));
        long rows = embeddings.getShape().get(0);
        NDArray result;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray z = ContrastiveCore.computeType(embeddings.stopGradient());
            // a metric reads its result on the host anyway: one more read rejects what no loss accepts
            if (InputChecks.anyNonFinite(z).getBoolean()) {
                throw new IllegalArgumentException(
                        "predictions must be finite, got NaN or Inf in embeddings of shape " + embeddings.getShape());
            }
            NDArray ids =
                    labels == null || labels.isEmpty()
                            ? NtXentLoss.imageIds(z, viewsPerImage)
                            : InputChecks.classLabels(labels, rows).toDevice(z.getDevice(), false);
            NDArray s = Similarity.COSINE.matrix(z, 1f);
            NDArray self = z.getManager().eye(Math.toIntExact(rows)).toType(s.getDataType(), false);
            NDArray nearest = s.add(self.toDevice(s.getDevice(), false).mul(ContrastiveCore.EXCLUDED)).argMax(1);
            result = ids.get(nearest).eq(ids).toType(DataType.INT64, false);
            NDScope.unregister(result);
        }
        // the caller's NDScope, if any, owns the result, as it owns every operation's result
        NDScope.register(result);
        return new Pair<>(rows, result);
    }
}
