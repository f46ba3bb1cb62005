package org.suncet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link FiniteCheck} in a hand-written loop: forward, backward, check, as its javadoc shows. */
class FiniteCheckTest {

    /** Forward and backward of the mean cross-entropy; returns the loss, owned by the images' manager. */
    private static NDArray backward(Trainer trainer, NDArray images, NDArray labels) {
        NDArray loss;
        try (GradientCollector collector = trainer.newGradientCollector()) {
            NDList outputs = trainer.forward(new NDList(images));
            NDArray logits = outputs.singletonOrThrow();
            loss = SupervisedStep.crossEntropy(logits, SupervisedStep.classIds(labels, logits));
            collector.backward(loss);
        }
        loss.attach(images.getManager());
        return loss;
    }

    @Test
    void finiteValuesPassAndBatchNormStatisticsAreSkipped() {
        Block block =
                new SequentialBlock()
                        .add(Linear.builder().setUnits(6).build())
                        .add(BatchNorm.builder().build())
                        .add(Activation::relu)
                        .add(Linear.builder().setUnits(TinyClassification.CLASSES).build());
        try (Model model = Model.newInstance("finite");
                NDManager data = NDManager.newBaseManager()) {
            data.getEngine().setRandomSeed(1);
            NDList batch = TinyClassification.sample(TinyClassification.prototypes(data), 4);
            try (Trainer trainer = TinyClassification.trainer(model, block, 0.1f, 12)) {
                NDArray loss = backward(trainer, batch.get(0), batch.get(1));
                List<byte[]> before = TinyClassification.bytes(block);
                // the running mean and variance take no gradient: asking them for one would throw
                assertDoesNotThrow(() -> FiniteCheck.check(loss, block));
                assertDoesNotThrow(() -> FiniteCheck.check(null, block), "gradients only");
                TinyClassification.assertBitIdentical(before, TinyClassification.bytes(block), "the check changed a value");
            }
        }
    }

    @Test
    void aNonFiniteGradientNamesItsParameterWhileTheLossStaysFinite() {
        SequentialBlock block = TinyClassification.poisonableMlp(5);
        try (Model model = Model.newInstance("poisoned");
                NDManager data = NDManager.newBaseManager()) {
            data.getEngine().setRandomSeed(2);
            NDList batch = TinyClassification.sample(TinyClassification.prototypes(data), 4);
            try (Trainer trainer = TinyClassification.trainer(model, block, 0.1f, 12)) {
                NDArray images = TinyClassification.withZeroRow(batch.get(0));
                NDArray loss = backward(trainer, images, batch.get(1));
                assertTrue(Float.isFinite(loss.getFloat()), "the loss is finite: " + loss.getFloat());
                NonFiniteTrainingException e =
                        assertThrows(NonFiniteTrainingException.class, () -> FiniteCheck.check(loss, block));
                assertEquals("non-finite gradient in 1 of 3 trainable parameters (01Linear_weight)", e.getMessage());
                assertTrue(e.isLossFinite());
                assertEquals(List.of("01Linear_weight"), e.getNonFiniteGradients());
                assertEquals(3, e.getCheckedParameters());

                // a frozen parameter is not checked
                block.getChildren().get(0).getValue().freezeParameters(true);
                assertDoesNotThrow(() -> FiniteCheck.check(loss, block));
                block.getChildren().get(0).getValue().freezeParameters(false);
            }
        }
    }

