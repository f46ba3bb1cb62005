package org.suncet.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.suncet.examples.cli.Cli.args;
import static org.suncet.examples.cli.Cli.failsWithOneLine;
import static org.suncet.examples.cli.Cli.ok;
import static org.suncet.examples.cli.Cli.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.suncet.examples.data.DebianFashionMnist;
import org.suncet.examples.run.Checkpoint;

/**
 * Every training program stops at the first non-finite loss or gradient: one line {@code error:
 * non-finite ... at epoch E step S of N ...}, exit code 2, never "done", and the last checkpoint as
 * the previous epoch wrote it, which {@code --resume} continues from.
 *
 * <p>The cause is the test-only hook {@code -Dsuncet.test.nanInputAt=RECIPE:EPOCH:STEP} (a system
 * property read by the recipes, see {@code org.suncet.examples.recipe.InjectedNaN}), which makes one
 * chosen step's input images NaN, the same on every machine. (A real cause, an absurd {@code --lr
 * 1e30}, diverged within the first epoch at a step that differed between CPUs; such a rate is now
 * refused before the run folder is touched, and LARS keeps rates up to about 1e4 finite, so no
 * learning rate the programs accept diverges reliably.) A run stopped before its first checkpoint
 * leaves no run folder. Tiny Fashion-MNIST subsets (128 training, 64 test images, ResNet-18 at
 * width 1/16), as in {@link TrainingPipelineTest}.
 */
class NonFiniteTrainingTest {

    private static final String HOOK = "suncet.test.nanInputAt";

    @TempDir static Path shared;

    /** An uninterrupted 2-epoch pre-training, and a 2-epoch fine-tuning from it. */
    private static Path pretrain;
    private static Path finetune;

    private static List<String> pretrainArgs(Path out, String... more) {
        return args(List.of("pretrain", "--train-images", "128", "--test-images", "64", "--label-fraction", "0.25",
                "--width", "0.0625", "--batch", "32", "--epochs", "2", "--out", out.toString()), more);
    }

    private static List<String> finetuneArgs(Path out, String... more) {
        return args(List.of("finetune", "--from", pretrain.toString(), "--batch", "10", "--epochs", "2",
                "--out", out.toString()), more);
    }

    private static List<String> distillArgs(Path out, String... more) {
        return args(List.of("distill", "--teacher", finetune.toString(), "--batch", "32", "--epochs", "1",
                "--out", out.toString()), more);
    }

    /** Runs the program with the step {@code at} (RECIPE:EPOCH:STEP) fed NaN images. */
    private static Cli.Result poisoned(String at, List<String> args) {
        System.setProperty(HOOK, at);
        try {
            return run(args);
        } finally {
            System.clearProperty(HOOK);
        }
    }

    @BeforeAll
    static void trainWithoutPoison() {
        pretrain = shared.resolve("pretrain");
        ok(run(pretrainArgs(pretrain)));
        finetune = shared.resolve("finetune");
        ok(run(finetuneArgs(finetune)));
    }

    /**
     * Checks that nothing claims success and that the run holds exactly {@code files}; a run stopped
     * before its first checkpoint leaves no folder, and nothing beside it.
     */
    private static void assertStoppedWith(Cli.Result result, Path run, String... files) throws IOException {
        assertFalse(result.out().contains("done"), result.both());
        if (files.length == 0) {
            assertFalse(Files.exists(run), "a run stopped before its first checkpoint leaves no folder\n" + result.both());
            try (var siblings = Files.list(run.getParent())) {
                assertEquals(List.of(), siblings.map(Path::getFileName).map(Path::toString)
                        .filter(name -> name.startsWith("." + run.getFileName())).toList(), "no staging folder is left");
            }
            return;
        }
        assertEquals(List.of(files).stream().sorted().toList(),
                Cli.snapshot(run).keySet().stream().filter(f -> f.startsWith("checkpoint")).toList(), result.both());
    }

    @Test
    void pretrainStopsAtTheNaNStepAndItsLastCheckpointResumes() throws Exception {
        Path run = shared.resolve("pretrain-nan");
        Path checkpoint = run.resolve(Checkpoint.FILE_NAME);
        Cli.Result result = poisoned("pretraining:2:3", pretrainArgs(run));
        failsWithOneLine(result, "error: non-finite loss (NaN) and gradients in ", " at epoch 2 step 3 of 4;",
                "nothing of epoch 2 was saved", "last good checkpoint " + checkpoint + " (after epoch 1) is intact",
                "--resume");
        assertStoppedWith(result, run, Checkpoint.FILE_NAME);
        // the checkpoint is the one epoch 1 wrote, byte for byte, and the metrics stop there
        assertArrayEquals(Files.readAllBytes(pretrain.resolve(Checkpoint.PREVIOUS_FILE_NAME)), Files.readAllBytes(checkpoint));
        List<String> metrics = Files.readAllLines(pretrain.resolve("metrics.csv"));
        assertEquals(metrics.subList(0, 2), Files.readAllLines(run.resolve("metrics.csv")));

        Cli.Result resumed = ok(run(pretrainArgs(run, "--resume")));
        assertEquals(metrics, Files.readAllLines(run.resolve("metrics.csv")), resumed.both());
        assertArrayEquals(Files.readAllBytes(pretrain.resolve(Checkpoint.FILE_NAME)), Files.readAllBytes(checkpoint),
                "the resumed run ends as the uninterrupted one");
    }

