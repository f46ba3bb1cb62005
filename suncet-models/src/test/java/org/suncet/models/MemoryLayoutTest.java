package org.suncet.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class MemoryLayoutTest {

    /**
     * Whether {@code x}'s elements lie NHWC in memory. Then {@code x} permuted to {@code [B, H, W,
     * C]} is contiguous and flattening it is a view, so an in-place write through the flattened
     * array changes {@code x}; for any other layout the flattening copies and {@code x} stays as it
     * was. Destroys {@code x}'s values.
     */
    static boolean storedChannelsLast(NDArray x) {
        float[] before = x.toFloatArray();
        try (NDArray permuted = x.transpose(0, 2, 3, 1);
                NDArray flat = permuted.reshape(-1)) {
            flat.addi(1f);
        }
        return !Arrays.equals(before, x.toFloatArray());
    }

    @Test
    void channelsLastKeepsShapeAndValuesAndStoresNhwc() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = ModelTesting.normal(m, 1, new Shape(2, 3, 4, 5));
            NDArray last = MemoryLayout.toChannelsLast(x);
            ModelTesting.assertBitIdentical(x, last);
            assertTrue(storedChannelsLast(last));
            assertFalse(storedChannelsLast(x), "a plain DJL array is NCHW (the probe can fail)");
        }
    }

    @Test
    void autoConvertsOnTheCpuAndAsGivenLeavesTheInput() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = ModelTesting.normal(m, 2, new Shape(2, 3, 4, 4));
            assertSame(x, MemoryLayout.AS_GIVEN.apply(x));
            NDArray auto = MemoryLayout.AUTO.apply(x); // the tests run on the CPU
            NDArray forced = MemoryLayout.CHANNELS_LAST.apply(x);
            assertNotSame(x, auto);
            ModelTesting.assertBitIdentical(x, auto);
            ModelTesting.assertBitIdentical(x, forced);
            assertTrue(storedChannelsLast(auto));
            assertTrue(storedChannelsLast(forced));
        }
    }

    @Test
    void featureMapsStayChannelsLastThroughStemAndDownsamplingStage() {
        ResNet network =
                ResNet.builder().setDepth(18).optWidthMultiplier(0.125f).optCifarStem(true).build();
        Shape input = new Shape(4, 3, 16, 16);
        try (NDManager m = NDManager.newBaseManager()) {
            ModelTesting.initialize(network, m, 3, input);
            NDArray images = ModelTesting.normal(m, 4, input);
            ParameterStore store = new ParameterStore(m, false);
            NDList maps = new NDList(MemoryLayout.toChannelsLast(images));
            maps = network.getStem().forward(store, maps, true);
            // stage 2: a stride-2 block with the subsampled projection shortcut
            for (Block stage : network.getStages().subList(0, 2)) {
                maps = stage.forward(store, maps, true);
            }
            assertEquals(new Shape(4, 16, 8, 8), maps.singletonOrThrow().getShape());
            assertTrue(storedChannelsLast(maps.singletonOrThrow()));
            NDList plain = network.getStem().forward(store, new NDList(images), true);
            assertFalse(storedChannelsLast(plain.singletonOrThrow()), "an NCHW input stays NCHW");
        }
    }

    @Test
    void layoutsAgreeUpToRounding() {
        Shape input = new Shape(8, 3, 32, 32);
        try (NDManager m = NDManager.newBaseManager()) {
            ResNet auto = ResNet.builder().setDepth(18).optWidthMultiplier(0.125f).optCifarStem(true).build();
            ResNet plain = ResNet.builder().setDepth(18).optWidthMultiplier(0.125f).optCifarStem(true)
                    .optMemoryLayout(MemoryLayout.AS_GIVEN).build();
            assertEquals(MemoryLayout.AUTO, auto.getMemoryLayout());
            ModelTesting.initialize(auto, m, 5, input);
            ModelTesting.initialize(plain, m, 5, input);
            NDArray images = ModelTesting.normal(m, 6, input);
            for (boolean training : new boolean[] {false, true}) {
                NDArray a = ModelTesting.forwardSingle(auto, images, training);
                NDArray p = ModelTesting.forwardSingle(plain, images, training);
                float scale = p.abs().max().getFloat();
                // measured (AMD EPYC Zen 3, family 25 model 1, AVX2): 2.5e-7 of the largest feature in
                // inference, 4.2e-6 in training (batch statistics); 1e-4 leaves 24x and is far
                // below a wrong kernel (0.2 and more, see ConvolutionKernelCheck)
                assertTrue(ModelTesting.maxAbsDifference(a, p) <= 1e-4f * scale,
                        "training " + training + ": " + ModelTesting.maxAbsDifference(a, p) + " of " + scale);
            }
            ModelTesting.assertBitIdentical(ModelTesting.normal(m, 6, input), images); // input untouched
        }
    }

    @Test
    void badInputNamesTheShapeAndNullLayoutIsRejected() {
        try (NDManager m = NDManager.newBaseManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MemoryLayout.toChannelsLast(m.zeros(new Shape(3, 4, 4))));
            assertTrue(e.getMessage().contains("(3, 4, 4)"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ResNet.builder().setDepth(18).optMemoryLayout(null).build());
        assertTrue(e.getMessage().contains("memoryLayout"), e.getMessage());
    }
}
