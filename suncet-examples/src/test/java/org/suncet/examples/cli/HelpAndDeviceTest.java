package org.suncet.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.suncet.examples.cli.Cli.failsWithOneLine;
import static org.suncet.examples.cli.Cli.ok;
import static org.suncet.examples.cli.Cli.run;

import ai.djl.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --help} on every subcommand (picocli), the top-level help and completion, and {@code --device}. */
class HelpAndDeviceTest {

    private static final List<String> SUBCOMMANDS =
            List.of("demo", "losses", "augment-grid", "pretrain", "finetune", "evaluate", "distill", "study", "probe");

    @Test
    void everySubcommandPrintsItsUsageForHelpAndExitsZero(@TempDir Path dir) {
        for (String name : SUBCOMMANDS) {
            for (String flag : List.of("--help", "-h")) {
                Cli.Result result = ok(run(name, flag));
                assertTrue(result.out().startsWith("Usage: suncet " + name), result.both());
                assertTrue(result.err().isEmpty(), result.both());
            }
            assertTrue(ok(run("help", name)).out().startsWith("Usage: suncet " + name));
        }
        assertTrue(ok(run("pretrain", "--help")).out().contains("Default: 100"), "the defaults are shown");
        assertTrue(Files.notExists(Path.of("--help")), "augment-grid --help writes no file");
    }

    @Test
    void topLevelHelpListsTheSubcommandsAndCompletionPrintsAScript() {
        for (String flag : List.of("--help", "-h", "help")) {
            String out = ok(run(flag)).out();
            for (String name : SUBCOMMANDS) {
                assertTrue(out.contains("  " + name + " "), name + " missing:\n" + out);
            }
        }
        assertTrue(ok(run("completion")).out().contains("complete -F"));
        assertEquals(2, run("nope").code());
        assertEquals(2, run().code());
    }

    @Test
    void aMissingValueInTheMiddleNamesTheOption(@TempDir Path dir) {
        failsWithOneLine(run("pretrain", "--out", "--epochs", "3"), "--out");
        failsWithOneLine(run("pretrain", "--epochs"), "--epochs");
        failsWithOneLine(run("pretrain", "--bogus", "1"), "--bogus");
    }

    @Test
    void deviceAcceptsCpuAndRejectsOtherFormsAndAbsentGpus(@TempDir Path dir) {
        assertEquals(Device.cpu(), DeviceOption.parse("cpu"));
        assertEquals(Device.gpu(0), DeviceOption.parseForm("gpu"));
        assertEquals(Device.gpu(3), DeviceOption.parseForm("gpu:3"));
        for (String name : List.of("demo", "pretrain", "finetune", "evaluate", "distill", "study", "probe")) {
            List<String> args = List.of("pretrain", "finetune", "distill").contains(name)
                    ? List.of(name, "--out", dir.resolve("x").toString()) : List.of(name);
            failsWithOneLine(run(Cli.args(args, "--device", "tpu")), "--device expects cpu or gpu[:N], got 'tpu'");
            failsWithOneLine(run(Cli.args(args, "--device", "gpu:x")), "got 'gpu:x'");
            if (ai.djl.engine.Engine.getInstance().getGpuCount() < 8) {
                failsWithOneLine(run(Cli.args(args, "--device", "gpu:7")), "--device gpu:7", "GPU");
            }
        }
        // --device cpu works: one tiny pre-training epoch
        ok(run("pretrain", "--device", "cpu", "--train-images", "256", "--test-images", "64", "--label-fraction", "0.25",
                "--width", "0.0625", "--batch", "32", "--epochs", "1", "--out", dir.resolve("cpu").toString()));
    }
}
