package org.suncet.examples.study;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The verdict's rules on made-up cells: half the rows or less for a "yes", and its caveats. */
class StudyReportTest {

    private static final double F = 0.01;
    private static final long ROWS_PER_EPOCH = 23_808;

    private static StudyRecord cell(long seed, String method, int budget, double top1, double knn) {
        long rows = budget * ROWS_PER_EPOCH;
        return new StudyRecord(seed, F, method, budget, 93, 176, 80, budget, budget * 93L, rows, budget * 10.0, 1.0,
                128_000, 100, top1, top1, 0.99, "", 180_000, knn, knn, "0.4x2000@2000");
    }

    /** Three seeds of each cell, top-1 = the given mean + (−0.001, 0, +0.001). */
    private static List<StudyRecord> cells(Map<String, double[]> means, double supervised) {
        List<StudyRecord> out = new ArrayList<>();
        int[] budgets = {4, 8, 16};
        for (long seed = 0; seed < 3; seed++) {
            double jitter = (seed - 1) * 0.001;
            out.add(cell(seed, "supervised", 0, supervised + jitter, Double.NaN));
            for (Map.Entry<String, double[]> e : means.entrySet()) {
                for (int i = 0; i < budgets.length; i++) {
                    double v = e.getValue()[i] + jitter;
                    out.add(cell(seed, e.getKey(), budgets[i], v, v));
                }
            }
        }
        return out;
    }

    private static String verdict(List<StudyRecord> records, StudyReport.Metric metric) {
        return new StudyReport(StudyConfig.full(), records, false, null).verdict(F, metric);
    }

    @Test
    void reachingSimClrsBestWithHalfItsRowsIsAYes() {
        String v = verdict(cells(Map.of("simclr", new double[] {0.60, 0.64, 0.66}, "suncet", new double[] {0.62, 0.67, 0.68}),
                0.55), StudyReport.FINE_TUNED);
        assertTrue(v.contains("yes, on the means") && v.contains("reaches it at 8 epochs") && v.contains("50 % of SimCLR's rows"), v);
        assertFalse(v.contains("smallest budget"), v);
        assertTrue(v.contains("supervised-only baseline on the same labels has 55.00 %"), v);
        assertTrue(v.contains("+11.00 ± 0.00 points"), v);
    }

    @Test
    void reachingItOnlyWithMoreThanHalfTheRowsIsANo() {
        String v = verdict(cells(Map.of("simclr", new double[] {0.60, 0.64, 0.66}, "suncet", new double[] {0.61, 0.65, 0.665}),
                0.55), StudyReport.FROZEN);
        assertTrue(v.contains("no: SuNCEt reaches SimCLR's best, but not with half its rows or less")
                && v.contains("reaches it at 16 epochs") && v.contains("100 % of SimCLR's rows"), v);
        assertFalse(v.contains("supervised-only"), "the frozen verdict has no supervised comparison: " + v);
    }

    @Test
    void simClrsBestAtTheSmallestBudgetIsSaid() {
        String v = verdict(cells(Map.of("simclr", new double[] {0.82, 0.81, 0.80}, "suncet", new double[] {0.815, 0.81, 0.80}),
                0.815), StudyReport.FINE_TUNED);
        assertTrue(v.startsWith("**Verdict (test top-1 after fine-tuning): no.**"), v);
        assertTrue(v.contains("SimCLR's best is at the smallest budget (4 epochs)"), v);
        assertTrue(v.contains("SimCLR's best minus it, paired by seed, is +0.50 ± 0.00 points"), v);
    }

    @Test
    void theAnchorLineNamesTheBestCellAndItsGapToTheCnn() {
        StudyReport report = new StudyReport(StudyConfig.full(),
                cells(Map.of("simclr", new double[] {0.82, 0.81, 0.80}, "suncet", new double[] {0.815, 0.83, 0.80}), 0.815),
                false, null);
        String a = report.anchor(F);
        assertTrue(a.contains("CPU not stated") && a.contains("82.3 % test top-1") && a.contains("The best mean here is 83.00 % (SimCLR + SuNCEt at 8 epochs)")
                && a.contains("+0.70 points, above it"), a);
        String below = new StudyReport(StudyConfig.full(),
                cells(Map.of("simclr", new double[] {0.80, 0.81, 0.80}), 0.815), false, null).anchor(F);
        assertTrue(below.contains("81.50 % (supervised only): -0.80 points, below it: no method here beats the anchor"), below);
        assertTrue(report.anchor(0.05).isEmpty(), "no anchor is known for 5 % labels");
    }

    @Test
    void aDistilledStudentFarBelowTheRestIsLeftOutOfTheFigures() {
        List<StudyRecord> records = cells(Map.of("simclr", new double[] {0.82, 0.81, 0.80}), 0.815);
        List<StudyRecord> far = new ArrayList<>(records);
        List<StudyRecord> near = new ArrayList<>(records);
        for (long seed = 0; seed < 3; seed++) {
            far.add(cell(seed, "distilled", 16, 0.64, Double.NaN)); // 16 points below SimCLR's 80 %
            near.add(cell(seed, "distilled", 16, 0.66, Double.NaN)); // 14 points below
        }
        assertFalse(new StudyReport(StudyConfig.full(), far, false, null).figureShowsDistilled(F, StudyReport.FINE_TUNED));
        assertTrue(new StudyReport(StudyConfig.full(), near, false, null).figureShowsDistilled(F, StudyReport.FINE_TUNED));
        assertFalse(new StudyReport(StudyConfig.full(), records, false, null).figureShowsDistilled(F, StudyReport.FINE_TUNED),
                "no student, nothing to show");
    }
}
