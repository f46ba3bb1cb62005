package org.suncet.train;

import ai.djl.metric.Metrics;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the evaluation listeners share: the labeled memory and the held-out queries, the frozen
 * features of both, the every-k-epochs schedule and the records (history, the trainer's {@link
 * Metrics}, a model property).
 */
final class HeldOutEvaluation {

    private final NDArray memoryImages;
    private final NDArray memoryLabels;
    private final NDArray queryImages;
    private final NDArray queryLabels;
    private final int every;
    private final int featureIndex;
    private final int batchSize;
    private final String metricName;
    private final List<EpochAccuracy> history = new ArrayList<>();
    private int epochs;

    HeldOutEvaluation(
            NDArray memoryImages,
            NDArray memoryLabels,
            NDArray queryImages,
            NDArray queryLabels,
            int every,
            int featureIndex,
            int batchSize,
            String metricName) {
        check(memoryImages, memoryLabels, "memory");
        check(queryImages, queryLabels, "queries");
        if (every < 1) {
            throw new IllegalArgumentException("every must be >= 1 epoch, got " + every);
        }
        if (featureIndex < -1) {
            throw new IllegalArgumentException(
                    "featureIndex must be >= 0, or -1 for the last output; got " + featureIndex);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        if (metricName == null || metricName.isEmpty()) {
            throw new IllegalArgumentException("metricName must not be empty, got " + metricName);
        }
        this.memoryImages = memoryImages;
        this.memoryLabels = memoryLabels;
        this.queryImages = queryImages;
        this.queryLabels = queryLabels;
        this.every = every;
        this.featureIndex = featureIndex;
        this.batchSize = batchSize;
        this.metricName = metricName;
    }

    private static void check(NDArray images, NDArray labels, String name) {
        if (images == null || labels == null) {
            throw new IllegalArgumentException(name + " images and labels must be set, got null");
        }
        long rows = SupervisedStep.checkImages(images, name + " images");
        SupervisedStep.checkLabels(labels, rows, name + " labels");
    }

    /** The frozen features of memory and queries and their labels, all owned by {@code scratch}. */
    record Features(NDArray memory, NDArray memoryLabels, NDArray queries, NDArray queryLabels) {}

    /**
     * Computes the features of the memory and the queries, in inference mode on the images'
     * device, and copies the labels there; everything belongs to {@code scratch}.
     */
    Features features(Block block, NDManager scratch) {
        ClassifierEvaluation extraction =
                ClassifierEvaluation.builder().optBatchSize(batchSize).build();
        NDArray memory = extraction.extractFeatures(block, memoryImages, featureIndex);
        memory.attach(scratch);
        NDArray queries = extraction.extractFeatures(block, queryImages, featureIndex);
        queries.attach(scratch);
        if (!memory.getDevice().equals(queries.getDevice())) {
            throw new IllegalArgumentException(
                    "memory and query images must be on one device, got "
                            + memory.getDevice()
                            + " and "
                            + queries.getDevice());
        }
        NDArray memoryIds = memoryLabels.toDevice(memory.getDevice(), true);
        memoryIds.attach(scratch);
        NDArray queryIds = queryLabels.toDevice(queries.getDevice(), true);
        queryIds.attach(scratch);
        return new Features(memory, memoryIds, queries, queryIds);
    }

    /** A manager for one evaluation's arrays, under the memory images' manager. */
    NDManager newScratch() {
        return memoryImages.getManager().newSubManager();
    }

    /** Counts an epoch; returns whether this one is due for an evaluation. */
    boolean epochEnded() {
        epochs++;
        return epochs % every == 0;
    }

    /** Starts counting epochs afresh. */
    void reset() {
        epochs = 0;
    }

    /** Records an accuracy measured after the current epoch. */
    void record(Trainer trainer, double accuracy) {
        history.add(new EpochAccuracy(epochs, accuracy));
        Metrics metrics = trainer.getMetrics();
        if (metrics != null) {
            metrics.addMetric(metricName, accuracy);
        }
        trainer.getModel().setProperty(metricName, String.format(Locale.ROOT, "%.5f", accuracy));
    }

    List<EpochAccuracy> history() {
        return List.copyOf(history);
    }

    String metricName() {
        return metricName;
    }
}
