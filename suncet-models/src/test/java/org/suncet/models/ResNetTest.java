package org.suncet.models;

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
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

/** ResNet forward: shapes, stride placement, zero-init residual, batch norm modes, bad input. */
class ResNetTest {

    @ParameterizedTest(name = "resnet{0} w{1} at {2}px cifar {3} sk {4}")
    @CsvSource({
        "18, 1, 224, false, 0, 7",
        "18, 1, 224, true, 0, 28",
        "18, 0.5, 32, false, 0, 1",
        "18, 0.5, 32, true, 0, 4",
        "18, 0.5, 28, false, 0, 1",
        "18, 0.5, 28, true, 0, 4",
        "34, 0.25, 32, true, 0.0625, 4",
        "50, 0.25, 32, false, 0, 1",
        "50, 0.25, 32, true, 0, 4",
        "50, 0.25, 28, true, 0, 4",
        "50, 0.25, 28, false, 0.0625, 1",
        "50, 0.25, 64, false, 0.0625, 2",
        "101, 0.125, 32, true, 0, 4",
        "152, 0.0625, 28, true, 0.0625, 4"
    })
    void outputIsPooledFeaturesAndStagesHaveTheExpectedResolution(
            int depth, float width, int size, boolean cifar, float sk, int lastStageSide) {
        ResNet network =
                ResNet.builder()
                        .setDepth(depth)
                        .optWidthMultiplier(width)
                        .optCifarStem(cifar)
                        .optSelectiveKernelRatio(sk)
                        .build();
        Shape input = new Shape(2, 3, size, size);
        try (NDManager parameters = NDManager.newBaseManager();
                NDManager data = NDManager.newBaseManager()) {
            ModelTesting.initialize(network, parameters, 3, input);
            Shape[] shapes = network.getStem().getOutputShapes(new Shape[] {input});
            long stemSide = cifar ? size : ((size + 1) / 2 + 1) / 2;
            assertEquals(stemSide, shapes[0].get(2));
            for (Block stage : network.getStages()) {
                shapes = stage.getOutputShapes(shapes);
            }
            assertEquals(
                    new Shape(2, network.getFeatureSize(), lastStageSide, lastStageSide),
                    shapes[0]);
            NDArray output =
                    ModelTesting.forwardSingle(network, ModelTesting.normal(data, 4, input), false);
            assertEquals(new Shape(2, network.getFeatureSize()), output.getShape());
            assertEquals(network.getOutputShapes(new Shape[] {input})[0], output.getShape());
            assertTrue(output.isInfinite().logicalOr(output.isNaN()).none().getBoolean());
        }
    }

    @Test
    void bottlenecksCarryTheStrideOnThe3x3Convolution() {
        for (float sk : new float[] {0f, 0.0625f}) {
            ResNet network =
                    ResNet.builder()
                            .setDepth(50)
                            .optWidthMultiplier(0.25f)
                            .optSelectiveKernelRatio(sk)
                            .build();
            int strided = 0;
            for (ResidualBlock block : network.getResidualBlocks()) {
                List<Block> layers = block.getResidualBranch().getChildren().values();
                Conv2d first = (Conv2d) layers.get(0);
                assertEquals(new Shape(1, 1), first.getKernelShape());
                assertEquals(new Shape(1, 1), first.getStride());
                Conv2d middle =
                        sk > 0
                                ? (Conv2d) layers.get(3).getChildren().values().get(0)
                                : (Conv2d) layers.get(3);
                assertEquals(new Shape(3, 3), middle.getKernelShape());
                assertEquals(new Shape(block.getStride(), block.getStride()), middle.getStride());
                Conv2d last = (Conv2d) layers.get(sk > 0 ? 4 : 6);
                assertEquals(new Shape(1, 1), last.getStride());
                strided += block.getStride() == 2 ? 1 : 0;
                // the projection exists exactly where the shape changes
                boolean changes =
                        block.getStride() != 1 || block.getInChannels() != block.getOutChannels();
                assertEquals(changes, block.hasProjection());
            }
            assertEquals(3, strided);
        }
    }

