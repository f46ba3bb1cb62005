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
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.pytorch.jni.JniUtils;
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
    void eachLayoutConvertsWhereItSaysAndLeavesTheCallersInput() {
        for (MemoryLayout layout : MemoryLayout.values()) {
            ResNet network = ResNet.builder().setDepth(18).optWidthMultiplier(0.125f).optCifarStem(true)
                    .optMemoryLayout(layout).build();
            // 1 thread, float32: from the stem on (child 0) or never (5)
            assertEquals(layout == MemoryLayout.AS_GIVEN ? 5 : 0,
                    network.firstChannelsLastChild(true, 1, 4, 16), layout + " on the CPU");
            assertEquals(layout == MemoryLayout.CHANNELS_LAST ? 0 : 5,
                    network.firstChannelsLastChild(false, 1, 4, 16), layout + " off the CPU");
            Shape input = new Shape(2, 3, 8, 8);
            try (NDManager m = NDManager.newBaseManager()) {
                ModelTesting.initialize(network, m, 2, input);
                NDArray x = ModelTesting.normal(m, 3, input);
                float[] before = x.toFloatArray();
                ModelTesting.forwardSingle(network, x, true);
                // still open, same values, still NCHW (the conversion is a copy of its own)
                assertArrayEquals(before, x.toFloatArray(), 0f, layout.name());
                assertFalse(storedChannelsLast(x), layout.name());
            }
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
    void autoKeepsNarrowStagesInTheInputsLayoutWithSeveralThreadsBelowAvx512() {
        int below = OneDnnChannelBlock.BELOW_AVX512;
        int avx512 = OneDnnChannelBlock.AVX512;
        assertFalse(MemoryLayout.AS_GIVEN.channelsLastFor(true, 1, 512, 4, below));
        assertFalse(MemoryLayout.AS_GIVEN.channelsLastFor(true, 2, 8, 4, avx512));
        assertTrue(MemoryLayout.CHANNELS_LAST.channelsLastFor(false, 2, 1, 4, below));
        assertFalse(MemoryLayout.AUTO.channelsLastFor(false, 1, 512, 4, below), "not on a GPU");
        assertFalse(MemoryLayout.AUTO.channelsLastFor(false, 2, 8, 4, avx512), "not on a GPU");
        assertTrue(MemoryLayout.AUTO.channelsLastFor(true, 1, 1, 4, below), "any width with 1 thread");
        assertFalse(MemoryLayout.AUTO.channelsLastFor(true, 2, 8, 4, below), "8 floats: half a cache line");
        assertTrue(MemoryLayout.AUTO.channelsLastFor(true, 2, 8, 4, avx512), "NCHW padded to 16 channels");
        assertTrue(MemoryLayout.AUTO.channelsLastFor(true, 2, 16, 4, below));
        assertTrue(MemoryLayout.AUTO.channelsLastFor(true, 2, 8, 8, below), "8 doubles fill a line");
        // children: stem, stages 1-4; width 1/8: 8, 8, 16, 32, 64 channels
        ResNet eighth = ResNet.builder().setDepth(18).optWidthMultiplier(0.125f).optCifarStem(true).build();
        assertEquals(0, eighth.firstChannelsLastChild(true, 1, 4, below));
        assertEquals(2, eighth.firstChannelsLastChild(true, 2, 4, below));
        assertEquals(0, eighth.firstChannelsLastChild(true, 2, 4, avx512));
        assertEquals(5, eighth.firstChannelsLastChild(false, 2, 4, below), "none on a GPU");
        assertEquals(5, eighth.firstChannelsLastChild(false, 2, 4, avx512), "none on a GPU");
        ResNet sixteenth = ResNet.builder().setDepth(18).optWidthMultiplier(0.0625f).build();
        assertEquals(3, sixteenth.firstChannelsLastChild(true, 2, 4, below)); // 4, 4, 8, 16, 32
        assertEquals(0, sixteenth.firstChannelsLastChild(true, 2, 4, avx512));
        ResNet deepStem = ResNet.builder().setDepth(50).optWidthMultiplier(0.25f)
                .optSelectiveKernelRatio(0.0625f).build();
        assertEquals(1, deepStem.firstChannelsLastChild(true, 2, 4, below)); // ResNet-D stem: 8 first
        ResNet full = ResNet.builder().setDepth(18).optMemoryLayout(MemoryLayout.AS_GIVEN).build();
        assertEquals(5, full.firstChannelsLastChild(true, 1, 4, below));
        assertEquals(5, full.firstChannelsLastChild(true, 2, 4, avx512));
    }

    @Test
    void layoutsAgreeWithTwoThreadsWhereAutoConvertsBetweenStages() {
        Engine.getInstance(); // loads libtorch before its JNI functions are called
        int before = JniUtils.getNumThreads();
        JniUtils.setNumThreads(2);
        Shape input = new Shape(8, 3, 32, 32);
        try (NDManager m = NDManager.newBaseManager()) {
            ResNet auto = ResNet.builder().setDepth(18).optWidthMultiplier(0.125f).optCifarStem(true).build();
            ResNet plain = ResNet.builder().setDepth(18).optWidthMultiplier(0.125f).optCifarStem(true)
                    .optMemoryLayout(MemoryLayout.AS_GIVEN).build();
            ModelTesting.initialize(auto, m, 5, input);
            ModelTesting.initialize(plain, m, 5, input);
            NDArray images = ModelTesting.normal(m, 6, input);
            NDArray a = ModelTesting.forwardSingle(auto, images, true);
            NDArray p = ModelTesting.forwardSingle(plain, images, true);
            // the forward's own decision: with 2 threads on the CPU it reads this process's oneDNN
            // block (all stages channels-last on AVX-512, from the 16-channel stage 2 on below it)
            assertEquals(OneDnnChannelBlock.forThisProcess() == OneDnnChannelBlock.AVX512 ? 0 : 2,
                    auto.firstChannelsLastChild(images));
            assertEquals(5, plain.firstChannelsLastChild(images));
            JniUtils.setNumThreads(1);
            assertEquals(0, auto.firstChannelsLastChild(images), "every stage with 1 thread");
            JniUtils.setNumThreads(2);
            float scale = p.abs().max().getFloat();
            // measured 8.8e-7 (AMD EPYC Zen 3, 2 threads); the bound of layoutsAgreeUpToRounding
            assertTrue(ModelTesting.maxAbsDifference(a, p) <= 1e-4f * scale,
                    ModelTesting.maxAbsDifference(a, p) + " of " + scale);
        } finally {
            JniUtils.setNumThreads(before);
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
