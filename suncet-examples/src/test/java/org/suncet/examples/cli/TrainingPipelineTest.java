package org.suncet.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.suncet.examples.cli.Cli.args;
import static org.suncet.examples.cli.Cli.failsWithOneLine;
import static org.suncet.examples.cli.Cli.ok;
import static org.suncet.examples.cli.Cli.run;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.suncet.examples.run.Checkpoint;
import org.suncet.examples.run.ChecksummedFile;

/**
 * {@code finetune}, {@code evaluate} and {@code distill} end to end through the program's entry
 * point, on a tiny Fashion-MNIST subset (128 training, 64 test images, ResNet-18 at width 1/16),
 * from a one-epoch {@code pretrain}; and what bad input and damaged checkpoints do to them.
 */
class TrainingPipelineTest {

    private static final List<String> FINETUNE_COLUMNS =
            List.of("epoch", "loss", "train_accuracy", "test_top1", "rows_forwarded");

    @TempDir static Path shared;

    private static Path pretrain;
    private static Path finetune;
    private static Cli.Result finetuneRun;

    private static List<String> pretrainArgs(Path out, String... more) {
        return args(List.of("pretrain", "--train-images", "128", "--test-images", "64", "--label-fraction", "0.25",
                "--width", "0.0625", "--batch", "32", "--epochs", "1", "--out", out.toString()), more);
    }

    private static List<String> finetuneArgs(Path from, Path out, String... more) {
        return args(List.of("finetune", "--from", from.toString(), "--batch", "10", "--epochs", "2",
                "--out", out.toString()), more);
    }

    @BeforeAll
    static void pretrainAndFinetune() {
        pretrain = shared.resolve("pretrain");
        ok(run(pretrainArgs(pretrain)));
        finetune = shared.resolve("finetune");
        finetuneRun = ok(run(finetuneArgs(pretrain, finetune)));
    }

    @Test
    void finetuneWritesItsRunFolderAndAFiniteTestAccuracy() throws Exception {
        Map<String, String> configuration = Cli.configuration(finetune);
        assertEquals("finetune", configuration.get("command"));
        assertEquals(pretrain.toAbsolutePath().normalize().toString(), configuration.get("from"));
        assertEquals("0.0625", configuration.get("width"), "the model is the pre-training run's");
        assertEquals("128", configuration.get("train-images"), "the data is the pre-training run's");
        assertEquals("Fashion-MNIST test split", configuration.get("test-set"));
        assertTrue(Files.isRegularFile(finetune.resolve("run.properties")));
        List<double[]> rows = Cli.metrics(finetune, FINETUNE_COLUMNS, 2);
        for (double[] row : rows) {
            assertTrue(row[3] >= 0 && row[3] <= 1, "test top-1 " + row[3]);
        }
        // 30 labeled images (25 % of 128 in 10 classes: round(3.2) = 3 each) in 3 steps of 10, twice
        assertEquals(60, rows.get(1)[4]);
        Cli.assertPngs(finetune, "loss.png", "train_accuracy.png", "test_top1.png");
        assertFalse(Files.exists(finetune.resolve("rows_forwarded.png")));
        ChecksummedFile.verify(finetune.resolve(Checkpoint.FILE_NAME));
        ChecksummedFile.verify(finetune.resolve(Checkpoint.PREVIOUS_FILE_NAME));
        assertEquals(rows.get(1)[3], finetuneRun.number("epoch 2: test top-1"), 5e-5, finetuneRun.both());
        assertFalse(finetuneRun.out().contains("note:"), "Fashion-MNIST has a held-out test split");
    }

