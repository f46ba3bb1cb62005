package org.suncet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

class ClassifierEvaluationTest {

    /** Logits are the input: the evaluation then sees exactly the numbers the test chose. */
    static Block identity(NDManager manager, int classes) {
        Block block = new LambdaBlock(list -> list);
        block.initialize(manager, DataType.FLOAT32, new Shape(1, classes));
        return block;
    }

    /** Plain loop top-k: the label's rank with ties broken towards the lower class. */
    static long[] reference(float[][] logits, long[] labels, int k) {
        long top1 = 0;
        long topK = 0;
        for (int b = 0; b < labels.length; b++) {
            float target = logits[b][(int) labels[b]];
            int rank = 0;
            for (int c = 0; c < logits[b].length; c++) {
                if (logits[b][c] > target || (logits[b][c] == target && c < labels[b])) {
                    rank++;
                }
            }
            top1 += rank < 1 ? 1 : 0;
            topK += rank < k ? 1 : 0;
        }
        return new long[] {top1, topK};
    }

    @Property(tries = 25)
    void topOneAndTopKMatchThePlainLoop(
            @ForAll @IntRange(min = 1, max = 40) int rows,
            @ForAll @IntRange(min = 1, max = 9) int classes,
            @ForAll @IntRange(min = 1, max = 16) int batchSize,
            @ForAll @IntRange(min = 1, max = 6) int k,
            @ForAll long seed) {
        Random random = new Random(seed);
        float[][] logits = new float[rows][classes];
        long[] labels = new long[rows];
        for (int b = 0; b < rows; b++) {
            for (int c = 0; c < classes; c++) {
                // few distinct values, so ties are common
                logits[b][c] = random.nextInt(4) - 1.5f;
            }
            labels[b] = random.nextInt(classes);
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray images = manager.create(logits);
            NDArray labelArray = manager.create(labels);
            int before = manager.getManagedArrays().size();
            ClassifierEvaluation.Result result =
                    ClassifierEvaluation.builder()
                            .optBatchSize(batchSize)
                            .optTopK(k)
                            .build()
                            .evaluate(identity(manager, classes), images, labelArray);
            int capped = Math.min(k, classes);
            long[] expected = reference(logits, labels, capped);
            assertEquals(rows, result.count());
            assertEquals(expected[0], result.correctTop1());
            assertEquals(expected[1], result.correctTopK());
            assertEquals(capped, result.k());
            assertEquals((double) expected[0] / rows, result.top1(), 1e-12);
            assertEquals((double) expected[1] / rows, result.topK(), 1e-12);
            assertEquals(before, manager.getManagedArrays().size(), "arrays left behind");
        }
    }

