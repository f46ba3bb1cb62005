package org.suncet.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/** Encoder + head: outputs, derived classifiers, training, saving and loading. */
class ContrastiveModelTest {

    private static final Shape IMAGES = new Shape(8, 3, 16, 16);

    private static ContrastiveModel smallModel() {
        ResNet encoder =
                ResNet.builder().setDepth(18).optWidthMultiplier(0.125f).optCifarStem(true).build();
        return ContrastiveModel.builder()
                .setEncoder(encoder)
                .setHead(ProjectionHead.simclrV2(encoder.getFeatureSize()))
                .build();
    }

    @Test
    void forwardReturnsTheRepresentationAndItsProjection() {
        ContrastiveModel model = smallModel();
        try (NDManager parameters = NDManager.newBaseManager();
                NDManager data = NDManager.newBaseManager()) {
            ModelTesting.initialize(model, parameters, 1, IMAGES);
            NDArray x = ModelTesting.normal(data, 2, IMAGES);
            NDList outputs = ModelTesting.forward(model, x, false);
            assertEquals(2, outputs.size());
            assertEquals(new Shape(8, 64), outputs.get(0).getShape());
            assertEquals(new Shape(8, 128), outputs.get(1).getShape());
            Shape[] declared = model.getOutputShapes(new Shape[] {IMAGES});
            assertEquals(declared[0], outputs.get(0).getShape());
            assertEquals(declared[1], outputs.get(1).getShape());
            NDArray h = ModelTesting.forwardSingle(model.getEncoder(), x, false);
            ModelTesting.assertBitIdentical(h, outputs.get(0));
            ModelTesting.assertBitIdentical(
                    ModelTesting.forwardSingle(model.getHead(), h, false), outputs.get(1));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> ModelTesting.forward(model, data.zeros(new Shape(2, 1, 16, 16)), false));
        }
    }

    @Test
    void fineTuneClassifierSharesTheEncoderAndFirstHeadLayerAndStartsAtZeroLogits() {
        ContrastiveModel model = smallModel();
        FineTuneClassifier classifier = model.fineTuneClassifier(1, 10);
        assertSame(model.getEncoder(), classifier.getEncoder());
        assertEquals(1, classifier.getHeadLayers().getNumLayers());
        assertSame(
                model.getHead().getChildren().values().get(0),
                classifier.getHeadLayers().getChildren().values().get(0));
        try (NDManager parameters = NDManager.newBaseManager();
                NDManager data = NDManager.newBaseManager()) {
            ModelTesting.initialize(model, parameters, 3, IMAGES);
            ModelTesting.initialize(classifier, parameters, 4, IMAGES);
            Map<String, Parameter> pretrained = byId(model);
            for (Parameter parameter : classifier.getEncoder().getParameters().values()) {
                assertSame(pretrained.get(parameter.getId()), parameter);
            }
            for (Parameter parameter : classifier.getClassifier().getParameters().values()) {
                assertFalse(pretrained.containsKey(parameter.getId()));
                assertEquals(0f, parameter.getArray().abs().max().getFloat());
            }
            long encoder = ParameterCount.trainable(model.getEncoder());
            long headLayer = 64L * 64 + 2 * 64;
            assertEquals(encoder + headLayer + 64L * 10 + 10, ParameterCount.trainable(classifier));
            for (boolean training : new boolean[] {false, true}) {
                NDArray logits =
                        ModelTesting.forwardSingle(
                                classifier, ModelTesting.normal(data, 5, IMAGES), training);
                assertEquals(new Shape(8, 10), logits.getShape());
                assertEquals(0f, logits.abs().max().getFloat());
            }
            FineTuneClassifier dropHead = model.fineTuneClassifier(0, 3);
            ModelTesting.initialize(dropHead, parameters, 6, IMAGES);
            assertEquals(encoder + 64L * 3 + 3, ParameterCount.trainable(dropHead));
            assertEquals(0, dropHead.getHeadLayers().getNumLayers());
            NDArray dropHeadLogits =
                    ModelTesting.forwardSingle(dropHead, ModelTesting.normal(data, 7, IMAGES), true);
            assertEquals(new Shape(8, 3), dropHeadLogits.getShape());
        }
    }

    @Test
    void derivationsRejectBadArguments() {
        ContrastiveModel model = smallModel();
        assertMessage("[0, 3]", () -> model.fineTuneClassifier(4, 10));
        assertMessage("[0, 3]", () -> model.fineTuneClassifier(-1, 10));
        assertMessage("numClasses", () -> model.fineTuneClassifier(1, 0));
        assertMessage("numClasses", () -> model.linearProbe(-5));
        assertMessage(
                "encoder",
                () -> ContrastiveModel.builder().setHead(ProjectionHead.simclrV1(8)).build());
        assertMessage(
                "head",
                () ->
                        ContrastiveModel.builder()
                                .setEncoder(ResNet.builder().setDepth(18).build())
                                .build());
        assertMessage(
                "512",
                () ->
                        ContrastiveModel.builder()
                                .setEncoder(ResNet.builder().setDepth(18).build())
                                .setHead(ProjectionHead.simclrV1(2048))
                                .build());
    }

    @Test
    void aFewSgdStepsLowerAContrastiveStyleLossEndToEnd() {
        ContrastiveModel model = smallModel();
        try (NDManager parameters = NDManager.newBaseManager();
                NDManager data = NDManager.newBaseManager()) {
            ModelTesting.initialize(model, parameters, 9, IMAGES);
            Block stemConv = ((ResNet) model.getEncoder()).getStem().getChildren().values().get(0);
            NDArray stemBefore = stemConv.getParameters().get("weight").getArray().duplicate();
            NDArray images = ModelTesting.normal(data, 7, IMAGES);
            NDArray targets = ModelTesting.normal(data, 8, new Shape(8, 128));
            float[] losses =
                    train(
                            model,
                            9,
                            0.05f,
                            0f,
                            12,
                            images,
                            outputs -> outputs.get(1).sub(targets).square().mean());
            // measured 0.612 of the first loss with libtorch's own convolutions (oneDNN off by
            // ConvolutionKernelCheck, AMD EPYC Zen 5; also passes with its AVX cap, 20 runs);
            // 0.75 still asks for a quarter's drop
            assertTrue(
                    losses[losses.length - 1] < 0.75f * losses[0],
                    java.util.Arrays.toString(losses));
            NDArray stemAfter = stemConv.getParameters().get("weight").getArray();
            assertTrue(
                    ModelTesting.maxAbsDifference(stemBefore, stemAfter) > 0,
                    "the first layer trained");
        }
    }

    @Test
    void fineTuningTrainsTheSharedEncoderAndLowersCrossEntropy() {
        ContrastiveModel model = smallModel();
        try (NDManager parameters = NDManager.newBaseManager();
                NDManager data = NDManager.newBaseManager()) {
            ModelTesting.initialize(model, parameters, 10, IMAGES);
            Parameter stemWeight = model.getEncoder().getParameters().values().get(0);
            NDArray before = stemWeight.getArray().duplicate();
            FineTuneClassifier classifier = model.fineTuneClassifier(1, 4);
            NDArray images = ModelTesting.normal(data, 11, IMAGES);
            NDArray labels = data.create(new float[] {0, 1, 2, 3, 0, 1, 2, 3});
            Loss crossEntropy = Loss.softmaxCrossEntropyLoss();
            float[] losses =
                    train(
                            classifier,
                            12,
                            0.1f,
                            0f,
                            10,
                            images,
                            outputs -> crossEntropy.evaluate(new NDList(labels), outputs));
            assertEquals(
                    Math.log(4),
                    losses[0],
                    1e-5,
                    "zero-initialised classifier: uniform prediction");
            assertTrue(
                    losses[losses.length - 1] < 0.5f * losses[0],
                    java.util.Arrays.toString(losses));
            assertTrue(
                    ModelTesting.maxAbsDifference(before, stemWeight.getArray()) > 0,
                    "shared encoder was trained");
        }
    }

    @Test
    void linearProbeTrainsOnlyItsClassifierOnFrozenFeatures() {
        ContrastiveModel model = smallModel();
        try (NDManager parameters = NDManager.newBaseManager();
                NDManager data = NDManager.newBaseManager()) {
            ModelTesting.initialize(model, parameters, 13, IMAGES);
            LinearProbe probe = model.linearProbe(4);
            assertSame(model.getEncoder(), probe.getEncoder());
            for (Parameter parameter : model.getEncoder().getParameters().values()) {
                assertFalse(parameter.requiresGradient(), parameter.getName());
            }
            ModelTesting.initialize(probe, parameters, 14, IMAGES);
            assertEquals(64L * 4 + 4, ParameterCount.trainable(probe));
            Map<String, float[]> encoderBefore = values(model.getEncoder());
            NDArray images = ModelTesting.normal(data, 15, IMAGES);
            NDArray labels = data.create(new float[] {0, 1, 2, 3, 0, 1, 2, 3});
            Loss crossEntropy = Loss.softmaxCrossEntropyLoss();
            // with weight decay, so that an unfrozen encoder would move even without gradients
            float[] losses =
                    train(
                            probe,
                            16,
                            0.08f,
                            0.1f,
                            15,
                            images,
                            outputs -> crossEntropy.evaluate(new NDList(labels), outputs));
            // a convex problem at a small step: the loss goes down at every step
            for (int step = 1; step < losses.length; step++) {
                assertTrue(losses[step] < losses[step - 1], java.util.Arrays.toString(losses));
            }
            assertTrue(
                    losses[losses.length - 1] < losses[0] - 0.1f,
                    java.util.Arrays.toString(losses));
            Map<String, float[]> encoderAfter = values(model.getEncoder());
            for (Map.Entry<String, float[]> entry : encoderBefore.entrySet()) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(
                        entry.getValue(), encoderAfter.get(entry.getKey()), 0f, entry.getKey());
            }
            assertTrue(
                    probe.getClassifier()
                                    .getParameters()
                                    .get("weight")
                                    .getArray()
                                    .abs()
                                    .max()
                                    .getFloat()
                            > 0);
            model.getEncoder().freezeParameters(false);
            assertTrue(model.getEncoder().getParameters().values().get(0).requiresGradient());
        }
    }

    @Test
    void saveThenLoadGivesBitIdenticalEvalOutputs() throws Exception {
        Path folder = Paths.get("target", "test-models", "contrastive");
        Files.createDirectories(folder);
        try (NDManager data = NDManager.newBaseManager()) {
            NDArray images = ModelTesting.normal(data, 17, IMAGES);
            NDList saved;
            try (Model model = Model.newInstance("contrastive")) {
                ContrastiveModel network = smallModel();
                model.setBlock(network);
                // a few training steps so running statistics and weights are not at their init
                train(network, model, 18, 0.05f, 3, images);
                saved = ModelTesting.forward(network, images, false);
                // NaN here (training corrupted by oneDNN's strided 1×1 kernel, CHANGELOG 0.1.0)
                // used to surface only as "difference > 1e-3 is false" below
                assertAllFinite(saved.get(0), "trained h");
                assertAllFinite(saved.get(1), "trained z");
                model.save(folder, "contrastive");
            }
            try (Model model = Model.newInstance("contrastive")) {
                ContrastiveModel network = smallModel();
                ModelTesting.initialize(network, model.getNDManager(), 99, IMAGES);
                NDList fresh = ModelTesting.forward(network, images, false);
                // a differently seeded fresh model must not already give the saved outputs, or
                // the load below would prove nothing; measured difference 8.2 (AMD EPYC, Zen 4)
                float difference = ModelTesting.maxAbsDifference(saved.get(1), fresh.get(1));
                assertTrue(difference > 1e-3f, "fresh and trained z differ by " + difference);
                model.setBlock(network);
                model.load(folder, "contrastive");
                NDList loaded = ModelTesting.forward(network, images, false);
                ModelTesting.assertBitIdentical(saved.get(0), loaded.get(0));
                ModelTesting.assertBitIdentical(saved.get(1), loaded.get(1));
            }
        }
    }

    /** Trains {@code block} in a fresh model with SGD; returns the loss before each step. */
    private static float[] train(
            Block block,
            int seed,
            float learningRate,
            float weightDecay,
            int steps,
            NDArray images,
            Function<NDList, NDArray> loss) {
        try (Model model = Model.newInstance("train")) {
            model.setBlock(block);
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.l2Loss())
                            .optOptimizer(
                                    Optimizer.sgd()
                                            .setLearningRateTracker(Tracker.fixed(learningRate))
                                            .optWeightDecays(weightDecay)
                                            .build());
            float[] losses = new float[steps];
            try (Trainer trainer = model.newTrainer(config)) {
                Engine.getInstance().setRandomSeed(seed);
                trainer.initialize(images.getShape());
                for (int step = 0; step < steps; step++) {
                    try (NDManager stepManager = images.getManager().newSubManager()) {
                        NDArray batch = images.duplicate();
                        batch.attach(stepManager);
                        try (GradientCollector collector = trainer.newGradientCollector()) {
                            NDArray value = loss.apply(trainer.forward(new NDList(batch)));
                            losses[step] = value.getFloat();
                            collector.backward(value);
                        }
                        trainer.step();
                    }
                }
            }
            return losses;
        }
    }

    private static void train(
            ContrastiveModel network,
            Model model,
            int seed,
            float rate,
            int steps,
            NDArray images) {
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(Loss.l2Loss())
                        .optOptimizer(
                                Optimizer.sgd()
                                        .setLearningRateTracker(Tracker.fixed(rate))
                                        .build());
        try (Trainer trainer = model.newTrainer(config)) {
            Engine.getInstance().setRandomSeed(seed);
            trainer.initialize(images.getShape());
            for (int step = 0; step < steps; step++) {
                try (NDManager stepManager = images.getManager().newSubManager();
                        GradientCollector collector = trainer.newGradientCollector()) {
                    NDArray batch = images.duplicate();
                    batch.attach(stepManager);
                    NDArray z = trainer.forward(new NDList(batch)).get(1);
                    collector.backward(z.square().mean());
                }
                trainer.step();
            }
        }
        assertTrue(network.isInitialized());
    }

    private static void assertAllFinite(NDArray array, String what) {
        for (float value : array.toFloatArray()) {
            assertTrue(Float.isFinite(value), what + " holds a non-finite value: " + value);
        }
    }

    private static Map<String, Parameter> byId(Block block) {
        Map<String, Parameter> parameters = new HashMap<>();
        for (Parameter parameter : block.getParameters().values()) {
            parameters.put(parameter.getId(), parameter);
        }
        return parameters;
    }

    private static Map<String, float[]> values(Block block) {
        Map<String, float[]> values = new HashMap<>();
        block.getParameters()
                .forEach(
                        pair ->
                                values.put(
                                        pair.getKey(),
                                        pair.getValue()
                                                .getArray()
                                                .toType(DataType.FLOAT32, true)
                                                .toFloatArray()));
        return values;
    }

    private static void assertMessage(
            String expected, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, call);
        assertTrue(error.getMessage().contains(expected), error.getMessage());
    }
}