    @Test
    void aResumedFinetuneEndsWithTheSameMetricsAndCheckpoint() throws Exception {
        // the same run interrupted after epoch 1: its checkpoint of epoch 1 is the last good one,
        // and metrics.csv already holds the row of epoch 2
        Path resumed = Cli.copy(finetune, shared.resolve("finetune-resumed"));
        Files.copy(resumed.resolve(Checkpoint.PREVIOUS_FILE_NAME), resumed.resolve(Checkpoint.FILE_NAME),
                StandardCopyOption.REPLACE_EXISTING);
        Cli.Result result = ok(run(finetuneArgs(pretrain, resumed, "--resume")));
        assertTrue(result.out().contains("after epoch 1"), result.both());
        assertEquals(Files.readAllLines(finetune.resolve("metrics.csv")), Files.readAllLines(resumed.resolve("metrics.csv")));
        assertArrayEquals(Files.readAllBytes(finetune.resolve(Checkpoint.FILE_NAME)),
                Files.readAllBytes(resumed.resolve(Checkpoint.FILE_NAME)), "final parameters, momentum and state");
    }

    @Test
    void evaluatePrintsTheAccuracyTheFinetuneRecorded() throws Exception {
        double recorded = Cli.metrics(finetune, FINETUNE_COLUMNS, 2).get(1)[3];
        Cli.Result result = ok(run("evaluate", "--from", finetune.toString()));
        assertTrue(result.out().contains("after 2 epochs, 64 test images"), result.both());
        double top1 = result.number("test top-1");
        double top5 = result.number("test top-5");
        double neighbour = result.number("soft-nearest-neighbour top-1");
        assertEquals(recorded, top1, 5e-5, "the checkpoint holds the model that was evaluated");
        assertTrue(top5 >= top1 && top5 <= 1, result.both());
        assertTrue(neighbour >= 0 && neighbour <= 1, result.both());

        Cli.Result pretrained = ok(run("evaluate", "--from", pretrain.toString()));
        assertFalse(pretrained.out().contains("test top-1"), "a pre-trained model has no classifier");
        double monitor = pretrained.number("soft-nearest-neighbour top-1");
        assertTrue(monitor >= 0 && monitor <= 1, pretrained.both());
    }

    @Test
    void distillTrainsAStudentWithAFiniteTestAccuracy() throws Exception {
        Path student = shared.resolve("student");
        // its own seed for the order and augmentation; the images and test subset stay the pre-training run's
        Cli.Result result = ok(run("distill", "--teacher", finetune.toString(), "--batch", "32", "--epochs", "1",
                "--seed", "3", "--out", student.toString()));
        Map<String, String> configuration = Cli.configuration(student);
        assertEquals("distill", configuration.get("command"));
        assertEquals("18", configuration.get("student-depth"));
        assertEquals("0.03125", configuration.get("student-width"), "half the teacher's width");
        assertEquals("3", configuration.get("seed"));
        assertEquals("Fashion-MNIST test split", configuration.get("test-set"));
        List<double[]> rows = Cli.metrics(student, List.of("epoch", "loss", "test_top1", "rows_forwarded"), 1);
        assertEquals(128, rows.get(0)[3], "4 steps of 32 images");
        Cli.assertPngs(student, "loss.png", "test_top1.png");
        ChecksummedFile.verify(student.resolve(Checkpoint.FILE_NAME));
        double top1 = result.number("epoch 1: student test top-1");
        assertEquals(rows.get(0)[2], top1, 5e-5);
        assertTrue(top1 >= 0 && top1 <= 1, result.both());

        // evaluate loads the test subset with the pre-training run's seed: the same 64 images
        Cli.Result evaluated = ok(run("evaluate", "--from", student.toString()));
        assertEquals(rows.get(0)[2], evaluated.number("test top-1"), 5e-5, evaluated.both());
    }