    @Test
    void resnet18HasNoProjectionInItsFirstStageLikeTorchvision() {
        ResNet network = ResNet.builder().setDepth(18).build();
        List<ResidualBlock> blocks = network.getResidualBlocks();
        assertEquals(8, blocks.size());
        assertFalse(blocks.get(0).hasProjection());
        assertFalse(blocks.get(1).hasProjection());
        assertTrue(blocks.get(2).hasProjection());
        assertEquals(2, blocks.get(2).getStride());
    }

    @ParameterizedTest(name = "depth {0} sk {1}")
    @CsvSource({"18, 0", "50, 0", "50, 0.0625"})
    void zeroInitResidualMakesEveryBlockComputeReluOfItsShortcut(int depth, float sk) {
        assertEquals(0f, largestResidualEffect(depth, sk, true));
        assertTrue(largestResidualEffect(depth, sk, false) > 1e-3f);
    }

    /** The largest |block(x) − relu(shortcut(x))| over every residual block, at initialisation. */
    private static float largestResidualEffect(int depth, float sk, boolean zeroInit) {
        ResNet network =
                ResNet.builder()
                        .setDepth(depth)
                        .optWidthMultiplier(0.125f)
                        .optSelectiveKernelRatio(sk)
                        .optZeroInitResidual(zeroInit)
                        .build();
        float largest = 0;
        try (NDManager parameters = NDManager.newBaseManager();
                NDManager data = NDManager.newBaseManager()) {
            ModelTesting.initialize(network, parameters, 5, new Shape(2, 3, 32, 32));
            int seed = 10;
            for (ResidualBlock block : network.getResidualBlocks()) {
                for (boolean training : new boolean[] {false, true}) {
                    try (NDManager step = data.newSubManager()) {
                        NDArray x =
                                ModelTesting.normal(
                                        step, seed++, new Shape(2, block.getInChannels(), 8, 8));
                        NDArray output = ModelTesting.forwardSingle(block, x, training);
                        NDArray shortcut =
                                ModelTesting.forwardSingle(block.getShortcut(), x, training);
                        largest =
                                Math.max(
                                        largest,
                                        ModelTesting.maxAbsDifference(
                                                output, Activation.relu(shortcut)));
                    }
                }
            }
        }
        return largest;
    }

    @Test
    void trainingModeUpdatesRunningStatisticsWithDecayPointNineAndEvalModeDoesNot() {
        ResNet network =
                ResNet.builder().setDepth(18).optWidthMultiplier(0.125f).optCifarStem(true).build();
        Shape input = new Shape(4, 3, 8, 8);
        try (NDManager parameters = NDManager.newBaseManager();
                NDManager data = NDManager.newBaseManager()) {
            ModelTesting.initialize(network, parameters, 7, input);
            List<Block> stem = network.getStem().getChildren().values();
            Parameter runningMean = parameter(stem.get(1), "runningMean");
            Parameter runningVar = parameter(stem.get(1), "runningVar");
            NDArray x = ModelTesting.normal(data, 8, input).add(0.5f);
            float[] meanBefore = runningMean.getArray().toFloatArray();
            float[] allBefore = runningStatistics(network);

            ModelTesting.forwardSingle(network, x, false);
            assertArrayEqualsExactly(allBefore, runningStatistics(network));

            NDArray convolved = ModelTesting.forwardSingle(stem.get(0), x, false);
            ModelTesting.forwardSingle(network, x, true);
            // DJL decay m = 0.9: running = 0.9·running + 0.1·batch (variance unbiased, as PyTorch)
            NDArray batchMean =
                    convolved
                            .transpose(1, 0, 2, 3)
                            .reshape(convolved.getShape().get(1), -1)
                            .mean(new int[] {1});
            NDArray batchVar =
                    convolved
                            .transpose(1, 0, 2, 3)
                            .reshape(convolved.getShape().get(1), -1)
                            .sub(batchMean.expandDims(1))
                            .square()
                            .sum(new int[] {1})
                            .div(4 * 8 * 8 - 1);
            float[] expectedMean =
                    batchMean.mul(0.1f).add(data.create(meanBefore).mul(0.9f)).toFloatArray();
            float[] expectedVar = batchVar.mul(0.1f).add(0.9f).toFloatArray();
            assertArrayEqualsWithin(expectedMean, runningMean.getArray().toFloatArray(), 1e-5f);
            assertArrayEqualsWithin(expectedVar, runningVar.getArray().toFloatArray(), 1e-4f);
            float[] allAfter = runningStatistics(network);
            int changed = 0;
            for (int i = 0; i < allAfter.length; i++) {
                changed += allAfter[i] != allBefore[i] ? 1 : 0;
            }
            assertTrue(changed > allAfter.length * 0.9, changed + " of " + allAfter.length);
        }
    }

