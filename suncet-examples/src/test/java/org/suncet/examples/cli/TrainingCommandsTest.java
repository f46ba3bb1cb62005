package org.suncet.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.suncet.examples.Suncet;
import org.suncet.examples.run.Checkpoint;

class TrainingCommandsTest {

    private static List<String> tiny(Path out, int epochs, String... more) {
        List<String> args = new ArrayList<>(List.of(
                "pretrain", "--train-images", "256", "--test-images", "64", "--label-fraction", "0.25",
                "--width", "0.0625", "--batch", "32", "--epochs", Integer.toString(epochs),
                "--out", out.toString()));
        args.addAll(List.of(more));
        return args;
    }

    private static int run(List<String> args) {
        return Suncet.run(args.toArray(new String[0]));
    }

    @Test
    void aResumedPretrainingEndsWithTheSameMetricsAndCheckpoint(@TempDir Path dir) throws Exception {
        Path whole = dir.resolve("whole");
        Path resumed = dir.resolve("resumed");
        assertEquals(0, run(tiny(whole, 2)));
        // an interrupted run: the first epoch of the same 2-epoch run, then --resume
        assertEquals(0, run(tiny(resumed, 2)));
        List<String> csv = Files.readAllLines(whole.resolve("metrics.csv"));
        assertEquals(3, csv.size(), String.join("\n", csv));
        for (String file : List.of("configuration.properties", "run.properties", "metrics.csv", "loss.png",
                Checkpoint.FILE_NAME, "labeled-indices.txt")) {
            assertTrue(Files.exists(whole.resolve(file)), file);
        }
        // interrupt it after epoch 1: its checkpoint of epoch 1 is the last good one
        Files.copy(resumed.resolve(Checkpoint.PREVIOUS_FILE_NAME), resumed.resolve(Checkpoint.FILE_NAME),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertEquals(0, run(tiny(resumed, 2, "--resume")));
        assertEquals(csv, Files.readAllLines(resumed.resolve("metrics.csv")));
        assertArrayEquals(Files.readAllBytes(whole.resolve(Checkpoint.FILE_NAME)),
                Files.readAllBytes(resumed.resolve(Checkpoint.FILE_NAME)), "final parameters, momentum and state");
        for (String file : List.of("serving.properties", "suncet-0002.params")) {
            assertArrayEquals(Files.readAllBytes(whole.resolve("model").resolve(file)),
                    Files.readAllBytes(resumed.resolve("model").resolve(file)), "the DJL model folder's " + file);
        }
    }

    @Test
    void badInputEndsWithExitCodeTwoAndLeavesTheCheckpoint(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        assertEquals(2, run(tiny(out, 1, "--data", "mnist-ish")));
        assertEquals(2, run(tiny(out, 1, "--label-fraction", "1.5")));
        assertEquals(2, run(tiny(out, 1, "--label-fraction", "0")));
        assertEquals(2, run(tiny(out, 1, "--classes-per-step", "11")));
        assertEquals(2, run(tiny(out, 1, "--data", "image-folder", dir.resolve("missing").toString())));
        assertEquals(2, run(tiny(out, 1, "--data-dir", dir.resolve("missing").toString())));
        assertEquals(2, run(List.of("finetune", "--from", dir.resolve("missing").toString(), "--out", out.toString())));
        assertTrue(!Files.exists(out.resolve(Checkpoint.FILE_NAME)));
    }

    @Test
    void suncetListsTheTrainingSubcommands() {
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream original = System.err;
        System.setErr(new java.io.PrintStream(err, true));
        try {
            assertEquals(2, Suncet.run(new String[] {"nope"}));
        } finally {
            System.setErr(original);
        }
        for (String command : List.of("pretrain", "finetune", "evaluate", "distill")) {
            assertTrue(err.toString().contains(command), err.toString());
        }
    }
}