    @Test
    void allEqualLogitsCountOnlyClassZeroAndNanCountsAsWrong() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ClassifierEvaluation evaluation = ClassifierEvaluation.builder().optTopK(2).build();
            NDArray zeros = manager.zeros(new Shape(4, 3));
            ClassifierEvaluation.Result result =
                    evaluation.evaluate(
                            identity(manager, 3), zeros, manager.create(new float[] {0, 1, 2, 0}));
            assertEquals(2, result.correctTop1(), "only the rows labelled 0");
            assertEquals(3, result.correctTopK(), "classes 0 and 1 are the top 2");
            NDArray withNan =
                    manager.create(new float[][] {{Float.NaN, 0, 0}, {1, 0, 0}});
            ClassifierEvaluation.Result nan =
                    evaluation.evaluate(
                            identity(manager, 3), withNan, manager.create(new long[] {0, 0}));
            assertEquals(1, nan.correctTop1());
            assertEquals(1, nan.correctTopK());
        }
    }

    @Test
    void inferenceModeMakesResultsIndependentOfTheBatchSize() {
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(13);
            SequentialBlock classifier =
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(12).build())
                            .add(BatchNorm.builder().build())
                            .add(Activation::relu)
                            .add(Dropout.builder().optRate(0.5f).build())
                            .add(Linear.builder().setUnits(5).build());
            classifier.initialize(manager, DataType.FLOAT32, new Shape(2, 6));
            float[][] parametersBefore = TinyClassification.snapshot(classifier);
            NDArray images = manager.randomNormal(new Shape(23, 6));
            NDArray labels = manager.randomInteger(0, 5, new Shape(23), DataType.INT64);
            ClassifierEvaluation.Result one =
                    ClassifierEvaluation.builder()
                            .optBatchSize(1)
                            .build()
                            .evaluate(classifier, images, labels);
            ClassifierEvaluation.Result all =
                    ClassifierEvaluation.builder()
                            .optBatchSize(64)
                            .build()
                            .evaluate(classifier, images, labels);
            assertEquals(one, all);
            float[][] parametersAfter = TinyClassification.snapshot(classifier);
            for (int p = 0; p < parametersBefore.length; p++) {
                // running statistics included: inference mode never updates them
                assertArrayEquals(parametersBefore[p], parametersAfter[p]);
            }
        }
    }

    @Test
    void batchesFromADatasetAreCountedAndClosed() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Random random = new Random(2);
            float[][] logits = new float[30][4];
            long[] labels = new long[30];
            for (int b = 0; b < 30; b++) {
                for (int c = 0; c < 4; c++) {
                    logits[b][c] = (float) random.nextGaussian();
                }
                labels[b] = random.nextInt(4);
            }
            List<Batch> batches = new ArrayList<>();
            List<NDManager> batchManagers = new ArrayList<>();
            for (int start = 0; start < 30; start += 7) {
                int end = Math.min(30, start + 7);
                NDManager batchManager = manager.newSubManager();
                batchManagers.add(batchManager);
                float[][] part = Arrays.copyOfRange(logits, start, end);
                long[] partLabels = Arrays.copyOfRange(labels, start, end);
                batches.add(
                        new Batch(
                                batchManager,
                                new NDList(batchManager.create(part)),
                                // float32 labels, as DJL's Fashion-MNIST gives them
                                new NDList(
                                        batchManager
                                                .create(partLabels)
                                                .toType(DataType.FLOAT32, false)),
                                end - start,
                                null,
                                null,
                                start,
                                30));
            }
            ClassifierEvaluation.Result result =
                    ClassifierEvaluation.builder()
                            .optBatchSize(4)
                            .optTopK(2)
                            .build()
                            .evaluate(identity(manager, 4), batches);
            long[] expected = reference(logits, labels, 2);
            assertEquals(new ClassifierEvaluation.Result(30, expected[0], expected[1], 2), result);
            for (NDManager batchManager : batchManagers) {
                assertFalse(batchManager.isOpen(), "batch not closed");
            }
            assertThrows(
                    IllegalArgumentException.class,
                    () ->
                            ClassifierEvaluation.builder()
                                    .build()
                                    .evaluate(identity(manager, 4), List.of()));
        }
    }

    @Test
    void featuresAreTheEncoderOutputInChunks() {
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(17);
            Block encoder = Linear.builder().setUnits(5).build();
            encoder.initialize(manager, DataType.FLOAT32, new Shape(1, 6));
            // a two-output block like ContrastiveModel: NDList(h, z)
            Block twoOutputs =
                    new LambdaBlock(
                            list -> new NDList(list.head().mul(2), list.head().sum(new int[] {1})));
            twoOutputs.initialize(manager, DataType.FLOAT32, new Shape(1, 2, 3));
            NDArray images = manager.randomNormal(new Shape(11, 6));
            ClassifierEvaluation evaluation =
                    ClassifierEvaluation.builder().optBatchSize(4).build();
            int before = manager.getManagedArrays().size();
            try (NDArray features = evaluation.extractFeatures(encoder, images)) {
                assertEquals(new Shape(11, 5), features.getShape());
                assertEquals(before + 1, manager.getManagedArrays().size(), "only the result kept");
                try (NDManager scratch = manager.newSubManager()) {
                    NDArray whole =
                            encoder.forward(
                                            new ParameterStore(scratch, false),
                                            new NDList(images),
                                            false)
                                    .singletonOrThrow();
                    whole.attach(scratch);
                    assertArrayEquals(whole.toFloatArray(), features.toFloatArray(), 1e-6f);
                }
            }
            NDArray cubes = manager.arange(0f, 60f).reshape(10, 2, 3);
            try (NDArray h = evaluation.extractFeatures(twoOutputs, cubes);
                    NDArray z = evaluation.extractFeatures(twoOutputs, cubes, -1)) {
                assertEquals(new Shape(10, 6), h.getShape(), "first output, flattened");
                assertEquals(new Shape(10, 3), z.getShape());
                assertEquals(2f, h.getFloat(0, 1));
            }
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> evaluation.extractFeatures(twoOutputs, cubes, 2));
            assertTrue(e.getMessage().contains("2 outputs"), e.getMessage());
        }
    }

    @Test
    void badInputIsRejected() {
        assertThrows(
                IllegalArgumentException.class,
                () -> ClassifierEvaluation.builder().optBatchSize(0).build());
        assertThrows(
                IllegalArgumentException.class,
                () -> ClassifierEvaluation.builder().optTopK(0).build());
        assertThrows(
                IllegalArgumentException.class,
                () -> ClassifierEvaluation.builder().optLogitsIndex(-2).build());
        ClassifierEvaluation evaluation = ClassifierEvaluation.builder().optBatchSize(2).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            Block classifier = identity(manager, 3);
            NDArray logits = manager.zeros(new Shape(4, 3));
            IllegalArgumentException range =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    evaluation.evaluate(
                                            classifier,
                                            logits,
                                            manager.create(new long[] {0, 1, 2, 3})));
            assertTrue(range.getMessage().contains("[0, 3)"), range.getMessage());
            assertThrows(
                    IllegalArgumentException.class,
                    () ->
                            evaluation.evaluate(
                                    classifier,
                                    logits,
                                    manager.create(new float[] {0, 1.5f, 2, 0})));
            assertThrows(
                    IllegalArgumentException.class,
                    () ->
                            evaluation.evaluate(
                                    classifier, logits, manager.create(new long[] {-1, 0, 0, 0})));
            IllegalArgumentException shape =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    evaluation.evaluate(
                                            classifier, logits, manager.create(new long[] {0})));
            assertTrue(shape.getMessage().contains("[4]"), shape.getMessage());
            IllegalArgumentException rank =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    evaluation.evaluate(
                                            classifier,
                                            manager.zeros(new Shape(4, 3, 1)),
                                            manager.create(new long[] {0, 0, 0, 0})));
            assertTrue(rank.getMessage().contains("logits"), rank.getMessage());
        }
    }
}
