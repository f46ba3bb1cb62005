package org.suncet.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.suncet.examples.cli.Cli.args;
import static org.suncet.examples.cli.Cli.failsWithOneLine;
import static org.suncet.examples.cli.Cli.ok;
import static org.suncet.examples.cli.Cli.run;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.suncet.examples.run.Checkpoint;
import org.suncet.examples.run.TestHooks;

/**
 * A command that fails loses nothing and changes nothing (issue 17 §1, §2): invalid options are
 * refused in one line that names the option as typed, before the run folder is touched, so an
 * {@code --overwrite} keeps the earlier run and a fresh {@code --out} is not made; an overwrite whose
 * training fails before its first checkpoint keeps the earlier run; a {@code --resume} that cannot
 * start changes no file; and a full disk (the test hook {@value TestHooks#DISK_FULL_AT_CHECKPOINT})
 * names the file and the last complete checkpoint, which {@code --resume} continues to the same end
 * as an uninterrupted run. Tiny Fashion-MNIST runs, as in {@link NonFiniteTrainingTest}.
 */
class FailedCommandsTest {

    @TempDir static Path shared;

    /** An uninterrupted 2-epoch pre-training, and a 1-epoch fine-tuning from it. */
    private static Path pretrain;
    private static Path finetune;

    private static List<String> pretrainArgs(Path out, String... more) {
        return args(List.of("pretrain", "--train-images", "128", "--test-images", "64", "--label-fraction", "0.25",
                "--width", "0.0625", "--batch", "32", "--epochs", "2", "--out", out.toString()), more);
    }

    @BeforeAll
    static void trainTheRunsToKeep() {
        pretrain = shared.resolve("pretrain");
        ok(run(pretrainArgs(pretrain)));
        finetune = shared.resolve("finetune");
        ok(run("finetune", "--from", pretrain.toString(), "--batch", "10", "--epochs", "1", "--out", finetune.toString()));
    }

    /** Runs the program with the test hook {@code property} set to {@code value}. */
    private static Cli.Result hooked(String property, String value, List<String> args) {
        System.setProperty(property, value);
        try {
            return run(args);
        } finally {
            System.clearProperty(property);
        }
    }

    /** Checks that {@code run} is as {@code before} recorded it: the same files, byte for byte. */
    private static void assertUntouched(Map<String, byte[]> before, Path run, Cli.Result result) throws IOException {
        assertEquals(before.keySet(), Cli.snapshot(run).keySet(), result == null ? "" : result.both());
        Cli.assertUnchanged(before, run, before.keySet().toArray(new String[0]));
        assertNoStagingBeside(run);
    }

    /** Checks that no hidden staging folder of {@code run} is left beside it. */
    private static void assertNoStagingBeside(Path run) throws IOException {
        try (var siblings = Files.list(run.getParent())) {
            assertEquals(List.of(), siblings.map(path -> path.getFileName().toString())
                    .filter(name -> name.startsWith("." + run.getFileName() + ".")).toList());
        }
    }

    /** Checks exit code 1 and exactly one line {@code error: ...} holding every one of {@code words}. */
    private static void failsWithExitOne(Cli.Result result, String... words) {
        assertEquals(1, result.code(), result.both());
        String err = result.err().strip();
        assertEquals(1, err.lines().count(), result.both());
        assertTrue(err.startsWith("error: "), result.both());
        for (String word : words) {
            assertTrue(err.contains(word), "'" + word + "' missing from the error:\n" + result.both());
        }
    }