    @Test
    void evalForwardIsDeterministicAndTheSeedFixesTheInitialisation() {
        Shape input = new Shape(2, 3, 16, 16);
        try (NDManager parameters = NDManager.newBaseManager();
                NDManager data = NDManager.newBaseManager()) {
            ResNet first =
                    ResNet.builder()
                            .setDepth(50)
                            .optWidthMultiplier(0.125f)
                            .optSelectiveKernelRatio(0.0625f)
                            .build();
            ResNet second =
                    ResNet.builder()
                            .setDepth(50)
                            .optWidthMultiplier(0.125f)
                            .optSelectiveKernelRatio(0.0625f)
                            .build();
            ResNet other =
                    ResNet.builder()
                            .setDepth(50)
                            .optWidthMultiplier(0.125f)
                            .optSelectiveKernelRatio(0.0625f)
                            .build();
            ModelTesting.initialize(first, parameters, 11, input);
            ModelTesting.initialize(second, parameters, 11, input);
            ModelTesting.initialize(other, parameters, 12, input);
            NDArray x = ModelTesting.normal(data, 13, input);
            NDArray once = ModelTesting.forwardSingle(first, x, false);
            NDArray twice = ModelTesting.forwardSingle(first, x, false);
            ModelTesting.assertBitIdentical(once, twice);
            ModelTesting.assertBitIdentical(once, ModelTesting.forwardSingle(second, x, false));
            assertTrue(
                    ModelTesting.maxAbsDifference(once, ModelTesting.forwardSingle(other, x, false))
                            > 1e-4f);
        }
    }

    @Test
    void forwardLeavesOnlyItsOutputInTheInputsManagerAndALoopDoesNotGrow() {
        ResNet network =
                ResNet.builder()
                        .setDepth(50)
                        .optWidthMultiplier(0.125f)
                        .optSelectiveKernelRatio(0.0625f)
                        .build();
        Shape input = new Shape(2, 3, 16, 16);
        try (NDManager parameters = NDManager.newBaseManager();
                NDManager data = NDManager.newBaseManager()) {
            ModelTesting.initialize(network, parameters, 14, input);
            ParameterStore store = new ParameterStore(parameters, false);
            NDArray x = ModelTesting.normal(data, 15, input);
            for (boolean training : new boolean[] {false, true}) {
                int before = data.getManagedArrays().size();
                NDList output = network.forward(store, new NDList(x), training);
                assertEquals(before + 1, data.getManagedArrays().size(), "training " + training);
                output.close();
            }
            int parameterArrays = parameters.getManagedArrays().size();
            int dataArrays = data.getManagedArrays().size();
            for (int step = 0; step < 20; step++) {
                try (NDManager stepManager = data.newSubManager()) {
                    NDArray batch = x.duplicate();
                    batch.attach(stepManager);
                    network.forward(store, new NDList(batch), true);
                }
            }
            assertEquals(parameterArrays, parameters.getManagedArrays().size());
            assertEquals(dataArrays, data.getManagedArrays().size());
        }
    }

