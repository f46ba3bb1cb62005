package org.suncet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

class SupervisedStepTest {

    /** Plain double cross-entropy and top-1 count (lowest class on ties) of logits rows. */
    static double[] reference(float[] logits, long[] labels, int classes) {
        double loss = 0;
        int correct = 0;
        for (int b = 0; b < labels.length; b++) {
            double max = Double.NEGATIVE_INFINITY;
            int best = 0;
            for (int c = 0; c < classes; c++) {
                double value = logits[b * classes + c];
                if (value > max) {
                    max = value;
                    best = c;
                }
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                sum += Math.exp(logits[b * classes + c] - max);
            }
            loss += -(logits[b * classes + (int) labels[b]] - max - Math.log(sum));
            correct += best == labels[b] ? 1 : 0;
        }
        return new double[] {loss / labels.length, correct};
    }

    private static float[] inferenceLogits(Block block, NDArray images) {
        try (NDManager scratch = images.getManager().newSubManager();
                NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray logits =
                    block.forward(new ParameterStore(scratch, false), new NDList(images), false)
                            .singletonOrThrow();
            return logits.toFloatArray();
        }
    }

    @Test
    void firstStepReportsTheCrossEntropyAndCountOfThePassBeforeTheUpdate() {
        try (Model model = Model.newInstance("supervised");
                NDManager data = NDManager.newBaseManager()) {
            data.getEngine().setRandomSeed(11);
            NDList batch = TinyClassification.sample(TinyClassification.prototypes(data), 4);
            NDArray images = batch.get(0);
            NDArray labels = batch.get(1);
            try (Trainer trainer =
                    TinyClassification.trainer(model, TinyClassification.mlp(6), 0.05f, 12)) {
                float[] before = inferenceLogits(model.getBlock(), images);
                // float32 labels, as DJL's Fashion-MNIST gives them, are accepted
                SupervisedStep.Result result =
                        new SupervisedStep()
                                .run(trainer, images, labels.toType(DataType.FLOAT32, false));
                double[] expected =
                        reference(before, labels.toLongArray(), TinyClassification.CLASSES);
                assertEquals(expected[0], result.loss().getFloat(), 1e-5);
                assertEquals((long) expected[1], result.correct().getLong());
                assertEquals(12, result.rows());
                assertEquals(expected[1] / 12, result.accuracy(), 1e-12);
                assertEquals(data, result.loss().getManager());
                float[] after = inferenceLogits(model.getBlock(), images);
                assertFalse(Arrays.equals(before, after), "the step updated nothing");
            }
        }
    }

    @Test
    void aFewStepsLowerTheLossRaiseAccuracyAndKeepMemoryFlat() {
        SupervisedStep step = new SupervisedStep();
        try (Model model = Model.newInstance("supervised");
                NDManager data = NDManager.newBaseManager()) {
            data.getEngine().setRandomSeed(3);
            NDArray prototypes = TinyClassification.prototypes(data);
            try (Trainer trainer =
                    TinyClassification.trainer(model, TinyClassification.mlp(16), 0.05f, 24)) {
                double firstLoss = 0;
                double lastLoss = 0;
                double lastAccuracy = 0;
                int trainerArrays = -1;
                int modelArrays = -1;
                int dataArrays = -1;
                for (int i = 0; i < 40; i++) {
                    // inputs and results live in `data` and are closed by hand, so anything else
                    // the step left behind there would show in the count
                    NDList batch = TinyClassification.sample(prototypes, 8);
                    SupervisedStep.Result result = step.run(trainer, batch.get(0), batch.get(1));
                    double loss = result.loss().getFloat();
                    firstLoss = i == 0 ? loss : firstLoss;
                    lastLoss = loss;
                    lastAccuracy = result.accuracy();
                    result.loss().close();
                    result.correct().close();
                    batch.close();
                    if (i == 0) {
                        trainerArrays = trainer.getManager().getManagedArrays().size();
                        modelArrays = model.getNDManager().getManagedArrays().size();
                        dataArrays = data.getManagedArrays().size();
                    }
                }
                assertEquals(trainerArrays, trainer.getManager().getManagedArrays().size());
                assertEquals(modelArrays, model.getNDManager().getManagedArrays().size());
                assertEquals(dataArrays, data.getManagedArrays().size());
                assertTrue(lastLoss < 0.5 * firstLoss, firstLoss + " -> " + lastLoss);
                assertTrue(lastAccuracy >= 0.9, "accuracy " + lastAccuracy);
            }
        }
    }