    @Test
    void invalidOptionsAreRefusedByTheirNameBeforeTheRunFolderIsTouched() throws Exception {
        Path good = Cli.copy(pretrain, shared.resolve("good"));
        Map<String, byte[]> before = Cli.snapshot(good);
        Path fresh = shared.resolve("fresh");
        // each bad value with the words its one line must hold
        Map<List<String>, List<String>> pretrainCases = Map.of(
                List.of("--images-per-class", "50"), List.of("--images-per-class must be in [2, 3], got 50", "labeled images"),
                List.of("--depth", "19"), List.of("--depth must be one of 18, 34, 50, 101, 152, 200", "got 19"),
                List.of("--epochs", "2147483647"), List.of("--epochs 2147483647 is too many", "--epochs must be <= "),
                List.of("--lr", "1e30"), List.of("--lr must be a base learning rate in (0, 1000], got 1e30"),
                List.of("--width", "2e6"), List.of("--width 2000000.0 is too large"),
                List.of("--classes-per-step", "11"), List.of("--classes-per-step 11", "10 classes"),
                List.of("--support-augmentation", "jitter"),
                List.of("--support-augmentation must be none, crop-flip or simclr, got 'jitter'"),
                List.of("--suncet-epochs", "99"), List.of("--suncet-epochs must be in [1, --epochs", "got 99"));
        for (Map.Entry<List<String>, List<String>> bad : pretrainCases.entrySet()) {
            String[] values = bad.getKey().toArray(new String[0]);
            String[] words = bad.getValue().toArray(new String[0]);
            Cli.Result overwrite = failsWithOneLine(run(pretrainArgs(good, args(List.of("--overwrite"), values).toArray(new String[0]))),
                    words);
            assertFalse(overwrite.err().contains("imagesPerClass") || overwrite.err().contains("classesPerBatch")
                    || overwrite.err().contains("totalSteps"), overwrite.both());
            assertUntouched(before, good, overwrite);
            Cli.Result fromScratch = failsWithOneLine(run(pretrainArgs(fresh, values)), words);
            assertFalse(Files.exists(fresh), "a refused command makes no folder: a retry with the same --out works\n"
                    + fromScratch.both());
            assertNoStagingBeside(fresh);
        }
        // the finetune and distill options, named as typed
        failsWithOneLine(run("finetune", "--from", pretrain.toString(), "--head-layers", "5", "--out", good.toString(),
                "--overwrite"), "--head-layers must be in [0, 2]", "got 5");
        failsWithOneLine(run("finetune", "--from", pretrain.toString(), "--batch", "10", "--epochs", "2147483647",
                "--out", good.toString(), "--overwrite"), "--epochs 2147483647 is too many");
        failsWithOneLine(run("distill", "--teacher", finetune.toString(), "--depth", "19", "--out", good.toString(),
                "--overwrite"), "--depth must be one of", "got 19");
        failsWithOneLine(run("distill", "--teacher", finetune.toString(), "--batch", "1000", "--out", good.toString(),
                "--overwrite"), "--batch 1000 exceeds the 128 training images");
        assertUntouched(before, good, null);
        assertFalse(Files.exists(fresh));
    }

    @Test
    void anOverwriteThatFailsBeforeItsFirstCheckpointKeepsTheEarlierRun() throws Exception {
        Path good = Cli.copy(pretrain, shared.resolve("overwritten"));
        Map<String, byte[]> before = Cli.snapshot(good);
        Cli.Result failed = hooked("suncet.test.nanInputAt", "pretraining:1:2", pretrainArgs(good, "--overwrite", "--seed", "1"));
        failsWithOneLine(failed, "at epoch 1 step 2 of 4", "the run has no checkpoint yet", good + " is as it was");
        assertUntouched(before, good, failed);

        // the overwrite that succeeds replaces the whole run: nothing of the earlier one is left
        ok(run(pretrainArgs(good, "--overwrite", "--seed", "1", "--epochs", "1")));
        assertEquals("1", Cli.configuration(good).get("seed"));
        assertEquals("none", Cli.configuration(good).get("support-augmentation"), "the recipe's support, recorded");
        Cli.metrics(good, org.suncet.examples.cli.Pretrain.COLUMNS, 1);
        assertFalse(Files.exists(good.resolve(Checkpoint.PREVIOUS_FILE_NAME)), "the earlier run's files are gone");
        assertFalse(Files.exists(good.resolve("model").resolve("suncet-0002.params")));
        assertNoStagingBeside(good);

        // an empty folder the user made is kept, and emptied again by a run that fails before its checkpoint
        Path empty = Files.createDirectories(shared.resolve("made-by-the-user"));
        Cli.Result inEmpty = hooked("suncet.test.nanInputAt", "pretraining:1:1", pretrainArgs(empty));
        failsWithOneLine(inEmpty, "at epoch 1 step 1 of 4", "the run has no checkpoint yet");
        assertEquals(Map.of(), Cli.snapshot(empty), inEmpty.both());
        assertTrue(Files.isDirectory(empty));
        assertNoStagingBeside(empty);
    }

