package org.suncet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.tracker.Tracker;
import java.util.List;

/**
 * A tiny seeded classification problem for the step tests: {@code classes} Gaussian clusters in
 * {@code features} dimensions, and small MLP classifiers trained with {@link NesterovSgd}.
 */
final class TinyClassification {

    static final int FEATURES = 8;
    static final int CLASSES = 3;

    private TinyClassification() {}

    /** Class centres {@code [CLASSES, FEATURES]}, ±1.5 apart on average; seeded by the caller. */
    static NDArray prototypes(NDManager manager) {
        return manager.randomNormal(new Shape(CLASSES, FEATURES)).mul(1.5f);
    }

    /** {@code perClass} noisy images of every class, class-major, and their int64 labels. */
    static NDList sample(NDArray prototypes, int perClass) {
        NDManager manager = prototypes.getManager();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray centres = prototypes.repeat(0, perClass); // [C·perClass, F]
            NDArray images =
                    manager.randomNormal(0f, 0.5f, centres.getShape(), DataType.FLOAT32)
                            .add(centres);
            NDArray labels = manager.arange(0, CLASSES, 1, DataType.INT64).repeat(perClass);
            NDScope.unregister(images, labels);
            return new NDList(images, labels);
        }
    }

    /** An MLP {@code FEATURES → hidden → ReLU → CLASSES}. */
    static SequentialBlock mlp(int hidden) {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(hidden).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(CLASSES).build());
    }

    /**
     * An MLP {@code FEATURES → hidden (no bias) → sqrt(|·|) → CLASSES} whose first weight gets a
     * NaN gradient, and nothing else does, whenever a row of the input is all zeros: that row's
     * hidden units are exactly 0, where sqrt(|h|) is finite (0) but its derivative is not
     * (sign(0)·∞ = NaN). The loss stays finite. Parameters: {@code 01Linear_weight}, {@code
     * 03Linear_weight}, {@code 03Linear_bias}.
     */
    static SequentialBlock poisonableMlp(int hidden) {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(hidden).optBias(false).build())
                .add(new LambdaBlock(list -> new NDList(list.singletonOrThrow().abs().sqrt())))
                .add(Linear.builder().setUnits(CLASSES).build());
    }

    /** A copy of {@code images} whose first row is all zeros (see {@link #poisonableMlp}). */
    static NDArray withZeroRow(NDArray images) {
        NDArray copy = images.duplicate();
        copy.set(new NDIndex("0"), 0f);
        return copy;
    }

    /** Every parameter's bytes, in the block's parameter order: equal means bit-identical. */
    static List<byte[]> bytes(Block block) {
        return block.getParameters().values().stream()
                .map(p -> p.getArray().toByteArray())
                .toList();
    }

    /** Checks that two {@link #bytes} snapshots are bit-identical. */
    static void assertBitIdentical(List<byte[]> expected, List<byte[]> actual, String message) {
        assertEquals(expected.size(), actual.size(), message);
        for (int p = 0; p < expected.size(); p++) {
            assertArrayEquals(expected.get(p), actual.get(p), message + ": parameter " + p);
        }
    }

    /** A trainer of {@code block} with {@link NesterovSgd} at a fixed rate, initialised. */
    static Trainer trainer(Model model, Block block, float learningRate, long batch) {
        model.setBlock(block);
        Trainer trainer =
                model.newTrainer(
                        new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                                .optOptimizer(
                                        NesterovSgd.builder()
                                                .setLearningRateTracker(
                                                        Tracker.fixed(learningRate))
                                                .build()));
        trainer.initialize(new Shape(batch, FEATURES));
        return trainer;
    }

    /** Every parameter's values, in the block's parameter order. */
    static float[][] snapshot(Block block) {
        return block.getParameters().values().stream()
                .map(p -> p.getArray().toFloatArray())
                .toArray(float[][]::new);
    }
}
