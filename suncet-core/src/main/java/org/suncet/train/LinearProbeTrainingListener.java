package org.suncet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListenerAdapter;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A DJL training listener that measures, every k epochs, how linearly separable the model's frozen
 * features are: it trains a linear classifier on the features of a labeled memory and reports its
 * top-1 accuracy on held-out images (SimCLR's linear evaluation, Chen et al. 2020, arXiv
 * 2002.05709, §B.6, on features extracted once, without augmentation):
 *
 * <pre>
 *   h = model(x)[featureIndex], flattened        inference mode (batch norm frozen), no gradient
 *   ĥ = (h − μ) / max(σ, 1e-6)                   μ, σ per dimension over the memory's features
 *   logits = W ĥ + b,   W = 0, b = 0 at the start
 *   W, b ← Nesterov SGD (m = 0.9) on mean cross-entropy, cosine-decayed learning rate,
 *          E epochs over the memory in seeded random order, batches of B
 *   top-1 = share of held-out queries whose argmax logit is their label
 * </pre>
 *
 * <p>The standardisation plays the part of the parameter-free batch norm that MAE puts before its
 * linear probe (He et al. 2021, arXiv 2111.06377): one learning rate then suits any feature scale.
 * Defaults: every epoch, feature index 0 (the h of {@code ContrastiveModel}'s {@code NDList(h,
 * z)}), E = 100 epochs, B = 256, peak learning rate 0.1 decayed to 0 by {@link
 * WarmupCosineSchedule}, seed 0. The probe is plain NDArray arithmetic with the cross-entropy's
 * closed-form gradient ({@code xᵀ(softmax(xW + b) − onehot(y)) / B}) and the update of {@link
 * NesterovSgd}, outside any DJL trainer (whose first-step check rejects a linear softmax layer:
 * its gradients sum to exactly zero over the classes); it costs {@code E·⌈N / B⌉} steps of a few
 * {@code [B, D]×[D, C]} products besides the two feature extractions.
 *
 * <p>The memory is the labeled training images (SuNCEt: the labeled split), the queries a held-out
 * set, each an {@code [N, ...]} array with {@code [N]} class ids; both stay the caller's, and the
 * features and the probe live on the images' device. Each measurement is recorded in {@link
 * #getHistory()}, in the trainer's {@code Metrics} when it has one ({@code trainer.setMetrics(new
 * Metrics())}) under {@link #getMetricName()} (default {@value #DEFAULT_METRIC_NAME}), and as the
 * model property of that name. The trained model is only read and the probe uses no engine
 * randomness (zero initialisation, a {@code java.util.Random} order), so training computes the
 * same with and without this listener. The epoch count restarts at {@code onTrainingBegin}.
 *
 * <p>Bad settings ({@link IllegalArgumentException} from {@link Builder#build()}): missing memory,
 * queries or class count, images with no rows, labels that are not {@code [N]} numeric, k, E or
 * B &lt; 1, a feature index &lt; −1, a learning rate not finite and &gt; 0, an empty metric name.
 */
public final class LinearProbeTrainingListener extends TrainingListenerAdapter {

    /** The default name of the metric and model property: {@value}. */
    public static final String DEFAULT_METRIC_NAME = "linear_probe_top1";

    /** The probe's Nesterov momentum m. */
    static final float MOMENTUM = 0.9f;

    private final HeldOutEvaluation heldOut;
    private final int numClasses;
    private final int epochs;
    private final int batchSize;
    private final float learningRate;
    private final long seed;

    private LinearProbeTrainingListener(Builder builder) {
        if (builder.numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be >= 1, got " + builder.numClasses);
        }
        if (builder.epochs < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + builder.epochs);
        }
        if (!(builder.learningRate > 0f) || Float.isInfinite(builder.learningRate)) {
            throw new IllegalArgumentException(
                    "learningRate must be finite and > 0, got " + builder.learningRate);
        }
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
        this.numClasses = builder.numClasses;
        this.epochs = builder.epochs;
        this.batchSize = builder.batchSize;
        this.learningRate = builder.learningRate;
        this.seed = builder.seed;
    }

    /**
     * Returns a builder: every epoch, feature index 0, 100 probe epochs of batches of 256 at a peak
     * learning rate of 0.1, seed 0.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Trains a fresh linear probe on {@code block}'s frozen features of the memory and returns its
     * top-1 accuracy on the queries.
     *
     * @param block an initialised block whose output at the feature index is the features
     * @return the held-out queries' top-1 accuracy, in [0, 1]
     */
    public double evaluate(Block block) {
        try (NDManager scratch = heldOut.newScratch()) {
            HeldOutEvaluation.Features features = heldOut.features(block, scratch);
            NDArray memory = features.memory(); // [N, D]
            NDArray mean = memory.mean(new int[] {0}, true); // [1, D]
            NDArray std = memory.sub(mean).square().mean(new int[] {0}, true).sqrt().maximum(1e-6f);
            NDArray train = memory.sub(mean).div(std);
            NDArray test = features.queries().sub(mean).div(std);
            NDList probe = train(train, features.memoryLabels()); // W [D, C], b [C]
            NDArray logits = test.matMul(probe.get(0)).add(probe.get(1)); // [Q, C]
            NDArray predicted = logits.argMax(1); // ties: the lowest class
            NDArray labels = features.queryLabels().toType(DataType.INT64, false);
            long correct = predicted.eq(labels).sum().getLong();
            return (double) correct / labels.getShape().get(0);
        }
    }

    /**
     * Trains {@code logits = x W + b} from zero by Nesterov SGD (PyTorch's form, as {@link
     * NesterovSgd}: {@code v ← m v + g, w ← w − lr (g + m v)}, m = 0.9) on the mean cross-entropy,
     * whose gradient is taken in closed form: with {@code P = softmax(x W + b)} and {@code G = (P −
     * onehot(y)) / B}, {@code ∂/∂W = xᵀ G} and {@code ∂/∂b = Σ_rows G}. The learning rate follows
     * {@link WarmupCosineSchedule} from the peak to 0 over all steps, no warm-up.
     *
     * @param features {@code [N, D]} standardised features
     * @param labels {@code [N]} class ids
     * @return {@code NDList(W [D, C], b [C])}, owned by the features' manager
     */
    NDList train(NDArray features, NDArray labels) {
        NDManager owner = features.getManager();
        int rows = Math.toIntExact(features.getShape().get(0));
        long dimensions = features.getShape().get(1);
        int batch = Math.min(batchSize, rows);
        int stepsPerEpoch = (rows + batch - 1) / batch;
        WarmupCosineSchedule schedule =
                WarmupCosineSchedule.builder()
                        .setPeakValue(learningRate)
                        .setTotalSteps(epochs * stepsPerEpoch)
                        .build();
        DataType type = features.getDataType();
        NDArray oneHot = labels.toType(DataType.INT64, false).oneHot(numClasses, type); // [N, C]
        NDArray weight = owner.zeros(new Shape(dimensions, numClasses), type, features.getDevice());
        NDArray bias = owner.zeros(new Shape(numClasses), type, features.getDevice());
        NDArray weightVelocity = weight.zerosLike();
        NDArray biasVelocity = bias.zerosLike();
        Random random = new Random(seed);
        int update = 0;
        for (int epoch = 0; epoch < epochs; epoch++) {
            long[] order = shuffled(rows, random);
            for (int s = 0; s < stepsPerEpoch; s++) {
                int start = s * batch;
                int end = Math.min(rows, start + batch);
                float rate = schedule.getNewValue(update++);
                try (NDManager step = owner.newSubManager()) {
                    NDArray index = step.create(Arrays.copyOfRange(order, start, end))
                            .toDevice(features.getDevice(), false);
                    NDArray x = features.get(new NDIndex("{}", index)); // [B, D]
                    NDArray y = oneHot.get(new NDIndex("{}", index)); // [B, C]
                    x.attach(step);
                    y.attach(step);
                    NDArray probabilities = x.matMul(weight).add(bias).softmax(1); // [B, C]
                    NDArray residual = probabilities.sub(y).div(end - start); // G
                    NDArray weightGradient = x.transpose().matMul(residual); // [D, C]
                    NDArray biasGradient = residual.sum(new int[] {0}); // [C]
                    nesterov(weight, weightVelocity, weightGradient, rate);
                    nesterov(bias, biasVelocity, biasGradient, rate);
                }
            }
        }
        NDList result = new NDList(weight, bias);
        oneHot.close();
        weightVelocity.close();
        biasVelocity.close();
        return result;
    }

    /** {@code v ← m v + g; w ← w − lr (g + m v)}, in place. */
    private static void nesterov(NDArray weight, NDArray velocity, NDArray gradient, float rate) {
        velocity.muli(MOMENTUM).addi(gradient);
        try (NDArray momentum = velocity.mul(MOMENTUM);
                NDArray direction = gradient.add(momentum);
                NDArray change = direction.mul(rate)) {
            weight.subi(change);
        }
    }

    /** A Fisher–Yates permutation of {@code 0 .. rows − 1}. */
    private static long[] shuffled(int rows, Random random) {
        long[] order = new long[rows];
        for (int i = 0; i < rows; i++) {
            order[i] = i;
        }
        for (int i = rows - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            long keep = order[i];
            order[i] = order[j];
            order[j] = keep;
        }
        return order;
    }

    /** {@inheritDoc} Starts counting epochs. */
    @Override
    public void onTrainingBegin(Trainer trainer) {
        heldOut.reset();
    }

    /** {@inheritDoc} Trains a probe and records its accuracy when the epoch is a multiple of k. */
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

    /** Builds a {@link LinearProbeTrainingListener}. */
    public static final class Builder {
        NDArray memoryImages;
        NDArray memoryLabels;
        NDArray queryImages;
        NDArray queryLabels;
        int numClasses;
        int every = 1;
        int featureIndex;
        int epochs = 100;
        int batchSize = 256;
        float learningRate = 0.1f;
        long seed;
        String metricName = DEFAULT_METRIC_NAME;

        Builder() {}

        /**
         * Sets the labeled memory (required): the images the probe is trained on, and their class
         * ids.
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
         * Sets the held-out queries (required): the images the probe classifies, and their class
         * ids.
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
         * Sets the probe's training epochs over the memory (default 100).
         *
         * @param epochs E, ≥ 1
         * @return this builder
         */
        public Builder optEpochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        /**
         * Sets the batch size of the probe's steps and of the feature extraction (default 256;
         * capped at the memory's size for the steps).
         *
         * @param batchSize B, ≥ 1
         * @return this builder
         */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Sets the peak learning rate of the cosine decay (default 0.1).
         *
         * @param learningRate the rate, finite and &gt; 0
         * @return this builder
         */
        public Builder optLearningRate(float learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        /**
         * Sets the seed of the probe's batch order (default 0).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets the name of the metric and model property (default {@value
         * LinearProbeTrainingListener#DEFAULT_METRIC_NAME}).
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
         * @throws IllegalArgumentException for bad settings (see {@link
         *     LinearProbeTrainingListener})
         */
        public LinearProbeTrainingListener build() {
            return new LinearProbeTrainingListener(this);
        }
    }
}