    @Test
    void aResumeThatCannotStartChangesNoFile() throws Exception {
        Random random = new Random(17);
        for (String damage : List.of("corrupt", "truncated", "foreign", "format", "configuration")) {
            Path run = Cli.copy(pretrain, shared.resolve("resume-" + damage));
            Path checkpoint = run.resolve(Checkpoint.FILE_NAME);
            List<String> extra = List.of("--resume");
            switch (damage) {
                case "corrupt" -> Cli.corrupt(checkpoint);
                case "truncated" -> {
                    byte[] bytes = Files.readAllBytes(checkpoint);
                    Files.write(checkpoint, Arrays.copyOf(bytes, bytes.length / 2));
                }
                case "foreign" -> {
                    byte[] bytes = new byte[4096];
                    random.nextBytes(bytes);
                    Files.write(checkpoint, bytes);
                }
                case "format" -> {
                    byte[] bytes = Files.readAllBytes(checkpoint);
                    ByteBuffer.wrap(bytes).putInt(8, 99); // the header's format version
                    Files.write(checkpoint, bytes);
                }
                default -> extra = List.of("--resume", "--batch", "16");
            }
            Map<String, byte[]> before = Cli.snapshot(run);
            Cli.Result result = run(pretrainArgs(run, extra.toArray(new String[0])));
            failsWithOneLine(result, damage.equals("configuration") ? "different configuration" : checkpoint.toString());
            assertUntouched(before, run, result); // run.properties included: the resume is not recorded
        }
    }

    @Test
    void aFullDiskNamesTheFileAndTheCheckpointThatResumesToTheSameEnd() throws Exception {
        Path run = shared.resolve("disk-full");
        Path checkpoint = run.resolve(Checkpoint.FILE_NAME);
        Cli.Result full = hooked(TestHooks.DISK_FULL_AT_CHECKPOINT, "2", pretrainArgs(run));
        failsWithExitOne(full, "error: could not write " + checkpoint + ": No space left on device",
                "the last complete checkpoint " + checkpoint + " (after epoch 1) is intact", "--resume");
        assertFalse(full.out().contains("done"), full.both());
        assertArrayEquals(Files.readAllBytes(pretrain.resolve(Checkpoint.PREVIOUS_FILE_NAME)), Files.readAllBytes(checkpoint),
                "the checkpoint of epoch 1, whole");
        try (var files = Files.list(run)) {
            assertEquals(List.of(), files.map(path -> path.getFileName().toString()).filter(name -> name.endsWith(".tmp")).toList());
        }

        ok(run(pretrainArgs(run, "--resume")));
        assertEquals(Files.readAllLines(pretrain.resolve("metrics.csv")), Files.readAllLines(run.resolve("metrics.csv")));
        assertArrayEquals(Files.readAllBytes(pretrain.resolve(Checkpoint.FILE_NAME)), Files.readAllBytes(checkpoint),
                "the resumed run ends as the uninterrupted one");

        // a full disk at the first checkpoint of an overwrite keeps the earlier run
        Path good = Cli.copy(pretrain, shared.resolve("disk-full-overwrite"));
        Map<String, byte[]> before = Cli.snapshot(good);
        Cli.Result first = hooked(TestHooks.DISK_FULL_AT_CHECKPOINT, "1", pretrainArgs(good, "--overwrite", "--seed", "2"));
        failsWithExitOne(first, "could not write ", Checkpoint.FILE_NAME + ": No space left on device",
                "nothing was saved", good + " is as it was");
        assertUntouched(before, good, first);
    }
}