    @Test
    void pretrainStoppedInItsFirstEpochLeavesNoFolderAndTheSameCommandRunsAgain() throws Exception {
        Path run = shared.resolve("pretrain-first-epoch");
        Cli.Result result = poisoned("pretraining:1:2", pretrainArgs(run));
        failsWithOneLine(result, "error: non-finite loss (NaN)", " at epoch 1 step 2 of 4;", "the run has no checkpoint yet",
                run + " is as it was before the command");
        assertStoppedWith(result, run);
        // no half-made run blocks the retry with the same --out
        ok(run(pretrainArgs(run)));
        assertEquals(Files.readAllLines(pretrain.resolve("metrics.csv")), Files.readAllLines(run.resolve("metrics.csv")));
    }

    @Test
    void anAbsurdLearningRateIsRefusedBeforeAnyFolderIsMade() throws Exception {
        Path run = shared.resolve("pretrain-lr");
        failsWithOneLine(run(pretrainArgs(run, "--lr", "1e30")), "error: --lr must be a base learning rate in (0, 1000], got 1e30");
        assertStoppedWith(new Cli.Result(2, "", ""), run);
        Path absurd = shared.resolve("finetune-lr");
        failsWithOneLine(run(finetuneArgs(absurd, "--lr", "1e30")), "--lr must be", "1e30");
        assertStoppedWith(new Cli.Result(2, "", ""), absurd);
        Path distilled = shared.resolve("distill-lr");
        failsWithOneLine(run(distillArgs(distilled, "--lr", "1e30")), "--lr must be", "1e30");
        assertStoppedWith(new Cli.Result(2, "", ""), distilled);
    }

    @Test
    void finetuneStopsAtTheNaNStepAndItsLastCheckpointResumes() throws Exception {
        Path run = shared.resolve("finetune-nan");
        Path checkpoint = run.resolve(Checkpoint.FILE_NAME);
        Cli.Result result = poisoned("supervised:2:2", finetuneArgs(run));
        failsWithOneLine(result, "error: non-finite loss (NaN)", " at epoch 2 step 2 of 3;",
                "last good checkpoint " + checkpoint + " (after epoch 1) is intact", "--resume");
        assertStoppedWith(result, run, Checkpoint.FILE_NAME);
        assertArrayEquals(Files.readAllBytes(finetune.resolve(Checkpoint.PREVIOUS_FILE_NAME)), Files.readAllBytes(checkpoint));

        ok(run(finetuneArgs(run, "--resume")));
        assertEquals(Files.readAllLines(finetune.resolve("metrics.csv")), Files.readAllLines(run.resolve("metrics.csv")));
        assertArrayEquals(Files.readAllBytes(finetune.resolve(Checkpoint.FILE_NAME)), Files.readAllBytes(checkpoint));
    }

    @Test
    void distillStopsAtTheNaNStep() throws Exception {
        Path run = shared.resolve("distill-nan");
        Cli.Result result = poisoned("distillation:1:2", distillArgs(run));
        failsWithOneLine(result, "error: non-finite loss (NaN)", " at epoch 1 step 2 of 4;", "no checkpoint yet");
        assertStoppedWith(result, run);
    }

    @Test
    void theDemoStopsAtTheNaNStepWithoutATable() {
        Path out = shared.resolve("demo");
        Cli.Result result = poisoned("pretraining:1:2", List.of("demo", "--validation-images", "500", "--train-images",
                "600", "--label-fraction", "0.2", "--pretrain-epochs", "2", "--pretrain-steps", "4", "--finetune-steps",
                "2", "--out", out.toString()));
        failsWithOneLine(result, "error: non-finite loss (NaN)", " at epoch 1 step 2 of 4 in SimCLR pre-training",
                "saves no checkpoint");
        assertFalse(result.out().contains("top-1"), result.both());
    }

    @Test
    void theStudyStopsAtTheNaNStepKeepingItsFinishedCells() {
        Path folder = shared.resolve("study");
        Path out = folder.resolve("out");
        Cli.Result result = poisoned("supervised:1:1", List.of("study", "--quick", "--seeds", "5", "--budgets", "1",
                "--fractions", "0.1", "--data", DebianFashionMnist.DEFAULT_FOLDER.toString(), "--out", out.toString(),
                "--report", folder.resolve("study.md").toString(), "--work", folder.resolve("work").toString()));
        failsWithOneLine(result, "error: non-finite loss (NaN)", " at epoch 1 step 1 of ",
                " in the supervised-only training (seed 5, 10.0 % labels, base rate 0.4)", out.resolve("results.csv").toString(),
                "--resume");
        assertFalse(Files.exists(folder.resolve("study.md")), "no report from a failed study");
    }
}
