package org.suncet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.listener.EvaluatorTrainingListener;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.training.loss.Loss;
import ai.djl.training.tracker.Tracker;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.suncet.loss.DistillationLoss;
import org.suncet.loss.NtXentLoss;
import org.suncet.loss.SuNCEtPretrainingLoss;

/**
 * The steps tell the trainer's listeners {@code onTrainingBatch} once per step, after the finite
 * check and before the update, with a {@code BatchData} laid out as EasyTrain's (the rows, the
 * labels the trainer's loss reads, the model's outputs keyed by device, the caller's progress), and
 * without changing the arithmetic: the same seed gives bit-identical losses and parameters with
 * and without DJL's default listeners.
 */
class TrainingBatchEventTest {

    private static final int IMAGES = 12;
    private static final int FEATURES = 10;
    private static final int STEPS = 4;

    /** What a listener saw at one {@code onTrainingBatch}. */
    private record Seen(
            long progress,
            long total,
            int size,
            Shape data,
            List<Shape> labels,
            List<Shape> predictions,
            Device device,
            float[] firstLabels) {}

    /** Records every {@code onTrainingBatch} and counts the other events. */
    private static final class Recorder extends TrainingListenerAdapter {
        final List<Seen> batches = new ArrayList<>();
        int begins;
        int epochs;
        int ends;

        @Override
        public void onTrainingBegin(Trainer trainer) {
            begins++;
        }

        @Override
        public void onTrainingBatch(Trainer trainer, BatchData batchData) {
            Batch batch = batchData.getBatch();
            assertEquals(1, batchData.getLabels().size(), "one device");
            Device device = batchData.getPredictions().keySet().iterator().next();
            NDList labels = batchData.getLabels().get(device);
            NDList predictions = batchData.getPredictions().get(device);
            assertSame(labels, batch.getLabels(), "the batch's labels are the ones the loss reads");
            assertThrows(UnsupportedOperationException.class, () -> batch.split(new Device[] {device}, false));
            batches.add(
                    new Seen(
                            batch.getProgress(),
                            batch.getProgressTotal(),
                            batch.getSize(),
                            batch.getData().singletonOrThrow().getShape(),
                            List.of(labels.getShapes()),
                            List.of(predictions.getShapes()),
                            device,
                            labels.isEmpty() ? null : labels.head().toType(DataType.FLOAT32, false).toFloatArray()));
        }

        @Override
        public void onEpoch(Trainer trainer) {
            epochs++;
        }

        @Override
        public void onTrainingEnd(Trainer trainer) {
            ends++;
        }
    }

    private static TrainingListener[] withDefaults(Recorder recorder) {
        List<TrainingListener> all = new ArrayList<>(List.of(TrainingListener.Defaults.logging()));
        all.add(recorder);
        return all.toArray(new TrainingListener[0]);
    }

    private static Trainer trainer(Model model, Block block, Loss loss, long rows, TrainingListener... listeners) {
        model.setBlock(block);
        Trainer trainer =
                model.newTrainer(
                        new DefaultTrainingConfig(loss)
                                .optOptimizer(
                                        NesterovSgd.builder()
                                                .setLearningRateTracker(Tracker.fixed(0.05f))
                                                .build())
                                .addTrainingListeners(listeners));
        trainer.initialize(new Shape(rows, FEATURES));
        return trainer;
    }