    @Test
    void aCorruptCheckpointGivenToResumeFailsWithOneLineAndStaysAsItWas() throws Exception {
        Path damagedPretrain = Cli.copy(pretrain, shared.resolve("damaged-pretrain"));
        Path checkpoint = damagedPretrain.resolve(Checkpoint.FILE_NAME);
        Cli.corrupt(checkpoint);
        Map<String, byte[]> before = Cli.snapshot(damagedPretrain);
        failsWithOneLine(run(pretrainArgs(damagedPretrain, "--resume")), checkpoint.toString(), "checksum");
        Cli.assertUnchanged(before, damagedPretrain, Checkpoint.FILE_NAME, "metrics.csv");

        Path damagedFinetune = Cli.copy(finetune, shared.resolve("damaged-finetune"));
        checkpoint = damagedFinetune.resolve(Checkpoint.FILE_NAME);
        Cli.corrupt(checkpoint);
        before = Cli.snapshot(damagedFinetune);
        // the message also says that the previous checkpoint is sound
        failsWithOneLine(run(finetuneArgs(pretrain, damagedFinetune, "--resume")),
                checkpoint.toString(), Checkpoint.PREVIOUS_FILE_NAME);
        Cli.assertUnchanged(before, damagedFinetune, Checkpoint.FILE_NAME, Checkpoint.PREVIOUS_FILE_NAME, "metrics.csv");

        failsWithOneLine(run("evaluate", "--from", damagedFinetune.toString()), checkpoint.toString());
        failsWithOneLine(run("distill", "--teacher", damagedFinetune.toString(), "--batch", "32", "--epochs", "1",
                "--out", shared.resolve("never-written").toString()), checkpoint.toString());
        assertFalse(Files.exists(shared.resolve("never-written")));
        Cli.assertUnchanged(before, damagedFinetune, Checkpoint.FILE_NAME, Checkpoint.PREVIOUS_FILE_NAME);
    }

    @Test
    void aCorruptPretrainedCheckpointNeverCostsTheRunItWouldOverwrite() throws Exception {
        Path damagedPretrain = Cli.copy(pretrain, shared.resolve("damaged-source"));
        Path source = damagedPretrain.resolve(Checkpoint.FILE_NAME);
        Cli.corrupt(source);
        Path good = Cli.copy(finetune, shared.resolve("good-finetune"));
        Map<String, byte[]> before = Cli.snapshot(good);
        failsWithOneLine(run(finetuneArgs(damagedPretrain, good, "--overwrite")), source.toString());
        assertEquals(before.keySet(), Cli.snapshot(good).keySet());
        Cli.assertUnchanged(before, good, before.keySet().toArray(new String[0]));
    }

    @Test
    void badInputEndsWithOneLineAndNeverTouchesAGoodRun() throws Exception {
        Path good = Cli.copy(pretrain, shared.resolve("good-pretrain"));
        Map<String, byte[]> before = Cli.snapshot(good);
        failsWithOneLine(run(pretrainArgs(good, "--overwrite", "--data", "mnist-ish")), "unknown dataset 'mnist-ish'");
        // a message of several lines is still one line
        failsWithOneLine(run(pretrainArgs(good, "--overwrite", "--data", "two\nlines")), "unknown dataset 'two / lines'");
        failsWithOneLine(run(pretrainArgs(good, "--overwrite", "--data", "image-folder", shared.resolve("nowhere").toString())),
                "image folder", "nowhere");
        for (String fraction : List.of("0", "1.5", "-0.1", "NaN")) {
            failsWithOneLine(run(pretrainArgs(good, "--overwrite", "--label-fraction", fraction)), "--label-fraction");
        }
        failsWithOneLine(run(pretrainArgs(good, "--overwrite", "--classes-per-step", "11")),
                "--classes-per-step 11", "10 classes");
        failsWithOneLine(run(pretrainArgs(good, "--overwrite", "--holdout-fraction", "0.2")), "--holdout-fraction",
                "image-folder");
        failsWithOneLine(run(finetuneArgs(pretrain, good, "--overwrite", "--batch", "31")), "--batch 31", "30 labeled");
        failsWithOneLine(run("finetune", "--from", finetune.toString(), "--out", good.toString(), "--overwrite"),
                "holds a finetune run");
        failsWithOneLine(run("distill", "--teacher", pretrain.toString(), "--out", good.toString(), "--overwrite"),
                "holds a pretrain run");
        assertEquals(before.keySet(), Cli.snapshot(good).keySet());
        Cli.assertUnchanged(before, good, before.keySet().toArray(new String[0]));
    }
}
