package org.suncet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.suncet.ndarray.MatrixProducts;

/**
 * Soft-nearest-neighbour classification of features, SuNCEt's kNN monitor (Assran et al. 2020,
 * "Supervision Accelerates Pre-training in Contrastive Semi-Supervised Learning of Visual
 * Representations", arXiv 2006.10803; after Salakhutdinov and Hinton 2007 and Frosst et al. 2019,
 * arXiv 1902.01889). With L2-normalised query features {@code ĥ} and labeled training features
 * {@code Ĥ} (rows {@code x / max(||x||, 1e-12)}) with labels {@code y}:
 *
 * <pre>
 *   p(class | h) = softmax(ĥ · Ĥᵀ / τ) @ onehot(y)        [Q, D]·[D, N] → [Q, N] → [Q, classes]
 *   prediction   = argmax over classes of p             (ties: the lowest class)
 *   accuracy     = share of queries whose prediction equals their label   (top-1)
 * </pre>
 *
 * <p>Default τ = 0.1 (SuNCEt). Queries are processed {@code chunkSize} rows at a time (default
 * 1024), so memory grows with {@code chunkSize · N}, not {@code Q · N}. All arithmetic is in
 * NDArrays on the features' device and dtype; results belong to the queries' manager and every
 * temporary is closed. Label values are checked with one read back to the host per call (this is
 * evaluation, not a training step's hot path).
 *
 * <p>Input: {@code queries [Q, D]}, {@code trainFeatures [N, D]} of the same floating dtype and
 * device; {@code trainLabels [N]} and {@code queryLabels [Q]} class ids in [0, classes), any
 * numeric dtype holding integers (DJL's Fashion-MNIST gives float32).
 *
 * <p>Bad input ({@link IllegalArgumentException}): at build time, τ not finite and &gt; 0, classes
 * or chunk size &lt; 1; at call time, ranks or row counts that do not match, Q or N = 0, different
 * dtypes or devices, labels outside [0, classes) or not integral.
 */
public final class SoftNearestNeighbour {

    private final float temperature;
    private final int numClasses;
    private final int chunkSize;

    private SoftNearestNeighbour(Builder builder) {
        if (!(builder.temperature > 0f) || Float.isInfinite(builder.temperature)) {
            throw new IllegalArgumentException(
                    "temperature must be finite and > 0, got " + builder.temperature);
        }
        if (builder.numClasses < 1) {
            throw new IllegalArgumentException(
                    "numClasses must be >= 1, got " + builder.numClasses);
        }
        if (builder.chunkSize < 1) {
            throw new IllegalArgumentException("chunkSize must be >= 1, got " + builder.chunkSize);
        }
        this.temperature = builder.temperature;
        this.numClasses = builder.numClasses;
        this.chunkSize = builder.chunkSize;
    }

