package org.suncet.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

/**
 * {@link SubsampledProjection} computes the strided 1×1 projection it replaces: the same outputs,
 * input gradients and parameter gradients in float64 (where libtorch does not use oneDNN), the
 * same parameter names and shapes; and no ResNet asks libtorch for a strided 1×1 convolution.
 */
class SubsampledProjectionTest {

    private static final ConvBnFactory LAYERS = new ConvBnFactory(0.9f, 1e-5f, false);

    /** The shortcut as it was built before: one 1×1 convolution with the stride, then BN. */
    private static LayerSequence stridedReference(int out, int stride) {
        return new LayerSequence()
                .add("conv", LAYERS.conv(out, 1, stride))
                .add("bn", LAYERS.batchNorm());
    }

    @ParameterizedTest(name = "{0} -> {1} channels, {2} px, stride {3}, channels-last {4}")
    @CsvSource({
        "4, 8, 32, 2, false", "4, 8, 32, 2, true", "8, 16, 7, 2, false", "16, 32, 9, 2, true",
        "3, 5, 10, 3, false"
    })
    void equalsTheStridedConvolutionInFloat64(
            int in, int out, int size, int stride, boolean channelsLast) {
        Shape input = new Shape(4, in, size, size);
        Block subsampled = new SubsampledProjection(LAYERS.conv(out, 1, 1), LAYERS.batchNorm(), stride);
        Block strided = stridedReference(out, stride);
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(3);
            subsampled.initialize(manager, DataType.FLOAT64, input);
            Engine.getInstance().setRandomSeed(3);
            strided.initialize(manager, DataType.FLOAT64, input);
            assertEquals(names(strided), names(subsampled));
            for (int i = 0; i < strided.getParameters().size(); i++) {
                NDArray reference = strided.getParameters().get(i).getValue().getArray();
                NDArray ours = subsampled.getParameters().get(i).getValue().getArray();
                assertEquals(reference.getShape(), ours.getShape());
                // same seed, same draws: the parameters start equal
                assertArrayEquals(reference.toDoubleArray(), ours.toDoubleArray(), 0);
            }
            NDArray x = ModelTesting.normal(manager, 4, input).toType(DataType.FLOAT64, false);
            if (channelsLast) {
                x = MemoryLayout.toChannelsLast(x);
            }
            assertArrayEquals(strided.getOutputShapes(new Shape[] {input}),
                    subsampled.getOutputShapes(new Shape[] {input}));
            for (boolean training : new boolean[] {true, false}) {
                List<double[]> expected = run(strided, x, training);
                List<double[]> actual = run(subsampled, x, training);
                assertEquals(expected.size(), actual.size());
                for (int i = 0; i < expected.size(); i++) {
                    // both sum the same ≤ 16 products per value in float64; the orders may
                    // differ: a few ulps of the largest value at most
                    assertArrayEquals(expected.get(i), actual.get(i), 1e-12 * maxAbs(expected.get(i)),
                            "result " + i + ", training " + training);
                }
            }
        }
    }

    /**
     * The input gradient keeps the input's layout: a channels-last input gets a channels-last
     * gradient (a strided slice's backward would write it into a plain NCHW zero array, and the
     * element-wise backward ops upstream would then mix layouts: see the class).
     */
    @Test
    void inputGradientKeepsTheInputsLayout() {
        Shape input = new Shape(4, 8, 9, 9);
        Block block = new SubsampledProjection(LAYERS.conv(16, 1, 1), LAYERS.batchNorm(), 2);
        try (NDManager manager = NDManager.newBaseManager()) {
            ModelTesting.initialize(block, manager, 7, input);
            for (boolean channelsLast : new boolean[] {true, false}) {
                NDArray x = ModelTesting.normal(manager, 8, input);
                if (channelsLast) {
                    x = MemoryLayout.toChannelsLast(x);
                }
                x.setRequiresGradient(true);
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray y = ModelTesting.forwardSingle(block, x, true);
                    collector.backward(y.mul(ModelTesting.normal(manager, 9, y.getShape())).sum());
                }
                assertEquals(channelsLast, MemoryLayoutTest.storedChannelsLast(x.getGradient()),
                        "channels-last input " + channelsLast);
            }
        }
    }

    @Test
    void rejectsAStrideBelowTwo() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> new SubsampledProjection(LAYERS.conv(4, 1, 1), LAYERS.batchNorm(), 1));
        assertTrue(error.getMessage().contains("stride must be >= 2, got 1"), error.getMessage());
    }

    /**
     * The cause of the NaN training on some AVX-512 machines (oneDNN's strided 1×1
     * backward-weights kernel, uxlfoundation/oneDNN#6035) is out of every network we build: no
     * convolution of any depth, stem or selective-kernel setting has a 1×1 kernel with a stride.
     */
    @ParameterizedTest(name = "depth {0}, cifar stem {1}, selective kernels {2}")
    @CsvSource({
        "18, true, 0", "18, false, 0", "34, false, 0", "50, true, 0", "50, false, 0",
        "50, false, 0.0625", "101, false, 0", "152, false, 0"
    })
    void noNetworkHasAStridedPointwiseConvolution(int depth, boolean cifarStem, float sk) {
        ResNet network = ResNet.builder().setDepth(depth).optWidthMultiplier(0.0625f)
                .optCifarStem(cifarStem).optSelectiveKernelRatio(sk).build();
        List<Conv2d> convolutions = new ArrayList<>();
        collect(network, convolutions);
        assertFalse(convolutions.isEmpty());
        int pointwise = 0;
        for (Conv2d conv : convolutions) {
            if (conv.getKernelShape().equals(new Shape(1, 1))) {
                pointwise++;
                assertEquals(new Shape(1, 1), conv.getStride(), "a strided 1×1 convolution");
            }
        }
        assertTrue(pointwise >= 3, "the three downsampling shortcuts at least, got " + pointwise);
    }

    private static void collect(Block block, List<Conv2d> into) {
        if (block instanceof Conv2d) {
            into.add((Conv2d) block);
        }
        for (Block child : block.getChildren().values()) {
            collect(child, into);
        }
    }

    private static List<String> names(Block block) {
        List<String> names = new ArrayList<>();
        for (Pair<String, Parameter> pair : block.getParameters()) {
            names.add(pair.getKey());
        }
        return names;
    }

    /** Output, input gradient and every trainable parameter's gradient of {@code Σ y ⊙ r}. */
    private static List<double[]> run(Block block, NDArray x, boolean training) {
        List<double[]> results = new ArrayList<>();
        try (NDManager scope = x.getManager().newSubManager()) {
            NDArray input = x.duplicate();
            input.attach(scope);
            input.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray y = block.forward(new ParameterStore(scope, false), new NDList(input), training)
                        .singletonOrThrow();
                NDArray weights = ModelTesting.normal(scope, 9, y.getShape()).toType(DataType.FLOAT64, false);
                results.add(y.toDoubleArray());
                collector.backward(y.mul(weights).sum());
            }
            results.add(input.getGradient().toDoubleArray());
            for (Pair<String, Parameter> pair : block.getParameters()) {
                if (pair.getValue().requiresGradient()) {
                    results.add(pair.getValue().getArray().getGradient().toDoubleArray());
                }
            }
        }
        return results;
    }

    private static double maxAbs(double[] values) {
        double max = 0;
        for (double value : values) {
            max = Math.max(max, Math.abs(value));
        }
        return max;
    }
}