    @Test
    void aNonFiniteLossIsNamedWithItsValueAndItsGradients() {
        try (Model model = Model.newInstance("loss");
                NDManager data = NDManager.newBaseManager()) {
            data.getEngine().setRandomSeed(3);
            NDList batch = TinyClassification.sample(TinyClassification.prototypes(data), 4);
            SequentialBlock block = TinyClassification.mlp(5);
            try (Trainer trainer = TinyClassification.trainer(model, block, 0.1f, 12)) {
                NDArray good = backward(trainer, batch.get(0), batch.get(1));
                NDArray infinite = data.create(Float.POSITIVE_INFINITY);
                NonFiniteTrainingException lossOnly =
                        assertThrows(NonFiniteTrainingException.class, () -> FiniteCheck.check(infinite, block));
                assertEquals("non-finite loss (Infinity)", lossOnly.getMessage());
                assertFalse(lossOnly.isLossFinite());
                assertEquals(List.of(), lossOnly.getNonFiniteGradients());
                assertDoesNotThrow(() -> FiniteCheck.check(good, block));

                FiniteCheck.clearGradients(block);
                NDArray nan = backward(trainer, batch.get(0).mul(Float.NaN), batch.get(1));
                NonFiniteTrainingException both =
                        assertThrows(NonFiniteTrainingException.class, () -> FiniteCheck.check(nan, block));
                assertEquals(
                        "non-finite loss (NaN) and gradients in 4 of 4 trainable parameters"
                                + " (01Linear_weight, 01Linear_bias, 03Linear_weight, ...)",
                        both.getMessage());
                assertEquals(4, both.getNonFiniteGradients().size());

                NonFiniteTrainingException located = both.withContext(" at epoch 2 step 3 of 4");
                assertEquals(both.getMessage() + " at epoch 2 step 3 of 4", located.getMessage());
                assertEquals(both.getNonFiniteGradients(), located.getNonFiniteGradients());
                assertFalse(located.isLossFinite());
                assertSame(both, located.getCause());
            }
        }
    }

    @Test
    void clearGradientsRemovesANaNGradient() {
        SequentialBlock block = TinyClassification.poisonableMlp(5);
        try (Model model = Model.newInstance("clear");
                NDManager data = NDManager.newBaseManager()) {
            data.getEngine().setRandomSeed(4);
            NDList batch = TinyClassification.sample(TinyClassification.prototypes(data), 4);
            try (Trainer trainer = TinyClassification.trainer(model, block, 0.1f, 12)) {
                backward(trainer, TinyClassification.withZeroRow(batch.get(0)), batch.get(1));
                assertThrows(NonFiniteTrainingException.class, () -> FiniteCheck.check(null, block));
                FiniteCheck.clearGradients(block);
                assertDoesNotThrow(() -> FiniteCheck.check(null, block));
                for (Parameter parameter : block.getParameters().values()) {
                    try (NDArray gradient = parameter.getArray().getGradient()) {
                        assertEquals(0f, gradient.abs().sum().getFloat(), parameter.getName());
                    }
                }
            }
        }
    }

