package org.suncet.examples.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Block;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.listener.TrainingListenerAdapter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.suncet.examples.data.DebianFashionMnist;
import org.suncet.examples.data.ImageData;
import org.suncet.examples.recipe.ContrastivePretraining;
import org.suncet.examples.recipe.PretrainConfig;
import org.suncet.examples.recipe.SupervisedTraining;
import org.suncet.train.LabelSplit;
import org.suncet.train.StepMetrics;

/**
 * The command-line programs' progress line is drawn by DJL listener events: a recipe run with a
 * {@link ProgressBarTrainingListener} prints, line for line, what the same bar printed when the
 * program fed it from the recipe's per-step callback (as the programs did before), and a user's
 * listener on the same trainer reads the very losses (and accuracies) the bar shows, which are the
 * ones the recipe returns.
 */
class ProgressBarTrainingListenerTest {

    private static final int EPOCHS = 2;

    /** A bar printing a plain line at every step, on a clock that ticks one second per reading. */
    private static final class Printed {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final long[] now = {0};

        ProgressBar bar(long steps) {
            return ProgressBar.builder()
                    .setOutput(new PrintStream(bytes, true, StandardCharsets.UTF_8))
                    .setEpochs(EPOCHS)
                    .setStepsPerEpoch(steps)
                    .optInteractive(false)
                    .optPlainInterval(Duration.ZERO)
                    .optClock(() -> now[0] += 1_000_000_000L)
                    .build();
        }

        List<String> lines() {
            return List.of(bytes.toString(StandardCharsets.UTF_8).split("\n"));
        }
    }

    /** A user's listener: what the trainer's metrics hold at each {@code onTrainingBatch}. */
    private static final class UserListener extends TrainingListenerAdapter {
        final List<Double> losses = new ArrayList<>();
        final List<Double> accuracies = new ArrayList<>();

        @Override
        public void onTrainingBatch(Trainer trainer, BatchData batchData) {
            losses.add(StepMetrics.latest(trainer, StepMetrics.LOSS));
            accuracies.add(StepMetrics.latest(trainer, StepMetrics.ACCURACY));
        }
    }

    private static ImageData images(NDManager manager, Path scratch, int size) throws Exception {
        ImageData all = ImageData.fashionMnist(DebianFashionMnist.DEFAULT_FOLDER, Dataset.Usage.TEST, manager, scratch);
        return new ImageData(all.images().get(new NDIndex("0:{}", size)), Arrays.copyOf(all.labels(), size), 10);
    }

