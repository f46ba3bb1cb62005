package org.suncet.examples.recipe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.training.listener.SaveModelTrainingListener;
import ai.djl.training.listener.TimeMeasureTrainingListener;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.util.Pair;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.suncet.augment.SimClrAugmentation;
import org.suncet.examples.data.ImageData;
import org.suncet.examples.run.ProgressBar;
import org.suncet.examples.run.ProgressBarTrainingListener;
import org.suncet.models.ContrastiveModel;
import org.suncet.train.EpochAccuracy;
import org.suncet.train.LabelSplit;
import org.suncet.train.LinearProbeTrainingListener;
import org.suncet.train.SoftKnnTrainingListener;

/**
 * The recipes tell DJL training listeners what EasyTrain tells them (onTrainingBegin when the
 * trainer is made, onTrainingBatch per step with the step's progress, onEpoch per completed epoch,
 * onTrainingEnd at close), so DJL's logging, evaluator, time-measure and save-model listeners and
 * suncet's soft-kNN and linear-probe listeners work on them, and a run with all of these attached
 * computes the same losses and parameters, bit for bit, as the same run without listeners.
 */
class RecipeListenersTest {

    private static final int EPOCHS = 2;

    /** Counts the events and records each batch's progress. */
    private static final class Recorder extends TrainingListenerAdapter {
        final List<long[]> progress = new ArrayList<>();
        int begins;
        int epochs;
        int ends;

        @Override
        public void onTrainingBegin(Trainer trainer) {
            begins++;
        }

        @Override
        public void onTrainingBatch(Trainer trainer, BatchData batchData) {
            progress.add(new long[] {batchData.getBatch().getProgress(), batchData.getBatch().getProgressTotal()});
        }

        @Override
        public void onEpoch(Trainer trainer) {
            epochs++;
        }

        @Override
        public void onTrainingEnd(Trainer trainer) {
            ends++;
        }

        void assertSaw(int steps, long itemsPerStep) {
            assertEquals(1, begins, "onTrainingBegin once, when the trainer is made");
            assertEquals(EPOCHS, epochs, "onEpoch once per epoch");
            assertEquals(1, ends, "onTrainingEnd once, at close");
            assertEquals(EPOCHS * steps, progress.size(), "onTrainingBatch once per step");
            for (int i = 0; i < progress.size(); i++) {
                long step = i % steps;
                assertArrayEquals(
                        new long[] {(step + 1) * itemsPerStep, steps * itemsPerStep}, progress.get(i), "step " + i);
            }
        }
    }

    /**
     * DJL's defaults (epoch, evaluator, divergence check, logging), time measure, save model, and
     * the command-line programs' progress bar (its epochs opened by the batches themselves).
     */
    private static List<TrainingListener> djlListeners(Recorder recorder, Path folder) {
        List<TrainingListener> listeners = new ArrayList<>(List.of(TrainingListener.Defaults.logging()));
        listeners.add(new TimeMeasureTrainingListener(folder.toString()));
        listeners.add(new SaveModelTrainingListener(folder.toString()));
        listeners.add(recorder);
        listeners.add(new ProgressBarTrainingListener(ProgressBar.builder()
                .setOutput(System.out).setEpochs(EPOCHS).setStepsPerEpoch(3).optInteractive(false).build()));
        return listeners;
    }

    private static List<byte[]> bytes(Block block) {
        List<byte[]> out = new ArrayList<>();
        for (Pair<String, Parameter> entry : block.getParameters()) {
            out.add(entry.getValue().getArray().toByteArray());
        }
        return out;
    }

    private static void assertBitIdentical(List<byte[]> expected, List<byte[]> actual, String what) {
        assertEquals(expected.size(), actual.size(), what);
        for (int p = 0; p < expected.size(); p++) {
            assertArrayEquals(expected.get(p), actual.get(p), what + ": parameter " + p);
        }
    }

    private static void assertSavedAndTimed(Path folder) throws Exception {
        try (Stream<Path> files = Files.list(folder)) {
            List<String> names = files.map(p -> p.getFileName().toString()).toList();
            assertTrue(names.stream().anyMatch(n -> n.endsWith(".params")), "SaveModelTrainingListener: " + names);
            assertTrue(names.contains("training.log"), "TimeMeasureTrainingListener: " + names);
        }
    }

