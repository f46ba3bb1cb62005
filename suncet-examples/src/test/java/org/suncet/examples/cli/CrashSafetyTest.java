package org.suncet.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.suncet.examples.cli.Cli.args;
import static org.suncet.examples.cli.Cli.ok;
import static org.suncet.examples.cli.Cli.run;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.suncet.examples.Suncet;
import org.suncet.examples.run.Checkpoint;
import org.suncet.examples.run.StagedRunFolder;
import org.suncet.examples.run.TestHooks;

/**
 * A pre-training killed with SIGKILL ({@link Process#destroyForcibly()}) at the worst moments
 * resumes to the very end an uninterrupted run of the same seed reaches (issue 17 §3): the same
 * {@code metrics.csv}, checkpoint, previous checkpoint and DJL model, byte for byte, as {@link
 * TrainingCommandsTest} asserts of a resume.
 *
 * <p>The run is a child process ({@code java} with the test class path) that the test hooks of
 * {@link TestHooks} pause at an exact point: it prints a marker line and sleeps, and the test kills
 * it once it has read that line, so nothing depends on timing. It is killed three times: in the
 * first epoch of an {@code --overwrite} of an earlier run (which stays intact), mid-epoch after its
 * first checkpoint, and inside the checkpoint write of its last epoch (the temporary file half
 * written); then resumed in this JVM. Tiny Fashion-MNIST runs (128 training images, 4 steps an
 * epoch, 2 epochs, ResNet-18 at width 1/16).
 */
class CrashSafetyTest {

    private static final int EPOCHS = 2;

    private static List<String> pretrainArgs(Path out, String... more) {
        return args(List.of("pretrain", "--train-images", "128", "--test-images", "64", "--label-fraction", "0.25",
                "--width", "0.0625", "--batch", "32", "--epochs", Integer.toString(EPOCHS), "--out", out.toString()), more);
    }

    /**
     * Starts {@code suncet ARGS} in a child JVM with the test hook {@code property=value}, waits for
     * the line {@code marker} (the child is paused there), kills it with SIGKILL and returns what it
     * printed.
     */
    private static List<String> killAt(String property, String value, String marker, List<String> args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx1g");
        for (String name : List.of("ai.djl.offline", "DJL_CACHE_DIR", "ENGINE_CACHE_DIR", "ai.djl.pytorch.num_threads",
                "ai.djl.pytorch.num_interop_threads", "ai.djl.default_engine", "org.slf4j.simpleLogger.defaultLogLevel")) {
            if (System.getProperty(name) != null) {
                command.add("-D" + name + "=" + System.getProperty(name));
            }
        }
        command.add("-D" + property + "=" + value);
        command.add("-cp");
        command.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        command.add(Suncet.class.getName());
        command.addAll(args);
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                lines.add(line);
                if (line.equals(marker)) {
                    break;
                }
            }
            if (line == null) {
                fail("the child ended without printing '" + marker + "':\n" + String.join("\n", lines));
            }
            child.destroyForcibly();
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the killed child is gone");
        } finally {
            child.destroyForcibly();
        }
        assertEquals(137, child.exitValue(), "killed by SIGKILL, not ended by itself:\n" + String.join("\n", lines));
        return lines;
    }

    private static int checkpointEpochs(Path run) throws IOException {
        return Checkpoint.readState(run.resolve(Checkpoint.FILE_NAME)).epochsCompleted();
    }

    private static List<String> hidden(Path folder) throws IOException {
        try (var entries = Files.list(folder)) {
            return entries.map(path -> path.getFileName().toString()).filter(name -> name.startsWith(".")).sorted().toList();
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // a safety net only: every wait is for a marker line
    void aRunKilledAtAnyPointResumesToTheSameEndAsAnUninterruptedOne(@TempDir Path dir) throws Exception {
        Path whole = dir.resolve("whole");
        ok(run(pretrainArgs(whole)));
        Map<String, byte[]> earlier = Cli.snapshot(whole);

        // 1. killed in the first epoch of an --overwrite: the earlier run is intact, the new one is in staging
        Path crashed = Cli.copy(whole, dir.resolve("crashed"));
        killAt(TestHooks.PAUSE_AT_STEP, "1:2", "suncet-test: paused at epoch 1 step 2", pretrainArgs(crashed, "--overwrite"));
        assertEquals(earlier.keySet(), Cli.snapshot(crashed).keySet());
        Cli.assertUnchanged(earlier, crashed, earlier.keySet().toArray(new String[0]));
        assertEquals(List.of(".crashed" + StagedRunFolder.STAGING_SUFFIX), hidden(dir));

        // 2. overwritten again, killed mid-epoch 2: the staging folder of the killed command is gone,
        //    and the new run (committed at its first checkpoint) replaced the earlier one
        List<String> second = killAt(TestHooks.PAUSE_AT_STEP, "2:2", "suncet-test: paused at epoch 2 step 2",
                pretrainArgs(crashed, "--overwrite"));
        assertTrue(second.stream().anyMatch(line -> line.startsWith("note: deleted ") && line.contains(".crashed.partial")),
                String.join("\n", second));
        assertEquals(List.of(), hidden(dir), "no staging or replaced folder left");
        assertEquals(1, checkpointEpochs(crashed));
        assertFalse(Files.exists(crashed.resolve(Checkpoint.PREVIOUS_FILE_NAME)), "the earlier run's files are gone");
        assertEquals(2, Files.readAllLines(crashed.resolve("metrics.csv")).size(), "the header and epoch 1");

        // 3. resumed, killed inside the checkpoint write of the last epoch: the checkpoint before it is intact
        List<String> third = killAt(TestHooks.PAUSE_IN_CHECKPOINT_WRITE, Integer.toString(EPOCHS),
                "suncet-test: paused in checkpoint write after epoch " + EPOCHS, pretrainArgs(crashed, "--resume"));
        assertTrue(third.stream().anyMatch(line -> line.contains("resuming " + crashed + " after epoch 1")), String.join("\n", third));
        assertEquals(EPOCHS - 1, checkpointEpochs(crashed));
        assertTrue(hidden(crashed).stream().anyMatch(name -> name.startsWith("." + Checkpoint.FILE_NAME + ".")),
                "killed with the new checkpoint half written: " + hidden(crashed));
        assertEquals(EPOCHS + 1, Files.readAllLines(crashed.resolve("metrics.csv")).size(), "the last epoch's row, unsaved");

        // 4. resumed to the end: the same files as the uninterrupted run
        ok(run(pretrainArgs(crashed, "--resume")));
        assertEquals(Files.readAllLines(whole.resolve("metrics.csv")), Files.readAllLines(crashed.resolve("metrics.csv")));
        for (String file : List.of(Checkpoint.FILE_NAME, Checkpoint.PREVIOUS_FILE_NAME, "labeled-indices.txt",
                "configuration.properties", "model/serving.properties", "model/suncet-000" + EPOCHS + ".params")) {
            assertArrayEquals(Files.readAllBytes(whole.resolve(file)), Files.readAllBytes(crashed.resolve(file)), file);
        }
        assertEquals(List.of(), hidden(crashed), "the half-written checkpoint's temporary file is gone");
        assertEquals(List.of(), hidden(dir));
    }
}