    @Test
    void finiteArraysWhoseSumOverflowsPassAndAnInfinityAmongThemFails() {
        // the check sums each array first and takes the exact probe only where a sum is not finite:
        // a sum that overflows float32 (to ±Inf, or NaN from +Inf and -Inf partial sums) must not fail
        SequentialBlock block = TinyClassification.mlp(5);
        try (Model model = Model.newInstance("overflow");
                NDManager data = NDManager.newBaseManager()) {
            data.getEngine().setRandomSeed(5);
            NDList batch = TinyClassification.sample(TinyClassification.prototypes(data), 4);
            try (Trainer trainer = TinyClassification.trainer(model, block, 0.1f, 12)) {
                backward(trainer, batch.get(0), batch.get(1));
                // all positive: any two terms already exceed Float.MAX_VALUE, so the sum is +Inf in
                // every summation order, on every CPU
                float[] positive = new float[256];
                java.util.Arrays.fill(positive, 3e38f);
                NDArray overflowing = data.create(positive);
                assertFalse(Float.isFinite(overflowing.sum().getFloat()), "the sum must overflow for this test");
                assertDoesNotThrow(() -> FiniteCheck.check(overflowing, block), "a finite loss array");
                // mixed signs: the sum is +Inf, -Inf, NaN (partial sums of both signs) or finite,
                // depending on the order the CPU's reduction takes; the check must pass in each case
                float[] huge = new float[256];
                for (int i = 0; i < huge.length; i++) {
                    huge[i] = (i / 2) % 2 == 0 ? 3e38f : -3e38f;
                }
                NDArray mixed = data.create(huge);
                assertDoesNotThrow(() -> FiniteCheck.check(mixed, block), "a finite loss array of both signs");
                Parameter weight = block.getParameters().get("01Linear_weight");
                try (NDArray gradient = weight.getArray().getGradient()) {
                    gradient.set(new NDIndex("..."), 3e38f);
                    assertFalse(Float.isFinite(gradient.sum().getFloat()));
                    assertDoesNotThrow(() -> FiniteCheck.check(overflowing, block), "a finite gradient");
                    gradient.set(new NDIndex("0, 0"), Float.POSITIVE_INFINITY);
                    NonFiniteTrainingException e =
                            assertThrows(NonFiniteTrainingException.class, () -> FiniteCheck.check(overflowing, block));
                    assertEquals(List.of("01Linear_weight"), e.getNonFiniteGradients());
                    assertTrue(e.isLossFinite());
                }
                huge[7] = Float.NaN;
                NDArray nan = data.create(huge);
                FiniteCheck.clearGradients(block);
                NonFiniteTrainingException lossOnly =
                        assertThrows(NonFiniteTrainingException.class, () -> FiniteCheck.check(nan, block));
                assertFalse(lossOnly.isLossFinite());
                assertEquals(List.of(), lossOnly.getNonFiniteGradients());
            }
        }
    }

    @Test
    void manyChecksLeaveNoArrayOrManagerOpen() {
        SequentialBlock block = TinyClassification.poisonableMlp(5);
        try (Model model = Model.newInstance("leak");
                NDManager data = NDManager.newBaseManager()) {
            data.getEngine().setRandomSeed(5);
            NDList batch = TinyClassification.sample(TinyClassification.prototypes(data), 4);
            try (Trainer trainer = TinyClassification.trainer(model, block, 0.1f, 12)) {
                NDArray good = backward(trainer, batch.get(0), batch.get(1));
                FiniteCheck.check(good, block);
                List<NDManager> managers = List.of(data, model.getNDManager(), trainer.getManager());
                int[] before = counts(managers);
                for (int i = 0; i < 100; i++) {
                    FiniteCheck.check(good, block);
                }
                assertArrayEquals(before, counts(managers), "after 100 passing checks");
                FiniteCheck.clearGradients(block);
                NDArray poisoned = backward(trainer, TinyClassification.withZeroRow(batch.get(0)), batch.get(1));
                before = counts(managers);
                for (int i = 0; i < 20; i++) {
                    assertThrows(NonFiniteTrainingException.class, () -> FiniteCheck.check(poisoned, block));
                }
                assertArrayEquals(before, counts(managers), "after 20 failing checks");
            }
        }
    }

    /** Open arrays, then open resources (arrays and sub-managers), of each manager. */
    private static int[] counts(List<NDManager> managers) {
        int[] counts = new int[2 * managers.size()];
        for (int m = 0; m < managers.size(); m++) {
            counts[2 * m] = managers.get(m).getManagedArrays().size();
            counts[2 * m + 1] = OpenResources.count(managers.get(m));
        }
        return counts;
    }

    @Test
    void badArgumentsAreRejected() {
        try (NDManager data = NDManager.newBaseManager()) {
            assertThrows(IllegalArgumentException.class, () -> FiniteCheck.check(data.create(1f), null));
            assertThrows(IllegalArgumentException.class, () -> FiniteCheck.clearGradients(null));
            // a block with no trainable parameter and no loss: nothing to check
            assertDoesNotThrow(() -> FiniteCheck.check(null, new SequentialBlock()));
        }
    }
}