    private static SequentialBlock mlp(int outputs) {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(16).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(outputs).build());
    }

    /** One run of STEPS steps from seed 5: the losses, the final parameters and the recorder. */
    private record Run(float[] losses, List<byte[]> parameters) {}

    private static Run run(boolean listeners, Recorder recorder, StepKind kind) {
        try (NDManager data = NDManager.newBaseManager();
                Model model = Model.newInstance("events")) {
            data.getEngine().setRandomSeed(5);
            NDArray images = data.randomNormal(new Shape(IMAGES, FEATURES));
            NDArray labels = data.arange(0, 3, 1, DataType.INT64).repeat(2);
            TrainingListener[] attached = listeners ? withDefaults(recorder) : new TrainingListener[0];
            float[] losses = new float[STEPS];
            try (Trainer trainer = kind.trainer(model, data, attached)) {
                for (int s = 0; s < STEPS; s++) {
                    try (NDManager stepData = data.newSubManager()) {
                        NDArray x = data.randomNormal(0f, 0.3f, images.getShape(), DataType.FLOAT32).add(images);
                        x.attach(stepData);
                        NDArray ownLabels = labels.duplicate();
                        ownLabels.attach(stepData);
                        float loss = kind.step(trainer, x, ownLabels, s, BatchProgress.ofStep(s, STEPS, IMAGES));
                        losses[s] = loss;
                        assertFalse(x.isReleased(), "the caller's arrays stay open");
                        assertSame(stepData, x.getManager(), "and stay the caller's");
                        assertSame(stepData, ownLabels.getManager(), "and stay the caller's");
                    }
                }
                if (listeners) {
                    kind.checkEvaluators(trainer);
                }
                return new Run(losses, TinyClassification.bytes(model.getBlock()));
            }
        }
    }

    /** The three steps, run the same way. */
    private enum StepKind {
        PRETRAINING {
            final SuNCEtPretrainingLoss objective =
                    SuNCEtPretrainingLoss.builder()
                            .optContrastiveLoss(NtXentLoss.builder().optTemperature(0.5f).build())
                            .build();
            float lastLoss;

            @Override
            Trainer trainer(Model model, NDManager data, TrainingListener[] listeners) {
                return TrainingBatchEventTest.trainer(model, mlp(8), objective, 2 * IMAGES, listeners);
            }

            @Override
            float step(Trainer trainer, NDArray x, NDArray labels, int s, BatchProgress progress) {
                NDArray views = x.tile(new long[] {2, 1}); // [2n, F]
                NDArray support = x.get("0:6");
                // odd steps without support: plain SimCLR, labels empty
                PretrainingStep.Result result =
                        new PretrainingStep(objective, -1)
                                .run(trainer, views, s % 2 == 0 ? support : null, s % 2 == 0 ? labels : null, 0, progress);
                lastLoss = result.loss().getFloat();
                return lastLoss;
            }

            @Override
            void checkEvaluators(Trainer trainer) {
                // DJL's evaluator listener recomputed the objective from the BatchData: same value
                assertEquals(lastLoss, objective.getAccumulator(EvaluatorTrainingListener.TRAIN_ALL));
            }
        },
        SUPERVISED {
            float lastLoss;

            @Override
            Trainer trainer(Model model, NDManager data, TrainingListener[] listeners) {
                return TrainingBatchEventTest.trainer(
                        model, mlp(3), Loss.softmaxCrossEntropyLoss(), IMAGES, listeners);
            }

            @Override
            float step(Trainer trainer, NDArray x, NDArray labels, int s, BatchProgress progress) {
                NDArray y = labels.tile(2); // [12]
                y.attach(labels.getManager());
                lastLoss = new SupervisedStep().run(trainer, x, y, progress).loss().getFloat();
                return lastLoss;
            }

            @Override
            void checkEvaluators(Trainer trainer) {
                assertEquals(lastLoss, trainer.getLoss().getAccumulator(EvaluatorTrainingListener.TRAIN_ALL), 1e-6f);
            }
        },
        DISTILLATION {
            Block teacher;
            final DistillationLoss loss = DistillationLoss.builder().optCheckValues(false).build();
            float lastLoss;

            @Override
            Trainer trainer(Model model, NDManager data, TrainingListener[] listeners) {
                data.getEngine().setRandomSeed(21);
                teacher = mlp(3);
                teacher.initialize(data, DataType.FLOAT32, new Shape(IMAGES, FEATURES));
                data.getEngine().setRandomSeed(5);
                return TrainingBatchEventTest.trainer(model, mlp(3), loss, IMAGES, listeners);
            }

            @Override
            float step(Trainer trainer, NDArray x, NDArray labels, int s, BatchProgress progress) {
                DistillationStep step = DistillationStep.builder().setTeacher(teacher).optLoss(loss).build();
                lastLoss = step.run(trainer, x, null, null, progress).loss().getFloat();
                return lastLoss;
            }

            @Override
            void checkEvaluators(Trainer trainer) {
                assertEquals(lastLoss, loss.getAccumulator(EvaluatorTrainingListener.TRAIN_ALL));
            }
        };

        abstract Trainer trainer(Model model, NDManager data, TrainingListener[] listeners);

        abstract float step(Trainer trainer, NDArray x, NDArray labels, int s, BatchProgress progress);

        abstract void checkEvaluators(Trainer trainer);
    }

    private static List<Seen> checkRun(StepKind kind) {
        Run without = run(false, null, kind);
        Recorder recorder = new Recorder();
        Run with = run(true, recorder, kind);
        assertArrayEquals(without.losses(), with.losses(), kind + ": losses with and without listeners");
        TinyClassification.assertBitIdentical(without.parameters(), with.parameters(), kind.toString());
        assertEquals(1, recorder.begins, "the trainer tells onTrainingBegin when it is made");
        assertEquals(1, recorder.ends, "and onTrainingEnd when it is closed");
        assertEquals(0, recorder.epochs, "a step never tells onEpoch: its loop does");
        assertEquals(STEPS, recorder.batches.size(), "one onTrainingBatch per step");
        for (int s = 0; s < STEPS; s++) {
            Seen seen = recorder.batches.get(s);
            assertEquals((s + 1L) * IMAGES, seen.progress());
            assertEquals((long) STEPS * IMAGES, seen.total());
            assertEquals(seen.data().get(0), seen.size(), "size: the rows forwarded");
            assertEquals(seen.data().get(0), seen.predictions().get(0).get(0), "one prediction row per row");
        }
        return recorder.batches;
    }

    @Test
    void pretrainingStepTellsListenersTheRowsTheSupportLabelsAndTheOutputs() {
        List<Seen> seen = checkRun(StepKind.PRETRAINING);
        Seen supervised = seen.get(0);
        assertEquals(new Shape(2 * IMAGES + 6, FEATURES), supervised.data(), "[views; support]");
        assertEquals(List.of(new Shape(6)), supervised.labels(), "labels NDList(y [S])");
        assertArrayEquals(new float[] {0, 0, 1, 1, 2, 2}, supervised.firstLabels());
        assertEquals(List.of(new Shape(2 * IMAGES + 6, 8)), supervised.predictions());
        Seen plain = seen.get(1);
        assertEquals(new Shape(2 * IMAGES, FEATURES), plain.data(), "views alone");
        assertEquals(List.of(), plain.labels(), "no support: empty labels, plain SimCLR for the loss");
    }

    @Test
    void supervisedStepTellsListenersTheImagesLabelsAndLogits() {
        Seen seen = checkRun(StepKind.SUPERVISED).get(0);
        assertEquals(new Shape(IMAGES, FEATURES), seen.data());
        assertEquals(List.of(new Shape(IMAGES)), seen.labels());
        assertEquals(List.of(new Shape(IMAGES, 3)), seen.predictions());
    }

    @Test
    void distillationStepTellsListenersTheTeachersLogitsAsLabels() {
        Seen seen = checkRun(StepKind.DISTILLATION).get(0);
        assertEquals(new Shape(IMAGES, FEATURES), seen.data());
        assertEquals(List.of(new Shape(IMAGES, 3)), seen.labels(), "labels NDList(t [n, C])");
        assertEquals(List.of(new Shape(IMAGES, 3)), seen.predictions());
    }

    @Test
    void aStepThatFailsItsFiniteCheckTellsNoListener() {
        Recorder recorder = new Recorder();
        try (NDManager data = NDManager.newBaseManager();
                Model model = Model.newInstance("poisoned")) {
            data.getEngine().setRandomSeed(3);
            NDArray images = data.randomNormal(new Shape(6, TinyClassification.FEATURES));
            NDArray labels = data.arange(0, 3, 1, DataType.INT64).repeat(2);
            model.setBlock(TinyClassification.poisonableMlp(8));
            try (Trainer trainer =
                    model.newTrainer(
                            new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                                    .optOptimizer(
                                            NesterovSgd.builder()
                                                    .setLearningRateTracker(Tracker.fixed(0.1f))
                                                    .build())
                                    .addTrainingListeners(recorder))) {
                trainer.initialize(new Shape(6, TinyClassification.FEATURES));
                assertThrows(
                        NonFiniteTrainingException.class,
                        () -> new SupervisedStep().run(trainer, TinyClassification.withZeroRow(images), labels));
                assertTrue(recorder.batches.isEmpty(), "no onTrainingBatch for a step that did not train");
                new SupervisedStep().run(trainer, images, labels);
                assertEquals(1, recorder.batches.size());
                Seen seen = recorder.batches.get(0);
                assertEquals(BatchProgress.SINGLE.progress(), seen.progress(), "no progress given: 1 of 1");
                assertEquals(BatchProgress.SINGLE.total(), seen.total());
            }
        }
    }

    @Test
    void batchProgressIsCheckedAndCountsItemsOfSteps() {
        assertEquals(new BatchProgress(96, 128), BatchProgress.ofStep(2, 4, 32));
        Function<Runnable, IllegalArgumentException> fails = r -> assertThrows(IllegalArgumentException.class, r::run);
        fails.apply(() -> new BatchProgress(0, 4));
        fails.apply(() -> new BatchProgress(5, 4));
        fails.apply(() -> new BatchProgress(1, 0));
        fails.apply(() -> BatchProgress.ofStep(4, 4, 32));
        fails.apply(() -> BatchProgress.ofStep(-1, 4, 32));
        fails.apply(() -> BatchProgress.ofStep(0, 4, 0));
        try (NDManager data = NDManager.newBaseManager();
                Model model = Model.newInstance("null-progress")) {
            NDArray images = data.randomNormal(new Shape(IMAGES, FEATURES));
            NDArray labels = data.zeros(new Shape(IMAGES), DataType.INT64);
            try (Trainer trainer = trainer(model, mlp(3), Loss.softmaxCrossEntropyLoss(), IMAGES)) {
                fails.apply(() -> new SupervisedStep().run(trainer, images, labels, null));
            }
        }
    }
}