    /** One pre-training run: the per-step mean losses as bits, the parameters, the trainer's loss. */
    private record PretrainRun(List<Long> losses, List<byte[]> parameters, float trainLoss, double lastEpoch) {}

    private static PretrainRun pretrain(ImageData data, LabelSplit split, List<TrainingListener> listeners) {
        PretrainConfig config =
                new PretrainConfig(true, EPOCHS, 32, 5, 2, 0.5f, 0.1f, 1f, 1, 0.3f, 1e-6f, 0.1f, 18, 0.0625f, 7, 2);
        List<Long> losses = new ArrayList<>();
        double last = 0;
        ContrastiveModel network;
        float trainLoss;
        List<byte[]> parameters;
        try (ContrastivePretraining run = new ContrastivePretraining(config, data, split, null, listeners)) {
            for (int epoch = 0; epoch < EPOCHS; epoch++) {
                last = run.runEpoch(epoch, (e, s, steps, mean, rows) -> losses.add(Double.doubleToLongBits(mean)));
            }
            network = run.getNetwork();
            parameters = bytes(network);
            trainLoss = listeners.isEmpty() ? Float.NaN : run.getTrainer().getTrainingResult().getTrainLoss();
        }
        return new PretrainRun(losses, parameters, trainLoss, last);
    }

    @Test
    void contrastivePretrainingTellsListenersAndComputesTheSameWithThem(@TempDir Path scratch) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ImageData all = ContrastivePretrainingTest.subset(manager, scratch, 192);
            ImageData data = new ImageData(all.images().get(new NDIndex("0:128")), Arrays.copyOf(all.labels(), 128), 10);
            LabelSplit split = LabelSplit.balanced(data.labels(), 0.2, 1);
            PretrainRun plain = pretrain(data, split, List.of());

            Recorder recorder = new Recorder();
            Path folder = Files.createDirectories(scratch.resolve("listeners"));
            ImageData labeled = data.subset(split.indices(), manager);
            NDArray memoryLabels = manager.create(labeled.labels());
            NDArray queries = all.images().get(new NDIndex("128:192"));
            NDArray queryLabels = manager.create(Arrays.copyOfRange(all.labels(), 128, 192));
            SoftKnnTrainingListener knn =
                    SoftKnnTrainingListener.builder()
                            .setMemory(labeled.images(), memoryLabels)
                            .setQueries(queries, queryLabels)
                            .setNumClasses(10)
                            .build();
            LinearProbeTrainingListener probe =
                    LinearProbeTrainingListener.builder()
                            .setMemory(labeled.images(), memoryLabels)
                            .setQueries(queries, queryLabels)
                            .setNumClasses(10)
                            .optEpochs(20)
                            .optEvery(2)
                            .build();
            List<TrainingListener> listeners = djlListeners(recorder, folder);
            listeners.add(knn);
            listeners.add(probe);
            PretrainRun watched = pretrain(data, split, listeners);

