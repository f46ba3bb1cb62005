package org.suncet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.suncet.loss.DistillationLoss;

class DistillationStepTest {

    private static final int BATCH = 12;

    /** A fixed teacher with batch norm (so inference mode shows), initialised with seed 21. */
    static Block teacher(NDManager manager) {
        manager.getEngine().setRandomSeed(21);
        SequentialBlock teacher =
                new SequentialBlock()
                        .add(Linear.builder().setUnits(10).build())
                        .add(BatchNorm.builder().build())
                        .add(Activation::relu)
                        .add(Linear.builder().setUnits(TinyClassification.CLASSES).build());
        teacher.initialize(
                manager, DataType.FLOAT32, new Shape(BATCH, TinyClassification.FEATURES));
        return teacher;
    }

    /** Plain double SimCLRv2 distillation loss, T = 1 (SPEC §2.5). */
    static double reference(float[] teacher, float[] student, int classes) {
        int rows = teacher.length / classes;
        double total = 0;
        for (int b = 0; b < rows; b++) {
            double[] p = softmax(teacher, b, classes);
            double[] q = softmax(student, b, classes);
            for (int c = 0; c < classes; c++) {
                total -= p[c] * Math.log(q[c]);
            }
        }
        return total / rows;
    }

    private static double[] softmax(float[] logits, int row, int classes) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++) {
            max = Math.max(max, logits[row * classes + c]);
        }
        double[] p = new double[classes];
        double sum = 0;
        for (int c = 0; c < classes; c++) {
            p[c] = Math.exp(logits[row * classes + c] - max);
            sum += p[c];
        }
        for (int c = 0; c < classes; c++) {
            p[c] /= sum;
        }
        return p;
    }

    private static float[] logits(Block block, NDArray images) {
        try (NDManager scratch = images.getManager().newSubManager();
                NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray out =
                    block.forward(new ParameterStore(scratch, false), new NDList(images), false)
                            .singletonOrThrow();
            return out.toFloatArray();
        }
    }

    @Test
    void teacherLogitsAreTheInferenceModeForward() {
        try (NDManager data = NDManager.newBaseManager()) {
            Block teacher = teacher(data);
            DistillationStep step = DistillationStep.builder().setTeacher(teacher).build();
            NDArray images = data.randomNormal(new Shape(5, TinyClassification.FEATURES));
            try (NDArray fromStep = step.teacherLogits(images)) {
                assertArrayEquals(logits(teacher, images), fromStep.toFloatArray(), 1e-6f);
                assertEquals(data, fromStep.getManager());
                assertFalse(fromStep.hasGradient());
            }
        }
    }

    @Test
    void studentLearnsTheTeacherWhichNeverChangesAndMemoryStaysFlat() {
        try (NDManager teacherManager = NDManager.newBaseManager();
                Model model = Model.newInstance("student");
                NDManager data = NDManager.newBaseManager()) {
            Block teacher = teacher(teacherManager);
            float[][] teacherBefore = TinyClassification.snapshot(teacher);
            DistillationStep step = DistillationStep.builder().setTeacher(teacher).build();
            data.getEngine().setRandomSeed(8);
            NDArray prototypes = TinyClassification.prototypes(data);
            try (Trainer trainer =
                    TinyClassification.trainer(model, TinyClassification.mlp(16), 0.1f, BATCH)) {
                double first = 0;
                double last = 0;
                int trainerArrays = -1;
                int modelArrays = -1;
                int dataArrays = -1;
                int teacherArrays = teacherManager.getManagedArrays().size();
                for (int i = 0; i < 60; i++) {
                    NDList batch = TinyClassification.sample(prototypes, BATCH / 3);
                    NDArray unlabeled = batch.get(0);
                    if (i == 0) {
                        // the reported loss is the SPEC §2.5 loss of the pass before the update
                        double expected =
                                reference(
                                        logits(teacher, unlabeled),
                                        logits(model.getBlock(), unlabeled),
                                        TinyClassification.CLASSES);
                        DistillationStep.Result result = step.run(trainer, unlabeled);
                        assertEquals(expected, result.loss().getFloat(), 1e-5);
                        assertSame(result.loss(), result.distillationLoss());
                        assertNull(result.crossEntropy());
                        assertEquals(BATCH, result.rowsForwarded());
                        first = expected;
                        result.loss().close();
                    } else {
                        DistillationStep.Result result = step.run(trainer, unlabeled);
                        last = result.loss().getFloat();
                        result.loss().close();
                    }
                    batch.close();
                    if (i == 0) {
                        trainerArrays = trainer.getManager().getManagedArrays().size();
                        modelArrays = model.getNDManager().getManagedArrays().size();
                        dataArrays = data.getManagedArrays().size();
                    }
                }
                // the cross-entropy to the teacher is bounded below by the teacher's entropy,
                // so compare the excess over it at the start and at the end
                NDList test = TinyClassification.sample(prototypes, 20);
                float[] teacherLogits = logits(teacher, test.get(0));
                double floor = reference(teacherLogits, teacherLogits, TinyClassification.CLASSES);
                double end =
                        reference(
                                teacherLogits,
                                logits(model.getBlock(), test.get(0)),
                                TinyClassification.CLASSES);
                test.close();
                assertTrue(last < first, first + " -> " + last);
                assertTrue(
                        end - floor < 0.3 * (first - floor),
                        "excess over the teacher's entropy: " + (first - floor) + " -> "
                                + (end - floor));
                float[][] teacherAfter = TinyClassification.snapshot(teacher);
                for (int p = 0; p < teacherBefore.length; p++) {
                    // weights, biases and batch-norm running statistics alike
                    assertArrayEquals(teacherBefore[p], teacherAfter[p], "teacher parameter " + p);
                }
                assertEquals(trainerArrays, trainer.getManager().getManagedArrays().size());
                assertEquals(modelArrays, model.getNDManager().getManagedArrays().size());
                assertEquals(dataArrays, data.getManagedArrays().size());
                assertEquals(teacherArrays, teacherManager.getManagedArrays().size());
            }
        }
    }

    @Test
    void mixedObjectiveIsAlphaDistillationPlusOneMinusAlphaCrossEntropy() {
        try (NDManager teacherManager = NDManager.newBaseManager();
                Model model = Model.newInstance("student");
                NDManager data = NDManager.newBaseManager()) {
            Block teacher = teacher(teacherManager);
            DistillationStep step =
                    DistillationStep.builder()
                            .setTeacher(teacher)
                            .optDistillationWeight(0.25f)
                            .optLoss(DistillationLoss.builder().optTemperature(2f).build())
                            .build();
            assertTrue(step.needsLabeled());
            data.getEngine().setRandomSeed(9);
            NDArray prototypes = TinyClassification.prototypes(data);
            NDList unlabeled = TinyClassification.sample(prototypes, 4);
            NDList labeled = TinyClassification.sample(prototypes, 2);
            try (Trainer trainer =
                    TinyClassification.trainer(model, TinyClassification.mlp(8), 0.1f, BATCH)) {
                DistillationStep.Result result =
                        step.run(trainer, unlabeled.get(0), labeled.get(0), labeled.get(1));
                double total = result.loss().getFloat();
                double distill = result.distillationLoss().getFloat();
                double crossEntropy = result.crossEntropy().getFloat();
                assertEquals(0.25 * distill + 0.75 * crossEntropy, total, 1e-6);
                assertEquals(12 + 6, result.rowsForwarded());
                assertThrows(
                        IllegalArgumentException.class,
                        () -> step.run(trainer, unlabeled.get(0)),
                        "α < 1 needs labeled images");
                IllegalArgumentException shape =
                        assertThrows(
                                IllegalArgumentException.class,
                                () ->
                                        step.run(
                                                trainer,
                                                unlabeled.get(0),
                                                data.zeros(new Shape(6, 5)),
                                                labeled.get(1)));
                assertTrue(shape.getMessage().contains("(6, 5)"), shape.getMessage());
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                step.run(
                                        trainer,
                                        unlabeled.get(0),
                                        labeled.get(0),
                                        data.zeros(new Shape(5), DataType.INT64)));
            }
        }
    }

    @Test
    void badSettingsAndASharedTeacherAreRejected() {
        try (NDManager teacherManager = NDManager.newBaseManager();
                Model model = Model.newInstance("student");
                NDManager data = NDManager.newBaseManager()) {
            Block teacher = teacher(teacherManager);
            assertThrows(
                    IllegalArgumentException.class, () -> DistillationStep.builder().build());
            assertThrows(
                    IllegalArgumentException.class,
                    () -> DistillationStep.builder().setTeacher(TinyClassification.mlp(4)).build(),
                    "uninitialised teacher");
            for (float alpha : new float[] {0f, -0.5f, 1.5f, Float.NaN}) {
                IllegalArgumentException e =
                        assertThrows(
                                IllegalArgumentException.class,
                                () ->
                                        DistillationStep.builder()
                                                .setTeacher(teacher)
                                                .optDistillationWeight(alpha)
                                                .build());
                assertTrue(e.getMessage().contains(String.valueOf(alpha)), e.getMessage());
            }
            assertThrows(
                    IllegalArgumentException.class,
                    () ->
                            DistillationStep.builder()
                                    .setTeacher(teacher)
                                    .optStudentLogitsIndex(-2)
                                    .build());
            DistillationStep step = DistillationStep.builder().setTeacher(teacher).build();
            // a student that contains the teacher would train it
            SequentialBlock sharing = new SequentialBlock().add(teacher);
            model.setBlock(sharing);
            try (Trainer trainer = model.newTrainer(new DefaultTrainingConfig(Loss.l2Loss()))) {
                NDArray images = data.randomNormal(new Shape(4, TinyClassification.FEATURES));
                IllegalArgumentException e =
                        assertThrows(
                                IllegalArgumentException.class, () -> step.run(trainer, images));
                assertTrue(e.getMessage().contains("shares"), e.getMessage());
            }
        }
    }

    @Test
    void studentWithOtherClassesIsRejected() {
        try (NDManager teacherManager = NDManager.newBaseManager();
                Model model = Model.newInstance("student");
                NDManager data = NDManager.newBaseManager()) {
            DistillationStep step =
                    DistillationStep.builder().setTeacher(teacher(teacherManager)).build();
            Block student =
                    new SequentialBlock().add(Linear.builder().setUnits(5).build());
            try (Trainer trainer = TinyClassification.trainer(model, student, 0.1f, 4)) {
                NDArray images = data.randomNormal(new Shape(4, TinyClassification.FEATURES));
                IllegalArgumentException e =
                        assertThrows(
                                IllegalArgumentException.class, () -> step.run(trainer, images));
                assertTrue(e.getMessage().contains("(4, 3)"), e.getMessage());
                assertThrows(
                        IllegalArgumentException.class,
                        () -> step.run(trainer, data.zeros(new Shape(0, 8))));
            }
        }
    }

    @Test
    void aNonFiniteGradientStopsTheStudentsStepAndTheCheckCanBeSwitchedOff() {
        try (NDManager teacherManager = NDManager.newBaseManager();
                Model model = Model.newInstance("student");
                NDManager data = NDManager.newBaseManager()) {
            Block teacher = teacher(teacherManager);
            float[][] teacherBefore = TinyClassification.snapshot(teacher);
            data.getEngine().setRandomSeed(10);
            NDArray images = TinyClassification.sample(TinyClassification.prototypes(data), BATCH / 3).get(0);
            NDArray zeroRow = TinyClassification.withZeroRow(images);
            try (Trainer trainer =
                    TinyClassification.trainer(model, TinyClassification.poisonableMlp(6), 0.1f, BATCH)) {
                DistillationStep step = DistillationStep.builder().setTeacher(teacher).build();
                step.run(trainer, images);
                List<byte[]> good = TinyClassification.bytes(model.getBlock());
                NonFiniteTrainingException e =
                        assertThrows(NonFiniteTrainingException.class, () -> step.run(trainer, zeroRow));
                assertEquals(
                        "non-finite gradient in 1 of 3 trainable parameters (01Linear_weight)", e.getMessage());
                TinyClassification.assertBitIdentical(
                        good, TinyClassification.bytes(model.getBlock()), "after the failed step");
                assertTrue(Float.isFinite(step.run(trainer, images).loss().getFloat()), "next step");

                DistillationStep unchecked =
                        DistillationStep.builder().setTeacher(teacher).optCheckFinite(false).build();
                unchecked.run(trainer, zeroRow);
                assertTrue(Float.isNaN(TinyClassification.snapshot(model.getBlock())[0][0]));
            }
            float[][] teacherAfter = TinyClassification.snapshot(teacher);
            for (int p = 0; p < teacherBefore.length; p++) {
                assertArrayEquals(teacherBefore[p], teacherAfter[p], "teacher parameter " + p);
            }
        }
    }
}
