package org.suncet.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoTest {

    @Test
    void aTinyDemoPrintsTheTableAndWritesItsFiles(@TempDir Path out) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try (PrintStream stream = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            System.setOut(stream);
            code =
                    Suncet.run(
                            new String[] {
                                "demo", "--validation-images", "500", "--train-images", "600",
                                "--label-fraction", "0.2", "--pretrain-epochs", "1", "--pretrain-steps", "2",
                                "--finetune-steps", "4", "--out", out.toString()
                            });
        } finally {
            System.setOut(original);
        }
        String printed = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, printed);
        for (String method : List.of("supervised only", "SimCLR", "SimCLR + SuNCEt")) {
            assertTrue(printed.contains(method), printed);
        }
        // equal pre-training compute: both contrastive rows show 2 steps x 256 rows
        assertTrue(printed.contains("SimCLR                      512"), printed);
        assertTrue(printed.contains("SimCLR + SuNCEt             512"), printed);
        assertTrue(printed.contains("600 training images (120 labeled, 20 %), 500 validation images held out"), printed);
        // 120 labeled images at batch 64: 1 step an epoch, so 4 steps are 4 epochs; per method
        // those epochs plus a validation and a test row, and one pre-training row per contrastive method
        assertTrue(printed.contains("In this run SimCLR + SuNCEt "), printed);
        assertTrue(printed.contains("frozen kNN"), printed);
        assertTrue(printed.matches("(?s).*\nsupervised only .* –\n.*"), printed);
        List<String> csv = Files.readAllLines(out.resolve("metrics.csv"));
        assertEquals(1 + (4 + 2) + 2 * (1 + 4 + 2), csv.size(), String.join("\n", csv));
        for (String plot : List.of("pretraining-loss.png", "accuracy-vs-compute.png")) {
            BufferedImage image = ImageIO.read(out.resolve(plot).toFile());
            assertTrue(image.getWidth() > 100 && image.getHeight() > 100, plot);
        }
        assertTrue(Files.exists(out.resolve("configuration.properties")));
    }

    @Test
    void theVerdictFollowsTheMeasuredTable() {
        String[] supervised = {"supervised only", "0", "128000", "83.00 %", "81.00 %", "98.00 %", "–"};
        String[] simclr = {"SimCLR", "190464", "128000", "83.00 %", "81.50 %", "98.00 %", "64.00 %"};
        String[] ahead = {"SimCLR + SuNCEt", "190464", "128000", "84.00 %", "82.25 %", "98.00 %", "69.50 %"};
        String[] behind = {"SimCLR + SuNCEt", "190464", "128000", "84.00 %", "81.25 %", "98.00 %", "63.75 %"};
        String leads = Demo.verdict(List.of(supervised, simclr, ahead));
        assertTrue(leads.startsWith(
                "In this run SimCLR + SuNCEt leads after fine-tuning (+0.75 points against SimCLR and +1.25"), leads);
        assertTrue(leads.contains("but the study (docs/study.md: 3 seeds, 4 to 16 epochs) finds that after fine-tuning"
                + " SuNCEt saves no pre-training compute, so read this lead as one seed's noise"), leads);
        assertTrue(leads.endsWith("(a quarter of the rows), it is +5.50 points from SimCLR."), leads);
        String not = Demo.verdict(List.of(supervised, simclr, behind));
        assertTrue(not.startsWith(
                "In this run SimCLR + SuNCEt does not lead after fine-tuning (-0.25 points against SimCLR and +0.25"), not);
        assertTrue(not.contains("docs/study.md"), not);
        assertTrue(not.contains("), and the study (docs/study.md"), not);
        assertTrue(not.endsWith("(a quarter of the rows), it is -0.25 points from SimCLR."), not);
    }

    @Test
    void badOptionsEndWithExitCodeTwo() {
        assertEquals(2, Suncet.run(new String[] {"demo", "--label-fraction", "1.5"}));
        assertEquals(2, Suncet.run(new String[] {"demo", "--pretrain-epochs", "x"}));
        assertEquals(2, Suncet.run(new String[] {"demo", "--validation-images", "0"}));
        assertEquals(2, Suncet.run(new String[] {"demo", "--finetune-steps", "-1"}));
        assertEquals(2, Suncet.run(new String[] {"demo", "--bogus", "1"}));
        assertEquals(2, Suncet.run(new String[] {"no-such-command"}));
    }

    @Test
    void aWrongDataFolderLeavesTheRunsInOutAndStudyResultsAsTheyWere(@TempDir Path folder) throws Exception {
        Path run = Files.createDirectories(folder.resolve("demo"));
        Files.writeString(run.resolve("metrics.csv"), "an earlier demo's metrics\n");
        Path study = Files.createDirectories(folder.resolve("study"));
        Files.writeString(study.resolve("results.csv"), "an earlier study's cells\n");
        Path missing = folder.resolve("no-such-folder");
        assertEquals(2, Suncet.run(new String[] {"demo", "--data", missing.toString(), "--out", run.toString()}));
        assertEquals(2, Suncet.run(new String[] {
            "study", "--quick", "--data", missing.toString(), "--out", study.toString(),
            "--report", folder.resolve("study.md").toString(), "--work", folder.resolve("work").toString()
        }));
        assertEquals("an earlier demo's metrics\n", Files.readString(run.resolve("metrics.csv")));
        assertEquals("an earlier study's cells\n", Files.readString(study.resolve("results.csv")));
        assertTrue(Files.notExists(folder.resolve("study.md")) && Files.notExists(folder.resolve("work")));
    }
}
