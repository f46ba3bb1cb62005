package org.suncet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.metric.Metrics;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.training.loss.Loss;
import ai.djl.training.tracker.Tracker;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.suncet.loss.DistillationLoss;
import org.suncet.loss.NtXentLoss;
import org.suncet.loss.SuNCEtPretrainingLoss;

/**
 * The steps record their loss (and the supervised step its training accuracy) in the trainer's DJL
 * metrics before they tell the listeners, so a listener reads in {@code onTrainingBatch} the very
 * values the step returns, bit for bit; without metrics nothing is recorded, and a step that fails
 * its finite check records nothing.
 */
class StepMetricsTest {

    private static final int STEPS = 3;

    /** Reads the latest loss and accuracy at every {@code onTrainingBatch}. */
    private static final class Reader extends TrainingListenerAdapter {
        final List<Double> losses = new ArrayList<>();
        final List<Double> accuracies = new ArrayList<>();

        @Override
        public void onTrainingBatch(Trainer trainer, BatchData batchData) {
            losses.add(StepMetrics.latest(trainer, StepMetrics.LOSS));
            accuracies.add(StepMetrics.latest(trainer, StepMetrics.ACCURACY));
        }
    }

    private static Trainer trainer(Model model, Block block, Loss loss, long rows, Reader reader, boolean metrics) {
        model.setBlock(block);
        Trainer trainer =
                model.newTrainer(
                        new DefaultTrainingConfig(loss)
                                .optOptimizer(
                                        NesterovSgd.builder()
                                                .setLearningRateTracker(Tracker.fixed(0.1f))
                                                .build())
                                .addTrainingListeners(reader));
        if (metrics) {
            trainer.setMetrics(new Metrics());
        }
        trainer.initialize(new Shape(rows, TinyClassification.FEATURES));
        return trainer;
    }

    @Test
    void supervisedStepRecordsTheLossAndAccuracyItReturns() {
        try (NDManager data = NDManager.newBaseManager();
                Model model = Model.newInstance("supervised")) {
            data.getEngine().setRandomSeed(3);
            NDList sample = TinyClassification.sample(TinyClassification.prototypes(data), 4);
            Reader reader = new Reader();
            try (Trainer trainer =
                    trainer(model, TinyClassification.mlp(8), Loss.softmaxCrossEntropyLoss(), 12, reader, true)) {
                for (int s = 0; s < STEPS; s++) {
                    SupervisedStep.Result result = new SupervisedStep().run(trainer, sample.get(0), sample.get(1));
                    assertEquals(Double.doubleToLongBits(result.loss().getFloat()),
                            Double.doubleToLongBits(reader.losses.get(s)), "the loss the step returned, widened");
                    assertEquals(result.accuracy(), reader.accuracies.get(s), 0.0, "the accuracy the step returned");
                }
                assertEquals(STEPS, trainer.getMetrics().getMetric(StepMetrics.LOSS).size());
                assertEquals(STEPS, trainer.getMetrics().getMetric(StepMetrics.ACCURACY).size());
            }
        }
        try (NDManager data = NDManager.newBaseManager();
                Model model = Model.newInstance("poisoned")) {
            data.getEngine().setRandomSeed(3);
            NDList sample = TinyClassification.sample(TinyClassification.prototypes(data), 4);
            Reader reader = new Reader();
            try (Trainer trainer =
                    trainer(model, TinyClassification.poisonableMlp(8), Loss.softmaxCrossEntropyLoss(), 12, reader, true)) {
                assertThrows(NonFiniteTrainingException.class,
                        () -> new SupervisedStep().run(trainer, TinyClassification.withZeroRow(sample.get(0)), sample.get(1)));
                assertFalse(trainer.getMetrics().hasMetric(StepMetrics.LOSS), "a failed step records nothing");
                assertTrue(Double.isNaN(StepMetrics.latest(trainer, StepMetrics.LOSS)));
            }
        }
    }

    @Test
    void withoutMetricsNothingIsRecordedAndListenersReadNaN() {
        try (NDManager data = NDManager.newBaseManager();
                Model model = Model.newInstance("plain")) {
            data.getEngine().setRandomSeed(3);
            NDList sample = TinyClassification.sample(TinyClassification.prototypes(data), 4);
            Reader reader = new Reader();
            try (Trainer trainer =
                    trainer(model, TinyClassification.mlp(8), Loss.softmaxCrossEntropyLoss(), 12, reader, false)) {
                new SupervisedStep().run(trainer, sample.get(0), sample.get(1));
                assertEquals(null, trainer.getMetrics());
                assertTrue(Double.isNaN(reader.losses.get(0)));
                assertTrue(Double.isNaN(reader.accuracies.get(0)));
            }
        }
    }

    @Test
    void pretrainingAndDistillationStepsRecordTheLossTheyReturn() {
        try (NDManager data = NDManager.newBaseManager();
                Model model = Model.newInstance("pretrain");
                Model studentModel = Model.newInstance("student")) {
            data.getEngine().setRandomSeed(5);
            NDList sample = TinyClassification.sample(TinyClassification.prototypes(data), 2); // 6 images
            NDArray images = sample.get(0);
            NDArray labels = sample.get(1);
            SuNCEtPretrainingLoss objective =
                    SuNCEtPretrainingLoss.builder()
                            .optContrastiveLoss(NtXentLoss.builder().optTemperature(0.5f).build())
                            .build();
            Reader reader = new Reader();
            try (Trainer trainer = trainer(model, TinyClassification.mlp(8), objective, 18, reader, true)) {
                for (int s = 0; s < STEPS; s++) {
                    NDArray views = images.tile(new long[] {2, 1}).add(data.randomNormal(0f, 0.1f,
                            new Shape(12, TinyClassification.FEATURES), DataType.FLOAT32));
                    PretrainingStep.Result result =
                            new PretrainingStep(objective, -1).run(trainer, views, images, labels, 0);
                    assertEquals(Double.doubleToLongBits(result.loss().getFloat()),
                            Double.doubleToLongBits(reader.losses.get(s)), "pre-training step " + s);
                    assertTrue(Double.isNaN(reader.accuracies.get(s)), "no accuracy in pre-training");
                }
            }
            Block teacher = TinyClassification.mlp(8);
            teacher.initialize(data, DataType.FLOAT32, new Shape(6, TinyClassification.FEATURES));
            DistillationLoss distillation = DistillationLoss.builder().optCheckValues(false).build();
            Reader studentReader = new Reader();
            try (Trainer student =
                    trainer(studentModel, TinyClassification.mlp(8), distillation, 6, studentReader, true)) {
                DistillationStep step = DistillationStep.builder().setTeacher(teacher).optLoss(distillation).build();
                for (int s = 0; s < STEPS; s++) {
                    DistillationStep.Result result = step.run(student, images, null, null);
                    assertEquals(Double.doubleToLongBits(result.loss().getFloat()),
                            Double.doubleToLongBits(studentReader.losses.get(s)), "distillation step " + s);
                }
            }
        }
    }
}
