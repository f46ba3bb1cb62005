package org.suncet.examples.study;

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
import org.suncet.examples.Suncet;
import org.suncet.examples.data.DebianFashionMnist;
import org.suncet.examples.run.MetricsCsv;

/** Runs {@code suncet study --quick} and checks its own output, as the study issue asks. */
class StudyTest {

    @Test
    void theQuickStudyRunsEveryMethodAndAccountsForItsCompute(@TempDir Path folder) throws Exception {
        Path out = folder.resolve("study");
        Path report = folder.resolve("study.md");
        String printed =
                run("study", "--quick", "--data", DebianFashionMnist.DEFAULT_FOLDER.toString(), "--out", out.toString(),
                        "--report", report.toString(), "--work", folder.resolve("work").toString());
        StudyConfig config = StudyConfig.quick();
        List<StudyRecord> records = read(out);
        int seeds = config.seeds().size();
        int fractions = config.fractions().size();
        // supervised + SimCLR and SuNCEt per budget + distilled, per seed and fraction
        assertEquals(seeds * fractions * (2 + 2 * config.budgets().size()), records.size(), printed);
        for (StudyRecord r : records) {
            assertTrue(Double.isFinite(r.top1()) && r.top1() >= 0 && r.top1() <= 1, r.toString());
            assertTrue(Double.isFinite(r.top5()) && r.top5() >= r.top1(), r.toString());
            assertTrue(r.finetuneRows() > 0, r.toString());
        }
        for (String method : List.of("supervised", "simclr", "suncet", "distilled")) {
            assertTrue(records.stream().anyMatch(r -> r.method().equals(method)), method);
        }
        for (StudyRecord r : records) {
            boolean pretrained = r.method().equals("simclr") || r.method().equals("suncet");
            if (pretrained) {
                assertComputeAddsUp(r);
            }
            // frozen features are measured exactly for the pre-trained networks
            assertEquals(pretrained, r.knnTop1() >= 0 && r.knnTop1() <= 1, r.toString());
            assertEquals(pretrained, r.knnValidationTop1() >= 0 && r.knnValidationTop1() <= 1, r.toString());
            if (!r.method().equals("distilled")) {
                // the weights kept are those of the best validation point of one of the recipes tried
                java.util.regex.Matcher choice =
                        java.util.regex.Pattern.compile("(0\\.4|0\\.1)×(\\d+)@(\\d+)").matcher(r.finetuneChoice());
                assertTrue(choice.matches(), r.toString());
                int steps = Integer.parseInt(choice.group(2));
                int step = Integer.parseInt(choice.group(3));
                assertTrue(steps >= 1 && steps <= 12 && step >= 1 && step <= steps, r.toString());
                assertTrue(r.validationTop1() >= 0 && r.validationTop1() <= 1, r.toString());
            }
        }
        // SimCLR and SuNCEt forward the same rows per step while SuNCEt is on
        for (StudyRecord r : records) {
            if (r.method().equals("suncet")) {
                assertEquals(256, r.unlabeledRowsPerStep() + r.supportRowsPerStep(), r.toString());
            } else if (r.method().equals("simclr")) {
                assertEquals(256, r.unlabeledRowsPerStep(), r.toString());
            }
        }
        String markdown = Files.readString(report);
        for (double fraction : config.fractions()) {
            String tag = Math.round(100 * fraction) + "pct";
            for (String figure : List.of(
                    "accuracy-vs-rows-" + tag + ".png", "accuracy-vs-seconds-" + tag + ".png", "knn-vs-rows-" + tag + ".png")) {
                BufferedImage image = ImageIO.read(out.resolve(figure).toFile());
                assertTrue(image.getWidth() > 100 && image.getHeight() > 100, figure);
                assertTrue(markdown.contains("](study/" + figure + ")"), "the report links " + figure);
            }
        }
        assertTrue(markdown.contains("| SimCLR + SuNCEt | 2 |"), markdown);
        assertTrue(markdown.contains("**Verdict (test top-1 after fine-tuning): "), markdown);
        assertTrue(markdown.contains("**Verdict (frozen soft-kNN test top-1): "), markdown);
        assertTrue(markdown.contains("--quick"), markdown);
    }

    /** Rows forwarded equal the sum over steps of the rows each step forwarded. */
    private static void assertComputeAddsUp(StudyRecord r) {
        long expected = 0;
        for (int epoch = 0; epoch < r.budget(); epoch++) {
            long perStep = r.unlabeledRowsPerStep() + (epoch < r.supervisedEpochs() ? r.supportRowsPerStep() : 0);
            expected += r.stepsPerEpoch() * perStep;
        }
        assertEquals(expected, r.pretrainRows(), r.toString());
        assertEquals((long) r.stepsPerEpoch() * r.budget(), r.pretrainSteps(), r.toString());
    }

    @Test
    void resumeKeepsFinishedCellsAndBadOptionsFail(@TempDir Path folder) throws Exception {
        Path out = folder.resolve("study");
        String[] args = {
            "study", "--quick", "--seeds", "5", "--budgets", "1", "--fractions", "0.1", "--out", out.toString(),
            "--report", folder.resolve("study.md").toString(), "--work", folder.resolve("work").toString()
        };
        run(args);
        List<StudyRecord> first = read(out);
        assertEquals(4, first.size());
        // drop the last cell, as an interrupted run would have; --resume redoes only that one
        List<String> lines = Files.readAllLines(out.resolve("results.csv"));
        Files.write(out.resolve("results.csv"), lines.subList(0, lines.size() - 1));
        Files.writeString(out.resolve("notes.md"), "## What we tried\n\nhand-written notes\n");
        String[] resumed = java.util.Arrays.copyOf(args, args.length + 1);
        resumed[args.length] = "--resume";
        String printed = run(resumed);
        assertTrue(printed.contains("resuming with 3 finished cells"), printed);
        List<StudyRecord> second = read(out);
        assertEquals(first.subList(0, 3), second.subList(0, 3));
        assertEquals(first.get(3).method(), second.get(3).method());
        assertEquals(first.get(3).top1(), second.get(3).top1(), "same seed, same distilled student");
        assertTrue(Files.readString(folder.resolve("study.md")).endsWith("## What we tried\n\nhand-written notes\n"),
                "the report keeps the notes");
        assertEquals(2, Suncet.run(new String[] {"study", "--fractions", "1.5"}));
        assertEquals(2, Suncet.run(new String[] {"study", "--budgets", "0"}));
        assertEquals(2, Suncet.run(new String[] {"study", "--bogus"}));
        PrintStream originalErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (PrintStream stream = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setErr(stream);
            assertEquals(2, Suncet.run(new String[] {"study", "--seeds", "0,x"}));
        } finally {
            System.setErr(originalErr);
        }
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--seeds expects numbers, got '0,x'"), err.toString());
    }

    private static List<StudyRecord> read(Path out) throws Exception {
        MetricsCsv csv = MetricsCsv.resume(out.resolve("results.csv"), StudyRecord.COLUMNS, Long.MAX_VALUE);
        return csv.rows().stream().map(StudyRecord::parse).toList();
    }

    private static String run(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try (PrintStream stream = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            System.setOut(stream);
            code = Suncet.run(args);
        } finally {
            System.setOut(original);
        }
        String printed = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, printed);
        return printed;
    }
}
