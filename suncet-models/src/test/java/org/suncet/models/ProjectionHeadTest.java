package org.suncet.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import org.junit.jupiter.api.Test;

import java.util.List;

/** Projection heads: the SimCLR presets, the builder, cutting after layer k, bad input. */
class ProjectionHeadTest {

    @Test
    void simclrV1IsLinearReluLinearWithBiasesAndNoBatchNorm() {
        int d = 24;
        ProjectionHead head = ProjectionHead.simclrV1(d);
        assertEquals(2, head.getNumLayers());
        assertEquals(128, head.getOutputSize());
        assertEquals(d, head.getLayerOutputSize(1));
        try (NDManager parameters = NDManager.newBaseManager();
                NDManager data = NDManager.newBaseManager()) {
            ModelTesting.initialize(head, parameters, 1, new Shape(4, d));
            assertEquals((long) d * d + d + d * 128L + 128, ParameterCount.trainable(head));
            assertEquals(ParameterCount.total(head), ParameterCount.trainable(head));
            NDArray x = ModelTesting.normal(data, 2, new Shape(5, d));
            NDArray hidden = ModelTesting.forwardSingle(head.firstLayers(1), x, false);
            assertTrue(hidden.gte(0).all().getBoolean(), "ReLU after the hidden layer");
            assertTrue(hidden.eq(0).any().getBoolean());
            NDArray z = ModelTesting.forwardSingle(head, x, false);
            assertEquals(new Shape(5, 128), z.getShape());
            assertTrue(z.lt(0).any().getBoolean(), "no ReLU after the last layer");
            // layer 2 applied to layer 1's output gives the head's output
            Block second = head.getChildren().values().get(1);
            ModelTesting.assertBitIdentical(z, ModelTesting.forwardSingle(second, hidden, false));
        }
    }

    @Test
    void simclrV2HasThreeLayersBatchNormNoBiasesAndNoBetaInTheLastNorm() {
        int d = 16;
        ProjectionHead head = ProjectionHead.simclrV2(d);
        assertEquals(3, head.getNumLayers());
        try (NDManager parameters = NDManager.newBaseManager();
                NDManager data = NDManager.newBaseManager()) {
            ModelTesting.initialize(head, parameters, 3, new Shape(4, d));
            // hidden: d·d weights + γ, β; last: d·128 weights + γ only
            assertEquals(2L * (d * d + 2 * d) + d * 128L + 128, ParameterCount.trainable(head));
            List<Block> layers = head.getChildren().values();
            for (int i = 0; i < 3; i++) {
                List<Block> parts = layers.get(i).getChildren().values();
                assertTrue(parts.get(0) instanceof Linear);
                assertFalse(parts.get(0).getDirectParameters().contains("bias"));
                assertTrue(parts.get(1) instanceof BatchNorm);
                Parameter beta = parts.get(1).getDirectParameters().get("beta");
                assertEquals(i < 2, beta.requiresGradient(), "layer " + (i + 1));
                assertEquals(i < 2 ? 3 : 2, parts.size());
            }
            // training mode: the last batch norm (γ = 1, no β) gives each column mean 0, variance 1
            NDArray z =
                    ModelTesting.forwardSingle(
                            head, ModelTesting.normal(data, 4, new Shape(32, d)), true);
            float[] means = z.mean(new int[] {0}).toFloatArray();
            float[] variances =
                    z.sub(z.mean(new int[] {0})).square().mean(new int[] {0}).toFloatArray();
            for (int j = 0; j < 128; j++) {
                assertEquals(0, means[j], 1e-5);
                assertEquals(1, variances[j], 1e-3);
            }
        }
    }

    @Property(tries = 15)
    void firstLayersGivesTheOutputOfLayerKAndSharesItsParameters(
            @ForAll @IntRange(min = 1, max = 4) int layers,
            @ForAll @IntRange(min = 1, max = 12) int hidden,
            @ForAll @IntRange(min = 1, max = 9) int output,
            @ForAll boolean batchNorm,
            @ForAll @IntRange(min = 0, max = 4) int cut) {
        int k = Math.min(cut, layers);
        ProjectionHead head =
                ProjectionHead.builder()
                        .optNumLayers(layers)
                        .optHiddenSize(hidden)
                        .setOutputSize(output)
                        .optBatchNorm(batchNorm)
                        .build();
        ProjectionHead firstK = head.firstLayers(k);
        assertEquals(k, firstK.getNumLayers());
        try (NDManager parameters = NDManager.newBaseManager();
                NDManager data = NDManager.newBaseManager()) {
            ModelTesting.initialize(head, parameters, 5, new Shape(3, 7));
            NDArray x = ModelTesting.normal(data, 6, new Shape(3, 7));
            NDArray expected = x;
            List<Block> all = head.getChildren().values();
            for (int i = 0; i < k; i++) {
                expected = ModelTesting.forwardSingle(all.get(i), expected, false);
            }
            NDArray actual = ModelTesting.forwardSingle(firstK, x, false);
            ModelTesting.assertBitIdentical(expected, actual);
            assertEquals(k == layers ? output : (k == 0 ? 7 : hidden), actual.getShape().get(1));
            for (int i = 0; i < k; i++) {
                assertSame(all.get(i), firstK.getChildren().values().get(i));
            }
        }
    }

    @Test
    void builderAndForwardRejectBadInputNamingIt() {
        assertMessage("outputSize", () -> ProjectionHead.builder().optHiddenSize(4).build());
        assertMessage(
                "outputSize",
                () -> ProjectionHead.builder().optHiddenSize(4).setOutputSize(0).build());
        assertMessage(
                "numLayers",
                () -> ProjectionHead.builder().setOutputSize(4).optNumLayers(0).build());
        assertMessage(
                "hiddenSize",
                () -> ProjectionHead.builder().setOutputSize(4).optHiddenSize(-2).build());
        assertMessage(
                "inputSize",
                () -> ProjectionHead.builder().setOutputSize(4).optInputSize(0).build());
        assertMessage(
                "optHiddenSize",
                () -> ProjectionHead.builder().setOutputSize(4).optNumLayers(3).build());
        assertMessage(
                "momentum",
                () ->
                        ProjectionHead.builder()
                                .setOutputSize(4)
                                .optNumLayers(1)
                                .optBatchNormSettings(2, 1e-5f)
                                .build());
        assertMessage("inputSize", () -> ProjectionHead.simclrV2(-1));
        assertMessage("[0, 2]", () -> ProjectionHead.simclrV1(8).firstLayers(3));
        assertMessage("-1", () -> ProjectionHead.simclrV1(8).getLayerOutputSize(-1));
        ProjectionHead head = ProjectionHead.simclrV1(8);
        try (NDManager manager = NDManager.newBaseManager()) {
            assertMessage(
                    "(2, 9)",
                    () -> ModelTesting.forward(head, manager.zeros(new Shape(2, 9)), true));
            assertMessage(
                    "(2, 8, 1)",
                    () -> ModelTesting.forward(head, manager.zeros(new Shape(2, 8, 1)), true));
            ProjectionHead inferred =
                    ProjectionHead.builder().optHiddenSize(4).setOutputSize(3).build();
            ModelTesting.initialize(inferred, manager, 1, new Shape(2, 6));
            assertMessage(
                    "d = 6",
                    () -> ModelTesting.forward(inferred, manager.zeros(new Shape(2, 5)), false));
        }
    }

    private static void assertMessage(
            String expected, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, call);
        assertTrue(error.getMessage().contains(expected), error.getMessage());
    }
}