    @Test
    void aFrozenEncoderStaysPutWhileTheClassifierLearns() {
        // a linear probe: the block freezes its first layer, the step trains what is left
        SequentialBlock probe = TinyClassification.mlp(6);
        try (Model model = Model.newInstance("probe");
                NDManager data = NDManager.newBaseManager()) {
            data.getEngine().setRandomSeed(4);
            NDList batch = TinyClassification.sample(TinyClassification.prototypes(data), 4);
            try (Trainer trainer = TinyClassification.trainer(model, probe, 0.1f, 12)) {
                Block encoder = probe.getChildren().get(0).getValue();
                Block classifier = probe.getChildren().get(2).getValue();
                encoder.freezeParameters(true);
                float[][] encoderBefore = TinyClassification.snapshot(encoder);
                float[][] classifierBefore = TinyClassification.snapshot(classifier);
                SupervisedStep step = new SupervisedStep();
                for (int i = 0; i < 3; i++) {
                    step.run(trainer, batch.get(0), batch.get(1)).loss().close();
                }
                float[][] encoderAfter = TinyClassification.snapshot(encoder);
                for (int p = 0; p < encoderBefore.length; p++) {
                    assertArrayEquals(encoderBefore[p], encoderAfter[p]);
                }
                assertFalse(
                        Arrays.equals(
                                classifierBefore[0], TinyClassification.snapshot(classifier)[0]));
            }
        }
    }