            assertEquals(plain.losses(), watched.losses(), "per-step losses with and without listeners");
            assertBitIdentical(plain.parameters(), watched.parameters(), "pre-trained parameters");
            recorder.assertSaw(2, 32);
            assertEquals(watched.lastEpoch(), watched.trainLoss(), 1e-5 * watched.lastEpoch(),
                    "DJL's evaluator listener recomputed the objective from each step's BatchData");
            assertSavedAndTimed(folder);
            assertEquals(List.of(1, 2), knn.getHistory().stream().map(EpochAccuracy::epoch).toList());
            assertEquals(List.of(2), probe.getHistory().stream().map(EpochAccuracy::epoch).toList());
            for (EpochAccuracy measured : List.of(knn.getHistory().get(1), probe.getHistory().get(0))) {
                assertTrue(measured.accuracy() >= 0 && measured.accuracy() <= 1, measured.toString());
            }
            System.out.println("pre-training with listeners: soft-kNN " + knn.getHistory() + ", probe " + probe.getHistory());
        }
    }

    @Test
    void supervisedTrainingTellsListenersAndComputesTheSameWithThem(@TempDir Path scratch) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ImageData labeled = ContrastivePretrainingTest.subset(manager, scratch, 48);
            List<List<Long>> losses = new ArrayList<>();
            List<List<byte[]>> parameters = new ArrayList<>();
            Recorder recorder = new Recorder();
            Path folder = Files.createDirectories(scratch.resolve("listeners"));
            for (List<TrainingListener> listeners : List.of(List.<TrainingListener>of(), djlListeners(recorder, folder))) {
                Block classifier = ContrastivePretraining.network(18, 0.0625f, 1).fineTuneClassifier(1, 10);
                List<Long> runLosses = new ArrayList<>();
                try (SupervisedTraining run =
                        new SupervisedTraining(classifier, labeled, EPOCHS, 16, 0.05f, 3, 0,
                                SimClrAugmentation.cropAndFlip(28).optSeed(3).build(), listeners)) {
                    for (int epoch = 0; epoch < EPOCHS; epoch++) {
                        run.runEpoch(epoch, (images, loss, accuracy) -> runLosses.add(Double.doubleToLongBits(loss)));
                    }
                    parameters.add(bytes(classifier));
                }
                losses.add(runLosses);
            }
            assertEquals(losses.get(0), losses.get(1), "per-step losses with and without listeners");
            assertBitIdentical(parameters.get(0), parameters.get(1), "fine-tuned parameters");
            recorder.assertSaw(3, 16);
            assertSavedAndTimed(folder);
        }
    }

    @Test
    void distillationTrainingTellsListenersAndComputesTheSameWithThem(@TempDir Path scratch) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ImageData unlabeled = ContrastivePretrainingTest.subset(manager, scratch, 64);
            Block teacher = ContrastivePretraining.network(18, 0.0625f, 1).fineTuneClassifier(1, 10);
            manager.getEngine().setRandomSeed(11);
            teacher.initialize(manager, DataType.FLOAT32, new Shape(1, 1, 28, 28));
            for (Pair<String, Parameter> entry : teacher.getParameters()) {
                if (entry.getKey().contains("classifier")) { // a teacher with opinions
                    NDArray weight = entry.getValue().getArray();
                    weight.addi(manager.randomNormal(weight.getShape()));
                }
            }
            List<List<Long>> losses = new ArrayList<>();
            List<List<byte[]>> parameters = new ArrayList<>();
            Recorder recorder = new Recorder();
            Path folder = Files.createDirectories(scratch.resolve("listeners"));
            float[] trainLoss = new float[1];
            double[] lastEpoch = new double[1];
            for (List<TrainingListener> listeners : List.of(List.<TrainingListener>of(), djlListeners(recorder, folder))) {
                Block student = ContrastivePretraining.network(18, 0.0625f, 1).fineTuneClassifier(0, 10);
                List<Long> runLosses = new ArrayList<>();
                try (DistillationTraining run =
                        new DistillationTraining(teacher, student, unlabeled, EPOCHS, 32, 0.3f, 5, 0, listeners)) {
                    for (int epoch = 0; epoch < EPOCHS; epoch++) {
                        lastEpoch[0] = run.runEpoch(epoch, (images, loss) -> runLosses.add(Double.doubleToLongBits(loss)));
                    }
                    if (!listeners.isEmpty()) {
                        trainLoss[0] = run.getTrainer().getTrainingResult().getTrainLoss();
                    }
                    parameters.add(bytes(student));
                }
                losses.add(runLosses);
            }
            assertEquals(losses.get(0), losses.get(1), "per-step losses with and without listeners");
            assertFalse(losses.get(0).stream().distinct().count() == 1, "the student learns: " + losses.get(0));
            assertBitIdentical(parameters.get(0), parameters.get(1), "distilled parameters");
            recorder.assertSaw(2, 32);
            assertEquals(lastEpoch[0], trainLoss[0], 1e-5 * lastEpoch[0],
                    "DJL's evaluator listener reports the distillation loss");
            assertSavedAndTimed(folder);
        }
    }
}