    /**
     * Returns a builder with τ = 0.1 and chunks of 1024 queries.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the class probabilities of every query.
     *
     * @param queries {@code [Q, D]} query features
     * @param trainFeatures {@code [N, D]} labeled training features
     * @param trainLabels {@code [N]} their class ids
     * @return {@code [Q, classes]} probabilities, rows summing to 1, on the queries' manager and in the
     *     caller's {@link NDScope} if one is open
     * @throws IllegalArgumentException for bad input (see {@link SoftNearestNeighbour})
     */
    public NDArray classProbabilities(NDArray queries, NDArray trainFeatures, NDArray trainLabels) {
        checkFeatures(queries, trainFeatures);
        checkLabels(trainLabels, trainFeatures, "trainLabels");
        long rows = queries.getShape().get(0);
        NDArray result;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray train = normalise(trainFeatures); // [N, D]
            NDArray oneHot =
                    trainLabels
                            .toType(DataType.INT64, false)
                            .oneHot(numClasses, trainFeatures.getDataType()); // [N, classes]
            NDList chunks = new NDList();
            try {
                for (long start = 0; start < rows; start += chunkSize) {
                    long end = Math.min(rows, start + chunkSize);
                    try (NDScope chunkScope = new NDScope()) {
                        chunkScope.suppressNotUsedWarning();
                        NDArray query = normalise(queries.get("{}:{}", start, end)); // [q, D]
                        NDArray probabilities =
                                MatrixProducts.timesTransposed(query, train) // [q, N]
                                        .div(temperature)
                                        .softmax(1)
                                        .matMul(oneHot);
                        NDScope.unregister(probabilities);
                        chunks.add(probabilities); // [q, classes]
                    }
                }
                result = chunks.size() == 1 ? chunks.get(0).duplicate() : NDArrays.concat(chunks, 0);
                NDScope.unregister(result);
            } finally {
                chunks.close();
            }
        }
        // the caller's NDScope, if any, owns the result, as it owns every operation's result
        NDScope.register(result);
        return result;
    }

    /**
     * Returns the predicted class of every query.
     *
     * @param queries {@code [Q, D]} query features
     * @param trainFeatures {@code [N, D]} labeled training features
     * @param trainLabels {@code [N]} their class ids
     * @return {@code [Q]} int64 predicted class ids
     * @throws IllegalArgumentException for bad input (see {@link SoftNearestNeighbour})
     */
    public NDArray predict(NDArray queries, NDArray trainFeatures, NDArray trainLabels) {
        try (NDArray probabilities = classProbabilities(queries, trainFeatures, trainLabels)) {
            return probabilities.argMax(1); // int64 [Q]
        }
    }

    /**
     * Returns the top-1 accuracy of the predictions against the queries' labels.
     *
     * @param queries {@code [Q, D]} query features
     * @param queryLabels {@code [Q]} their class ids
     * @param trainFeatures {@code [N, D]} labeled training features
     * @param trainLabels {@code [N]} their class ids
     * @return the share of correct predictions, in [0, 1]
     * @throws IllegalArgumentException for bad input (see {@link SoftNearestNeighbour})
     */
    public double accuracy(
            NDArray queries, NDArray queryLabels, NDArray trainFeatures, NDArray trainLabels) {
        checkFeatures(queries, trainFeatures);
        checkLabels(queryLabels, queries, "queryLabels");
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray predicted = predict(queries, trainFeatures, trainLabels);
            long correct = predicted.eq(queryLabels.toType(DataType.INT64, false)).sum().getLong();
            return (double) correct / queries.getShape().get(0);
        }
    }

    /**
     * Returns τ.
     *
     * @return the temperature
     */
    public float getTemperature() {
        return temperature;
    }

    /**
     * Returns the number of classes.
     *
     * @return the number of classes
     */
    public int getNumClasses() {
        return numClasses;
    }

    /**
     * Returns the number of queries processed at once.
     *
     * @return the chunk size
     */
    public int getChunkSize() {
        return chunkSize;
    }

    /** Rows over their L2 norm, floored at 1e-12 as the losses do. */
    private static NDArray normalise(NDArray x) {
        return x.div(x.square().sum(new int[] {1}, true).maximum(1e-24).sqrt());
    }

    private static void checkFeatures(NDArray queries, NDArray trainFeatures) {
        Shape q = queries.getShape();
        Shape t = trainFeatures.getShape();
        if (q.dimension() != 2 || q.get(0) < 1 || q.get(1) < 1) {
            throw new IllegalArgumentException(
                    "queries must have shape [Q, D] with Q, D >= 1, got " + q);
        }
        if (t.dimension() != 2 || t.get(0) < 1 || t.get(1) != q.get(1)) {
            throw new IllegalArgumentException(
                    "trainFeatures must have shape [N, D = "
                            + q.get(1)
                            + "] with N >= 1, got "
                            + t);
        }
        if (!queries.getDataType().isFloating()
                || queries.getDataType() != trainFeatures.getDataType()) {
            throw new IllegalArgumentException(
                    "queries and trainFeatures must share a floating dtype, got "
                            + queries.getDataType()
                            + " and "
                            + trainFeatures.getDataType());
        }
        if (!queries.getDevice().equals(trainFeatures.getDevice())) {
            throw new IllegalArgumentException(
                    "queries and trainFeatures must be on one device, got "
                            + queries.getDevice()
                            + " and "
                            + trainFeatures.getDevice());
        }
    }

    /** Checks {@code labels [rows]} on the features' device, integral, in [0, classes). */
    private void checkLabels(NDArray labels, NDArray features, String name) {
        long rows = features.getShape().get(0);
        if (labels.getShape().dimension() != 1 || labels.getShape().get(0) != rows) {
            throw new IllegalArgumentException(
                    name + " must have shape [" + rows + "], got " + labels.getShape());
        }
        if (!labels.getDevice().equals(features.getDevice())) {
            throw new IllegalArgumentException(
                    name
                            + " must be on the features' device "
                            + features.getDevice()
                            + ", got "
                            + labels.getDevice());
        }
        double[] summary;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray values = labels.toType(DataType.FLOAT64, false);
            NDArray nonIntegral = values.neq(values.floor()).sum().toType(DataType.FLOAT64, false);
            summary =
                    NDArrays.stack(new NDList(values.min(), values.max(), nonIntegral))
                            .toDoubleArray();
        }
        if (summary[2] > 0 || summary[0] < 0 || summary[1] >= numClasses) {
            throw new IllegalArgumentException(
                    name
                            + " must be integral class ids in [0, "
                            + numClasses
                            + "), got values in ["
                            + summary[0]
                            + ", "
                            + summary[1]
                            + "] with "
                            + (long) summary[2]
                            + " non-integral");
        }
    }

    /** Builds a {@link SoftNearestNeighbour}. */
    public static final class Builder {
        float temperature = 0.1f;
        int numClasses;
        int chunkSize = 1024;

        Builder() {}

        /**
         * Sets the number of classes (required, ≥ 1).
         *
         * @param numClasses the number of classes
         * @return this builder
         */
        public Builder setNumClasses(int numClasses) {
            this.numClasses = numClasses;
            return this;
        }

        /**
         * Sets τ (default 0.1, SuNCEt's kNN monitor; must be finite and &gt; 0).
         *
         * @param temperature τ
         * @return this builder
         */
        public Builder optTemperature(float temperature) {
            this.temperature = temperature;
            return this;
        }

        /**
         * Sets how many queries are processed at once (default 1024, ≥ 1); memory grows with {@code
         * chunkSize · N}.
         *
         * @param chunkSize queries per chunk
         * @return this builder
         */
        public Builder optChunkSize(int chunkSize) {
            this.chunkSize = chunkSize;
            return this;
        }

        /**
         * Builds the classifier.
         *
         * @return the classifier
         * @throws IllegalArgumentException for bad settings (see {@link SoftNearestNeighbour})
         */
        public SoftNearestNeighbour build() {
            return new SoftNearestNeighbour(this);
        }
    }
}