    @Test
    void grayscaleInputNeedsOneInputChannel() {
        ResNet network =
                ResNet.builder()
                        .setDepth(18)
                        .optWidthMultiplier(0.125f)
                        .optInputChannels(1)
                        .optCifarStem(true)
                        .build();
        try (NDManager parameters = NDManager.newBaseManager();
                NDManager data = NDManager.newBaseManager()) {
            ModelTesting.initialize(network, parameters, 16, new Shape(2, 1, 28, 28));
            NDArray output =
                    ModelTesting.forwardSingle(network, data.ones(new Shape(3, 1, 28, 28)), false);
            assertEquals(new Shape(3, 64), output.getShape());
            IllegalArgumentException wrong =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    ModelTesting.forward(
                                            network, data.ones(new Shape(3, 3, 28, 28)), false));
            assertTrue(wrong.getMessage().contains("C = 1"), wrong.getMessage());
            assertTrue(wrong.getMessage().contains("(3, 3, 28, 28)"), wrong.getMessage());
        }
    }

    @Test
    void wrongInputIsRejectedBeforeAndAfterInitialisation() {
        try (NDManager parameters = NDManager.newBaseManager()) {
            ResNet network = ResNet.builder().setDepth(18).optWidthMultiplier(0.125f).build();
            IllegalArgumentException early =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    network.initialize(
                                            parameters, DataType.FLOAT32, new Shape(2, 4, 32, 32)));
            assertTrue(early.getMessage().contains("(2, 4, 32, 32)"), early.getMessage());
            ModelTesting.initialize(network, parameters, 17, new Shape(2, 3, 32, 32));
            for (Shape bad :
                    new Shape[] {
                        new Shape(2, 1, 32, 32), new Shape(3, 32, 32), new Shape(2, 3, 4, 32, 32)
                    }) {
                IllegalArgumentException error =
                        assertThrows(
                                IllegalArgumentException.class,
                                () -> ModelTesting.forward(network, parameters.zeros(bad), false));
                assertTrue(error.getMessage().contains(bad.toString()), error.getMessage());
            }
        }
    }

    @Test
    void builderRejectsBadSettingsNamingThem() {
        assertMessage("depth", () -> ResNet.builder().build());
        assertMessage("20", () -> ResNet.builder().setDepth(20).build());
        assertMessage(
                "widthMultiplier",
                () -> ResNet.builder().setDepth(18).optWidthMultiplier(0).build());
        assertMessage("-1.0", () -> ResNet.builder().setDepth(18).optWidthMultiplier(-1).build());
        assertMessage(
                "NaN", () -> ResNet.builder().setDepth(18).optWidthMultiplier(Float.NaN).build());
        assertMessage(
                "selectiveKernelRatio",
                () -> ResNet.builder().setDepth(50).optSelectiveKernelRatio(-0.1f).build());
        assertMessage(
                "1.0", () -> ResNet.builder().setDepth(50).optSelectiveKernelRatio(1f).build());
        assertMessage(
                "inputChannels", () -> ResNet.builder().setDepth(18).optInputChannels(0).build());
        assertMessage(
                "momentum", () -> ResNet.builder().setDepth(18).optBatchNormMomentum(1.5f).build());
        assertMessage(
                "epsilon", () -> ResNet.builder().setDepth(18).optBatchNormEpsilon(0).build());
        assertMessage(
                "widthMultiplier",
                () -> ResNet.builder().setDepth(18).optWidthMultiplier(-2).getFeatureSize());
        assertMessage("200", () -> ResNetDepth.of(19));
    }

    private static void assertMessage(
            String expected, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, call);
        assertTrue(error.getMessage().contains(expected), error.getMessage());
    }

    private static Parameter parameter(Block block, String name) {
        return block.getDirectParameters().get(name);
    }

    private static float[] runningStatistics(Block network) {
        java.util.List<Float> values = new java.util.ArrayList<>();
        for (Parameter parameter : network.getParameters().values()) {
            if (parameter.getType() == Parameter.Type.RUNNING_MEAN
                    || parameter.getType() == Parameter.Type.RUNNING_VAR) {
                for (float value : parameter.getArray().toFloatArray()) {
                    values.add(value);
                }
            }
        }
        float[] result = new float[values.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = values.get(i);
        }
        return result;
    }

    private static void assertArrayEqualsExactly(float[] expected, float[] actual) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual, 0f);
    }

    private static void assertArrayEqualsWithin(float[] expected, float[] actual, float tolerance) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual, tolerance);
    }
}