    @Test
    void badInputIsRejectedWithItsShape() {
        assertThrows(IllegalArgumentException.class, () -> new SupervisedStep(-2));
        SupervisedStep step = new SupervisedStep();
        try (Model model = Model.newInstance("bad");
                NDManager data = NDManager.newBaseManager();
                Trainer trainer =
                        TinyClassification.trainer(model, TinyClassification.mlp(4), 0.05f, 4)) {
            NDArray images = data.randomNormal(new Shape(4, TinyClassification.FEATURES));
            IllegalArgumentException shape =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> step.run(trainer, images, data.create(new long[] {0, 1, 2})));
            assertTrue(
                    shape.getMessage().contains("labels") && shape.getMessage().contains("(3)"),
                    shape.getMessage());
            assertThrows(
                    IllegalArgumentException.class,
                    () -> step.run(trainer, images, data.zeros(new Shape(4, 1), DataType.INT64)));
            assertThrows(IllegalArgumentException.class, () -> step.run(trainer, images, null));
            IllegalArgumentException dtype =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    step.run(
                                            trainer,
                                            images,
                                            data.zeros(new Shape(4), DataType.BOOLEAN)));
            assertTrue(dtype.getMessage().contains("boolean"), dtype.getMessage());
            IllegalArgumentException empty =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    step.run(
                                            trainer,
                                            data.zeros(new Shape(0, TinyClassification.FEATURES)),
                                            data.zeros(new Shape(0), DataType.INT64)));
            assertTrue(empty.getMessage().contains("images"), empty.getMessage());
            IllegalArgumentException index =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    new SupervisedStep(3)
                                            .run(
                                                    trainer,
                                                    images,
                                                    data.zeros(new Shape(4), DataType.INT64)));
            assertTrue(index.getMessage().contains("logits index 3"), index.getMessage());
        }
    }

    @Test
    void aNonFiniteLossOrGradientStopsTheStepBeforeTheUpdateAndLeavesNoTrace() {
        SupervisedStep step = new SupervisedStep();
        try (Model model = Model.newInstance("guarded");
                Model twin = Model.newInstance("twin");
                NDManager data = NDManager.newBaseManager()) {
            data.getEngine().setRandomSeed(6);
            NDArray prototypes = TinyClassification.prototypes(data);
            NDList first = TinyClassification.sample(prototypes, 4);
            NDList second = TinyClassification.sample(prototypes, 4);
            data.getEngine().setRandomSeed(60);
            try (Trainer trainer =
                            TinyClassification.trainer(model, TinyClassification.poisonableMlp(6), 0.1f, 12);
                    Trainer twinTrainer = twinTrainer(twin)) {
                TinyClassification.assertBitIdentical(
                        TinyClassification.bytes(twin.getBlock()),
                        TinyClassification.bytes(model.getBlock()),
                        "same initialisation");
                step.run(trainer, first.get(0), first.get(1));
                step.run(twinTrainer, first.get(0), first.get(1));
                List<byte[]> good = TinyClassification.bytes(model.getBlock());

                NDArray zeroRow = TinyClassification.withZeroRow(second.get(0));
                NonFiniteTrainingException gradient =
                        assertThrows(
                                NonFiniteTrainingException.class,
                                () -> step.run(trainer, zeroRow, second.get(1)));
                assertEquals(
                        "non-finite gradient in 1 of 3 trainable parameters (01Linear_weight)",
                        gradient.getMessage());
                TinyClassification.assertBitIdentical(
                        good, TinyClassification.bytes(model.getBlock()), "after the failed step");

                NDArray nanImages = second.get(0).mul(Float.NaN);
                NonFiniteTrainingException loss =
                        assertThrows(
                                NonFiniteTrainingException.class,
                                () -> step.run(trainer, nanImages, second.get(1)));
                assertFalse(loss.isLossFinite());
                assertTrue(loss.getMessage().startsWith("non-finite loss (NaN)"), loss.getMessage());
                TinyClassification.assertBitIdentical(
                        good, TinyClassification.bytes(model.getBlock()), "after the second failed step");

                // no gradient, momentum or update count of the failed steps remains: the next good
                // step gives what it gives the twin that never met them
                step.run(trainer, second.get(0), second.get(1));
                step.run(twinTrainer, second.get(0), second.get(1));
                TinyClassification.assertBitIdentical(
                        TinyClassification.bytes(twin.getBlock()),
                        TinyClassification.bytes(model.getBlock()),
                        "the next good step");
            }
        }
    }

    /** The trainer of a second poisonable MLP, initialised with seed 60 like the first. */
    private static Trainer twinTrainer(Model twin) {
        twin.getNDManager().getEngine().setRandomSeed(60);
        return TinyClassification.trainer(twin, TinyClassification.poisonableMlp(6), 0.1f, 12);
    }

    @Test
    void withTheCheckOffANonFiniteGradientIsApplied() {
        try (Model model = Model.newInstance("unguarded");
                NDManager data = NDManager.newBaseManager()) {
            data.getEngine().setRandomSeed(7);
            NDList batch = TinyClassification.sample(TinyClassification.prototypes(data), 4);
            try (Trainer trainer =
                    TinyClassification.trainer(model, TinyClassification.poisonableMlp(6), 0.1f, 12)) {
                SupervisedStep.Result result =
                        new SupervisedStep(-1, false)
                                .run(trainer, TinyClassification.withZeroRow(batch.get(0)), batch.get(1));
                assertTrue(Float.isFinite(result.loss().getFloat()));
                float[] weight = TinyClassification.snapshot(model.getBlock())[0];
                assertTrue(Float.isNaN(weight[0]), "the NaN gradient reached the weight");
            }
        }
    }
}
