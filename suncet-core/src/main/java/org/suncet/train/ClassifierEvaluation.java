package org.suncet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.training.dataset.Batch;

import java.util.Objects;

/**
 * Test-set evaluation of a classifier, as SimCLR and SuNCEt report it (Chen et al. 2020, arXiv
 * 2002.05709; Assran et al. 2020, arXiv 2006.10803; SPEC §7): top-1 and top-k (default k = 5)
 * accuracy, and the feature extraction the soft-nearest-neighbour monitor ({@link
 * SoftNearestNeighbour}) needs. With logits {@code u [N, C]} and labels {@code y [N]}:
 *
 * <pre>
 *   rank_b  = #{c : u_bc &gt; u_b,y_b} + #{c &lt; y_b : u_bc = u_b,y_b}   (ties: lower class first)
 *   top-k   = (1/N) · Σ_b [ rank_b &lt; k ]                               (k capped at C)
 * </pre>
 *
 * so top-1 is the share of rows whose {@code argmax} (lowest class on ties, as {@code argMax}
 * does) is the label: an all-equal row, such as a zero-initialised classifier gives, counts once,
 * for class 0. A row whose labelled logit is NaN counts as wrong.
 *
 * <p>Every forward runs in inference mode ({@code block.forward(parameterStore, x, training =
 * false)}: batch norm uses its running statistics, dropout is off, no gradient is recorded) over
 * chunks of {@code batchSize} rows (default 256), each in its own {@link NDManager} and {@link
 * NDScope}, so memory is bounded by one chunk's activations whatever N is. Counts come back to the
 * host once per chunk as plain numbers; label values are checked then too (evaluation, not a
 * training hot path).
 *
 * <p>Bad input ({@link IllegalArgumentException}): at build time, a batch size or k &lt; 1; at
 * call time, images with no rows, labels that are not {@code [N]} of a numeric dtype or not
 * integral class ids in [0, C), logits that are not {@code [rows, C]}, an output index out of
 * range, an empty iterable of batches.
 */
public final class ClassifierEvaluation {

    private final int batchSize;
    private final int topK;
    private final int logitsIndex;

