package org.suncet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListenerAdapter;
import java.util.List;

/**
 * A DJL training listener that measures, every k epochs, the soft-nearest-neighbour top-1 accuracy
 * of the model's frozen features on held-out images against a labeled memory: SuNCEt's kNN
 * monitor (Assran et al. 2020, arXiv 2006.10803), computed by {@link SoftNearestNeighbour}:
 *
 * <pre>
 *   h = model(x)[featureIndex], flattened      inference mode (batch norm frozen), no gradient
 *   p(class | h_q) = softmax(ĥ_q · Ĥ_memᵀ / τ) @ onehot(y_mem)
 *   top-1 = share of held-out queries whose argmax class is their label
 * </pre>
 *
 * <p>Defaults: τ = 0.1 (SuNCEt), every epoch, feature index 0 (the h of {@code ContrastiveModel}'s
 * {@code NDList(h, z)}), features extracted 256 images at a time. The memory is the labeled
 * training images (SuNCEt: the labeled split), the queries a held-out set, each an {@code [N, ...]}
 * array with {@code [N]} class ids; both stay the caller's (close them after training) and the
 * features are computed on the images' device.
 *
 * <p>Each measurement is recorded three ways: {@link #getHistory()} (epoch, accuracy); the
 * trainer's {@code Metrics}, when it has one ({@code trainer.setMetrics(new Metrics())}), under
 * {@link #getMetricName()} (default {@value #DEFAULT_METRIC_NAME}); and the model property of that
 * name (5 decimals), so a {@code SaveModelTrainingListener} added after this one saves it. The
 * model is only read: batch norm statistics, parameters, gradients and the engine's random
 * generator are untouched, so training computes the same with and without this listener. The epoch
 * count restarts at {@code onTrainingBegin}.
 *
 * <p>Bad settings ({@link IllegalArgumentException} from {@link Builder#build()}): missing memory,
 * queries or class count, images with no rows, labels that are not {@code [N]} numeric, k or the
 * batch size &lt; 1, a feature index &lt; −1, τ not finite and &gt; 0, an empty metric name.
 */
public final class SoftKnnTrainingListener extends TrainingListenerAdapter {

    /** The default name of the metric and model property: {@value}. */
    public static final String DEFAULT_METRIC_NAME = "soft_knn_top1";

    private final HeldOutEvaluation heldOut;
    private final SoftNearestNeighbour classifier;

    private SoftKnnTrainingListener(Builder builder) {
        this.classifier =
                SoftNearestNeighbour.builder()
                        .setNumClasses(builder.numClasses)
                        .optTemperature(builder.temperature)
                        .build();
        this.heldOut =
                new HeldOutEvaluation(
                        builder.memoryImages,
                        builder.memoryLabels,
                        builder.queryImages,
                        builder.queryLabels,
                        builder.every,
                        builder.featureIndex,
                        builder.batchSize,
                        builder.metricName);
    }

    /**
     * Returns a builder: τ = 0.1, every epoch, feature index 0, batches of 256.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the soft-kNN top-1 accuracy of {@code block}'s frozen features now.
     *
     * @param block an initialised block whose output at the feature index is the features
     * @return the held-out queries' top-1 accuracy, in [0, 1]
     */
    public double evaluate(Block block) {
        try (NDManager scratch = heldOut.newScratch()) {
            HeldOutEvaluation.Features features = heldOut.features(block, scratch);
            return classifier.accuracy(
                    features.queries(), features.queryLabels(), features.memory(), features.memoryLabels());
        }
    }

    /** {@inheritDoc} Starts counting epochs. */
    @Override
    public void onTrainingBegin(Trainer trainer) {
        heldOut.reset();
    }

    /** {@inheritDoc} Measures and records the accuracy when the epoch is a multiple of k. */
    @Override
    public void onEpoch(Trainer trainer) {
        if (heldOut.epochEnded()) {
            heldOut.record(trainer, evaluate(trainer.getModel().getBlock()));
        }
    }

    /**
     * Returns every measurement so far, oldest first.
     *
     * @return the (epoch, accuracy) records
     */
    public List<EpochAccuracy> getHistory() {
        return heldOut.history();
    }

    /**
     * Returns the name under which the accuracy goes into the trainer's metrics and the model's
     * properties.
     *
     * @return the metric name
     */
    public String getMetricName() {
        return heldOut.metricName();
    }

    /** Builds a {@link SoftKnnTrainingListener}. */
    public static final class Builder {
        NDArray memoryImages;
        NDArray memoryLabels;
        NDArray queryImages;
        NDArray queryLabels;
        int numClasses;
        float temperature = 0.1f;
        int every = 1;
        int featureIndex;
        int batchSize = 256;
        String metricName = DEFAULT_METRIC_NAME;

        Builder() {}

        /**
         * Sets the labeled memory (required): the images whose features the queries are compared
         * with, and their class ids.
         *
         * @param images {@code [N, ...]} labeled images
         * @param labels {@code [N]} their class ids in [0, classes)
         * @return this builder
         */
        public Builder setMemory(NDArray images, NDArray labels) {
            this.memoryImages = images;
            this.memoryLabels = labels;
            return this;
        }

        /**
         * Sets the held-out queries (required): the images classified, and their class ids.
         *
         * @param images {@code [Q, ...]} held-out images, on the memory's device
         * @param labels {@code [Q]} their class ids in [0, classes)
         * @return this builder
         */
        public Builder setQueries(NDArray images, NDArray labels) {
            this.queryImages = images;
            this.queryLabels = labels;
            return this;
        }

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
         * Sets τ (default 0.1, SuNCEt's kNN monitor).
         *
         * @param temperature τ, finite and &gt; 0
         * @return this builder
         */
        public Builder optTemperature(float temperature) {
            this.temperature = temperature;
            return this;
        }

        /**
         * Sets k: measure after epochs k, 2k, 3k, … (default 1).
         *
         * @param every k, ≥ 1
         * @return this builder
         */
        public Builder optEvery(int every) {
            this.every = every;
            return this;
        }

        /**
         * Sets which output of the model holds the features (default 0: h of {@code NDList(h, z)};
         * −1 for the last).
         *
         * @param featureIndex the output index, or −1
         * @return this builder
         */
        public Builder optFeatureIndex(int featureIndex) {
            this.featureIndex = featureIndex;
            return this;
        }

        /**
         * Sets how many images are forwarded at once to extract features (default 256).
         *
         * @param batchSize images per forward pass, ≥ 1
         * @return this builder
         */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Sets the name of the metric and model property (default {@value
         * SoftKnnTrainingListener#DEFAULT_METRIC_NAME}).
         *
         * @param metricName the name, not empty
         * @return this builder
         */
        public Builder optMetricName(String metricName) {
            this.metricName = metricName;
            return this;
        }

        /**
         * Builds the listener.
         *
         * @return the listener
         * @throws IllegalArgumentException for bad settings (see {@link SoftKnnTrainingListener})
         */
        public SoftKnnTrainingListener build() {
            return new SoftKnnTrainingListener(this);
        }
    }
}
