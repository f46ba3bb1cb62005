package org.suncet.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

/**
 * SimCLRv2's selective-kernel convolution: sizes, parameter count, convex mixing of two streams.
 */
class SelectiveKernelConvTest {

    private static SelectiveKernelConv create(int filters, int stride, float ratio) {
        return new SelectiveKernelConv(
                filters, stride, ratio, new ConvBnFactory(0.9f, 1e-5f, false));
    }

    @ParameterizedTest(name = "F {0} ratio {1}")
    @CsvSource({
        "64, 0.0625, 32",
        "512, 0.0625, 32",
        "1024, 0.0625, 64",
        "100, 0.5, 50",
        "8, 0.5, 32"
    })
    void attentionBottleneckIsMaxOfFTimesRatioAnd32(int filters, float ratio, int expected) {
        assertEquals(expected, create(filters, 1, ratio).getAttentionChannels());
    }

    @ParameterizedTest(name = "C {0} F {1} stride {2} at {3}px")
    @CsvSource({"3, 8, 1, 6, 6", "5, 6, 2, 7, 4", "4, 40, 2, 8, 4"})
    void shapesAndParameterCount(int channels, int filters, int stride, int size, int outSize) {
        SelectiveKernelConv conv = create(filters, stride, 0.0625f);
        int m = conv.getAttentionChannels();
        Shape input = new Shape(2, channels, size, size);
        try (NDManager parameters = NDManager.newBaseManager();
                NDManager data = NDManager.newBaseManager()) {
            ModelTesting.initialize(conv, parameters, 1, input);
            long expected =
                    9L * channels * 2 * filters
                            + 2 * 2 * filters
                            + (long) filters * m
                            + 2L * m
                            + m * 2L * filters;
            assertEquals(expected, ParameterCount.trainable(conv));
            Shape output = new Shape(2, filters, outSize, outSize);
            assertEquals(output, conv.getOutputShapes(new Shape[] {input})[0]);
            assertEquals(
                    output,
                    ModelTesting.forwardSingle(conv, ModelTesting.normal(data, 2, input), true)
                            .getShape());
        }
    }

    @Test
    void outputIsAConvexCombinationOfTheTwoStreams() {
        int filters = 6;
        SelectiveKernelConv conv = create(filters, 1, 0.0625f);
        Shape input = new Shape(3, 4, 5, 5);
        try (NDManager parameters = NDManager.newBaseManager();
                NDManager data = NDManager.newBaseManager()) {
            ModelTesting.initialize(conv, parameters, 3, input);
            NDArray x = ModelTesting.normal(data, 4, input);
            NDArray streams = streams(conv, x);
            NDArray first = streams.get(new NDIndex(":, 0:{}", filters));
            NDArray second = streams.get(new NDIndex(":, {}:", filters));
            NDArray output = ModelTesting.forwardSingle(conv, x, false);
            NDArray low = first.minimum(second).sub(1e-6f);
            NDArray high = first.maximum(second).add(1e-6f);
            assertTrue(output.gte(low).all().getBoolean());
            assertTrue(output.lte(high).all().getBoolean());
            // strictly inside: both streams get weight (softmax never gives exactly 0 or 1)
            NDArray differs = first.sub(second).abs().gt(1e-3f);
            NDArray strict =
                    output.sub(first.minimum(second))
                            .gt(0)
                            .logicalAnd(output.sub(first.maximum(second)).lt(0));
            assertEquals(differs.sum().getLong(), strict.logicalAnd(differs).sum().getLong());
        }
    }

    @Test
    void identicalStreamsPassThroughUnchanged() {
        int filters = 5;
        SelectiveKernelConv conv = create(filters, 2, 0.0625f);
        Shape input = new Shape(2, 3, 6, 6);
        try (NDManager parameters = NDManager.newBaseManager();
                NDManager data = NDManager.newBaseManager()) {
            ModelTesting.initialize(conv, parameters, 5, input);
            // give the second stream the first stream's filters
            Parameter weight = child(conv, 0).getDirectParameters().get("weight");
            NDArray filtersOfFirst =
                    weight.getArray().get(new NDIndex("0:{}", filters)).duplicate();
            weight.getArray().set(new NDIndex("{}:", filters), filtersOfFirst);
            NDArray x = ModelTesting.normal(data, 6, input);
            NDArray streams = streams(conv, x);
            NDArray first = streams.get(new NDIndex(":, 0:{}", filters));
            // equal filters give equal streams up to the kernel's summation order: bit for bit
            // with oneDNN's AVX-512 kernels (AMD EPYC Zen 4), 2 ulps apart (6e-8) with libtorch's
            // own im2col + GEMM kernels (Zen 5 with oneDNN off by ConvolutionKernelCheck); the
            // 1e-6 bound, also the output's below, is at least 16 ulps for values below 1
            assertTrue(ModelTesting.maxAbsDifference(first, streams.get(new NDIndex(":, {}:", filters))) < 1e-6f);
            NDArray output = ModelTesting.forwardSingle(conv, x, false);
            assertTrue(ModelTesting.maxAbsDifference(first, output) < 1e-6f);
        }
    }

    /** relu(bn(conv(x))) from the block's own first two layers, eval mode: [B, 2F, H, W]. */
    private static NDArray streams(SelectiveKernelConv conv, NDArray x) {
        NDArray convolved = ModelTesting.forwardSingle(child(conv, 0), x, false);
        return Activation.relu(ModelTesting.forwardSingle(child(conv, 1), convolved, false));
    }

    private static Block child(Block block, int index) {
        List<Block> children = block.getChildren().values();
        return children.get(index);
    }
}