    private ClassifierEvaluation(Builder builder) {
        if (builder.batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + builder.batchSize);
        }
        if (builder.topK < 1) {
            throw new IllegalArgumentException("topK must be >= 1, got " + builder.topK);
        }
        if (builder.logitsIndex < -1) {
            throw new IllegalArgumentException(
                    "logitsIndex must be >= 0, or -1 for the last output; got "
                            + builder.logitsIndex);
        }
        this.batchSize = builder.batchSize;
        this.topK = builder.topK;
        this.logitsIndex = builder.logitsIndex;
    }

    /**
     * Returns a builder with chunks of 256 rows, k = 5 and the block's last output as its logits.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the number of rows forwarded at once.
     *
     * @return the batch size
     */
    public int getBatchSize() {
        return batchSize;
    }

    /**
     * Returns k of the top-k accuracy (before capping at the number of classes).
     *
     * @return k
     */
    public int getTopK() {
        return topK;
    }

    /**
     * Evaluates a classifier on a test set held in two arrays, {@code batchSize} rows at a time.
     *
     * @param classifier an initialised classifier block
     * @param images {@code [N, ...]} test images
     * @param labels {@code [N]} their class ids
     * @return the counts of correct top-1 and top-k predictions
     * @throws IllegalArgumentException for bad input (see {@link ClassifierEvaluation})
     */
    public Result evaluate(Block classifier, NDArray images, NDArray labels) {
        Objects.requireNonNull(classifier, "classifier");
        long rows = SupervisedStep.checkImages(images, "images");
        SupervisedStep.checkLabels(labels, rows, "labels");
        Result total = null;
        for (long start = 0; start < rows; start += batchSize) {
            long end = Math.min(rows, start + batchSize);
            Result chunk = evaluateChunk(classifier, images, labels, start, end);
            total = total == null ? chunk : total.plus(chunk);
        }
        return total;
    }

    /**
     * Evaluates a classifier on batches from a DJL dataset ({@code dataset.getData(manager)}),
     * whose data and labels each hold one array; each batch is closed after use, and a batch
     * larger than {@code batchSize} is split further.
     *
     * @param classifier an initialised classifier block
     * @param batches the test batches
     * @return the counts of correct top-1 and top-k predictions over all batches
     * @throws IllegalArgumentException for bad input (see {@link ClassifierEvaluation})
     */
    public Result evaluate(Block classifier, Iterable<Batch> batches) {
        Objects.requireNonNull(batches, "batches");
        Result total = null;
        for (Batch batch : batches) {
            try (batch) {
                Result part =
                        evaluate(
                                classifier,
                                batch.getData().singletonOrThrow(),
                                batch.getLabels().singletonOrThrow());
                total = total == null ? part : total.plus(part);
            }
        }
        if (total == null) {
            throw new IllegalArgumentException("batches must hold at least one image, got none");
        }
        return total;
    }

    /**
     * Returns the encoder's first output on every image, computed in inference mode {@code
     * batchSize} rows at a time and flattened to {@code [N, D]}: for a {@code ContrastiveModel}
     * ({@code NDList(h, z)}) or a bare encoder, the representation h that {@link
     * SoftNearestNeighbour} classifies.
     *
     * @param encoder an initialised block
     * @param images {@code [N, ...]} images
     * @return {@code [N, D]} features owned by the images' manager
     * @throws IllegalArgumentException if the images have no rows
     */
    public NDArray extractFeatures(Block encoder, NDArray images) {
        return extractFeatures(encoder, images, 0);
    }

    /**
     * Returns the encoder's output at {@code outputIndex} on every image, computed in inference
     * mode {@code batchSize} rows at a time and flattened to {@code [N, D]}.
     *
     * @param encoder an initialised block
     * @param images {@code [N, ...]} images
     * @param outputIndex which output holds the features; −1 for the last
     * @return {@code [N, D]} features owned by the images' manager
     * @throws IllegalArgumentException if the images have no rows or the index is out of range
     */
    public NDArray extractFeatures(Block encoder, NDArray images, int outputIndex) {
        Objects.requireNonNull(encoder, "encoder");
        long rows = SupervisedStep.checkImages(images, "images");
        NDManager owner = images.getManager();
        NDList chunks = new NDList();
        try {
            for (long start = 0; start < rows; start += batchSize) {
                long end = Math.min(rows, start + batchSize);
                try (NDManager scratch = owner.newSubManager();
                        NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray chunk = images.get(new NDIndex("{}:{}", start, end));
                    NDArray output =
                            InferenceForward.select(
                                    InferenceForward.run(encoder, chunk, scratch),
                                    outputIndex,
                                    "features");
                    NDArray features = output.reshape(end - start, -1); // [b, ...] -> [b, D]
                    NDScope.unregister(features);
                    features.attach(owner);
                    chunks.add(features);
                }
            }
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray result =
                        chunks.size() == 1 ? chunks.get(0).duplicate() : NDArrays.concat(chunks);
                NDScope.unregister(result);
                result.attach(owner);
                return result;
            }
        } finally {
            chunks.close();
        }
    }

    /** Counts rows [start, end) in their own manager and scope; reads 2 small arrays back. */
    private Result evaluateChunk(
            Block classifier, NDArray images, NDArray labels, long start, long end) {
        long rows = end - start;
        try (NDManager scratch = images.getManager().newSubManager();
                NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray chunk = images.get(new NDIndex("{}:{}", start, end));
            NDArray logits =
                    SupervisedStep.checkLogits(
                            InferenceForward.select(
                                    InferenceForward.run(classifier, chunk, scratch),
                                    logitsIndex,
                                    "logits"),
                            rows); // [n, C]
            long classes = logits.getShape().get(1);
            NDArray chunkLabels =
                    labels.get(new NDIndex("{}:{}", start, end))
                            .toDevice(logits.getDevice(), false);
            checkLabelValues(chunkLabels, classes, start);
            NDArray classIds = chunkLabels.toType(DataType.INT64, false).reshape(rows, 1); // [n, 1]
            NDArray labelled =
                    logits.get(new NDIndex().addAllDim().addPickDim(classIds)).reshape(rows, 1);
            NDArray classIndex =
                    scratch.arange(0, classes, 1, DataType.INT64).reshape(1, classes); // [1, C]
            NDArray ahead =
                    logits.gt(labelled)
                            .logicalOr(logits.eq(labelled).logicalAnd(classIndex.lt(classIds)));
            NDArray rank = ahead.toType(DataType.INT64, false).sum(new int[] {1}); // [n]
            NDArray valid = labelled.eq(labelled).reshape(rows); // false for a NaN logit
            int k = (int) Math.min(topK, classes);
            long[] counts =
                    NDArrays.stack(
                                    new NDList(
                                            rank.lt(1).logicalAnd(valid).sum(),
                                            rank.lt(k).logicalAnd(valid).sum()))
                            .toType(DataType.INT64, false)
                            .toLongArray();
            return new Result(rows, counts[0], counts[1], k);
        }
    }

    /** Checks that {@code labels} are integral class ids in [0, classes); one host read. */
    private static void checkLabelValues(NDArray labels, long classes, long offset) {
        NDArray values = labels.toType(DataType.FLOAT64, false);
        NDArray nonIntegral = values.neq(values.floor()).sum().toType(DataType.FLOAT64, false);
        double[] summary =
                NDArrays.stack(new NDList(values.min(), values.max(), nonIntegral)).toDoubleArray();
        if (summary[2] > 0 || summary[0] < 0 || summary[1] >= classes) {
            throw new IllegalArgumentException(
                    "labels must be integral class ids in [0, "
                            + classes
                            + "), got values in ["
                            + summary[0]
                            + ", "
                            + summary[1]
                            + "] with "
                            + (long) summary[2]
                            + " non-integral among rows from "
                            + offset);
        }
    }

    /**
     * Counts of a classifier evaluation.
     *
     * @param count the number of images evaluated, N
     * @param correctTop1 how many had the label as their top-1 prediction
     * @param correctTopK how many had the label among their top k predictions
     * @param k the k used: the configured top-k capped at the number of classes
     */
    public record Result(long count, long correctTop1, long correctTopK, int k) {

        /**
         * Returns the top-1 accuracy.
         *
         * @return {@code correctTop1 / count}, in [0, 1]
         */
        public double top1() {
            return (double) correctTop1 / count;
        }

        /**
         * Returns the top-k accuracy.
         *
         * @return {@code correctTopK / count}, in [0, 1]
         */
        public double topK() {
            return (double) correctTopK / count;
        }

        /**
         * Returns the counts of this and another evaluation together.
         *
         * @param other counts over other images with the same classifier
         * @return the summed counts
         * @throws IllegalArgumentException if the two used different k
         */
        public Result plus(Result other) {
            if (other.k != k) {
                throw new IllegalArgumentException(
                        "cannot add evaluations with k = " + k + " and k = " + other.k);
            }
            return new Result(
                    count + other.count,
                    correctTop1 + other.correctTop1,
                    correctTopK + other.correctTopK,
                    k);
        }
    }

    /** Builds a {@link ClassifierEvaluation}. */
    public static final class Builder {
        int batchSize = 256;
        int topK = 5;
        int logitsIndex = -1;

        Builder() {}

        /**
         * Sets how many rows are forwarded at once (default 256, ≥ 1); memory grows with it.
         *
         * @param batchSize rows per chunk
         * @return this builder
         */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Sets k of the top-k accuracy (default 5, as ImageNet results report; ≥ 1, capped at the
         * number of classes).
         *
         * @param topK k
         * @return this builder
         */
        public Builder optTopK(int topK) {
            this.topK = topK;
            return this;
        }

        /**
         * Sets which output of the classifier holds its logits (default −1, the last).
         *
         * @param logitsIndex the output index, or −1
         * @return this builder
         */
        public Builder optLogitsIndex(int logitsIndex) {
            this.logitsIndex = logitsIndex;
            return this;
        }

        /**
         * Builds the evaluation.
         *
         * @return the evaluation
         * @throws IllegalArgumentException for bad settings (see {@link ClassifierEvaluation})
         */
        public ClassifierEvaluation build() {
            return new ClassifierEvaluation(this);
        }
    }
}