    @Test
    void fineTuningBarFromListenerEventsPrintsWhatTheCallbackFedBarPrinted(@TempDir Path scratch) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ImageData labeled = images(manager, scratch, 48);
            Printed byEvents = new Printed();
            Printed byCallback = new Printed();
            ProgressBarTrainingListener progress = new ProgressBarTrainingListener(byEvents.bar(3));
            ProgressBar callbackBar = byCallback.bar(3);
            UserListener user = new UserListener();
            List<Double> returnedLosses = new ArrayList<>();
            List<Double> returnedAccuracies = new ArrayList<>();
            Block classifier = ContrastivePretraining.network(18, 0.0625f, 1).fineTuneClassifier(1, 10);
            try (SupervisedTraining training =
                    new SupervisedTraining(classifier, labeled, EPOCHS, 16, 0.05f, 3, 0,
                            SupervisedTraining.cropAndFlip(labeled, 3), List.<TrainingListener>of(progress, user))) {
                for (int epoch = 0; epoch < EPOCHS; epoch++) {
                    progress.startEpoch(epoch);
                    callbackBar.startEpoch(epoch);
                    training.runEpoch(epoch, (images, loss, accuracy) -> {
                        callbackBar.step(images, loss, accuracy); // the programs' former path
                        returnedLosses.add(loss);
                        returnedAccuracies.add(accuracy);
                    });
                    callbackBar.finishEpoch();
                }
            }
            assertEquals(byCallback.lines(), byEvents.lines());
            assertEquals(EPOCHS * (3 + 1), byEvents.lines().size(), "a line per step and per epoch: " + byEvents.lines());
            assertTrue(byEvents.lines().get(3).matches("epoch 1/2 \\[#{20}\\] 3/3  loss \\d\\.\\d{4}  acc \\d+\\.\\d%  12 img/s  0:04"),
                    byEvents.lines().get(3));
            assertEquals(bits(returnedLosses), bits(user.losses), "the user's listener reads the recipe's losses");
            assertEquals(returnedAccuracies, user.accuracies, "and its accuracies");
        }
    }

    @Test
    void pretrainingBarFromListenerEventsPrintsWhatTheCallbackFedBarPrinted(@TempDir Path scratch) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ImageData data = images(manager, scratch, 96);
            LabelSplit split = LabelSplit.balanced(data.labels(), 0.2, 1);
            PretrainConfig config =
                    new PretrainConfig(true, EPOCHS, 32, 5, 2, 0.5f, 0.1f, 1f, 1, 0.3f, 1e-6f, 0.1f, 18, 0.0625f, 7, 0);
            Printed byEvents = new Printed();
            Printed byCallback = new Printed();
            ProgressBarTrainingListener progress = new ProgressBarTrainingListener(byEvents.bar(3));
            ProgressBar callbackBar = byCallback.bar(3);
            UserListener user = new UserListener();
            List<Double> stepLosses = new ArrayList<>();
            try (ContrastivePretraining training =
                    new ContrastivePretraining(config, data, split, null, List.of(progress, user))) {
                for (int epoch = 0; epoch < EPOCHS; epoch++) {
                    progress.startEpoch(epoch);
                    callbackBar.startEpoch(epoch);
                    double[] lastTotal = {0};
                    training.runEpoch(epoch, (e, step, steps, meanLoss, rows) -> {
                        double total = meanLoss * step; // the pretrain program's former path
                        callbackBar.step(config.unlabeledImages(), total - lastTotal[0]);
                        stepLosses.add(total - lastTotal[0]);
                        lastTotal[0] = total;
                    });
                    callbackBar.finishEpoch();
                }
            }
            assertEquals(byCallback.lines(), byEvents.lines());
            assertEquals(EPOCHS * 3, user.losses.size());
            for (int s = 0; s < stepLosses.size(); s++) {
                // the callback's loss is a difference of running sums: equal up to their rounding
                assertEquals(stepLosses.get(s), user.losses.get(s), 1e-5, "step " + s);
                assertTrue(Double.isNaN(user.accuracies.get(s)), "no accuracy in pre-training");
            }
            assertTrue(byEvents.lines().get(3).contains("  loss "), byEvents.lines().get(3));
            assertTrue(!byEvents.lines().get(3).contains("acc"), "no accuracy shown: " + byEvents.lines().get(3));
        }
    }

    @Test
    void anEpochLeftOpenIsPrintedWhenTheTrainerCloses() {
        Printed printed = new Printed();
        ProgressBarTrainingListener progress = new ProgressBarTrainingListener(printed.bar(4));
        progress.startEpoch(1);
        assertThrows(IllegalStateException.class, () -> progress.startEpoch(1), "an epoch is open");
        progress.onTrainingEnd(null); // a step failed: the loop ends, the recipe closes its trainer
        assertEquals(List.of("epoch 2/2 [....................] 0/4  0 img/s  0:01"), printed.lines());
        assertNotNull(progress.getLastSummary());
        assertEquals(0, progress.getLastSummary().steps());
        progress.onTrainingEnd(null);
        assertEquals(1, printed.lines().size(), "nothing open, nothing printed");
        assertThrows(IllegalArgumentException.class, () -> new ProgressBarTrainingListener(null));
    }

    private static List<Long> bits(List<Double> values) {
        return values.stream().map(Double::doubleToLongBits).toList();
    }
}
