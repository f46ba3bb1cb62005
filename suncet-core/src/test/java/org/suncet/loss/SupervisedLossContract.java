package org.suncet.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.suncet.loss.LossTesting.assertRelative;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.loss.Loss;
import java.util.Random;
import net.jqwik.api.Assume;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;

/**
 * What every labeled contrastive loss (SuNCEt, SupCon, NCA) must satisfy, checked against the
 * double-loop {@link ReferenceLosses}. Subclasses name the loss and its reference.
 */
abstract class SupervisedLossContract {

    abstract Loss newLoss(float temperature);

    /** The loss at τ = 0.1 reading the predictions list at {@code predictionIndex}. */
    abstract Loss newLossReading(int predictionIndex);

    abstract double reference(double[][] z, long[] y, double temperature);

    /** The reference similarity matrix s (already divided by τ). */
    abstract double[][] similarity(double[][] z, double temperature);

    /**
     * The float32 tolerance: 1e-4 relative, plus the rounding of the similarities themselves
     * (float32 holds s_ij to about 6e-8·|s_ij|; NCA's s reaches thousands at small τ, so a loss
     * near 0 is a difference of two large log-sum-exps).
     */
    double float32Tolerance(double[][] z, double temperature, double expected) {
        return 1e-4 * Math.abs(expected) + 1e-6 * largestSimilarity(z, temperature);
    }

    double largestSimilarity(double[][] z, double temperature) {
        double largest = 0;
        for (double[] row : similarity(z, temperature)) {
            for (double v : row) {
                largest = Math.max(largest, Math.abs(v));
            }
        }
        return largest;
    }

    /** Whether the loss normalises z (cosine similarity), so that rescaling rows changes nothing. */
    abstract boolean cosine();

    static NDList labels(NDManager manager, long[] y) {
        return new NDList(manager.create(y));
    }

    LossTesting.Evaluation evaluate(float tau, long[] y, double[][] z, DataType type) {
        Loss loss = newLoss(tau);
        try (NDManager manager = NDManager.newBaseManager()) {
            return LossTesting.evaluate(loss, labels(manager, y), z, type);
        }
    }

    @Property(tries = 60)
    void matchesReferenceInFloat64WithGradient(
            @ForAll long seed,
            @ForAll @IntRange(min = 2, max = 64) int rows,
            @ForAll @IntRange(min = 2, max = 32) int dim,
            @ForAll @IntRange(min = 1, max = 12) int classes,
            @ForAll @FloatRange(min = 0.05f, max = 2f) float tau) {
        Random random = new Random(seed);
        double[][] z = LossTesting.gaussian(random, rows, dim, 1);
        long[] y = LossTesting.labels(random, rows, classes);
        Assume.that(LossTesting.hasPositive(y));
        LossTesting.Evaluation result = evaluate(tau, y, z, DataType.FLOAT64);
        assertRelative(reference(z, y, tau), result.value(), 1e-9, "loss");
        double[][] numeric =
                ReferenceLosses.numericGradient(x -> reference(x, y, tau), z, 1e-4);
        // the finite differences of a loss near 0 carry the rounding of its log-sum-exps, about
        // 1e-16·max|s| / h per entry, up to √(M·D) ≈ 45 times that in the norm: an absolute floor
        // of 1e-5·max|s| (NCA, 5 × 26, τ = 0.09: a loss of 1e-12 whose differences are off by
        // 1e-9 against max|s| = 600, in the autograd path as in the fused one); the step of a
        // short row is h·‖row‖, which divides that rounding by ‖row‖ (SupCon failed at 1.02e-6)
        // Plus the reference's own error, estimated by halving the step: the 5-point stencil's
        // truncation error falls 16-fold and its rounding doubles, so 4·‖FD(h) − FD(h/2)‖ bounds
        // what FD(h) can be off by (SupCon, 56 rows of 31 dimensions, 1 class, τ = 1.86: a small
        // gradient the fixed floor missed by 2 %, 1.02e-6 against 1e-6)
        double[][] halved = ReferenceLosses.numericGradient(x -> reference(x, y, tau), z, 5e-5);
        double selfError = 4 * LossTesting.differenceNorm(halved, numeric);
        double floor = 1e-7 + 1e-5 * largestSimilarity(z, tau) / ReferenceLosses.smallestStepScale(z);
        assertRelative(
                numeric, result.gradient(), 1e-6, floor + selfError / 1e-6,
                "gradient vs finite differences");
    }

    @Property(tries = 40)
    void matchesReferenceInFloat32(
            @ForAll long seed,
            @ForAll @IntRange(min = 2, max = 64) int rows,
            @ForAll @IntRange(min = 2, max = 32) int dim,
            @ForAll @IntRange(min = 1, max = 12) int classes,
            @ForAll @FloatRange(min = 0.05f, max = 2f) float tau) {
        Random random = new Random(seed);
        double[][] z = LossTesting.gaussian(random, rows, dim, 1);
        long[] y = LossTesting.labels(random, rows, classes);
        Assume.that(LossTesting.hasPositive(y));
        LossTesting.Evaluation single = evaluate(tau, y, z, DataType.FLOAT32);
        LossTesting.Evaluation exact = evaluate(tau, y, z, DataType.FLOAT64);
        double expected = reference(z, y, tau);
        double tolerance = float32Tolerance(z, tau, expected);
        assertTrue(
                Math.abs(single.value() - expected) <= tolerance,
                "float32 loss " + single.value() + " vs " + expected + ", tolerance " + tolerance);
        // float32 rounds each s_ij by about u·|s_ij| (u = 2^-24), which moves every softmax weight
        // by about u·max|s| of itself; the weights of a row sum to at most 2 (row and column
        // terms), so the gradient of row i moves by about u·(1 + max|s|)·slope_i / N, where
        // slope_i = max_j ‖∂s_ij/∂z_i‖: an absolute bound that holds where the gradient vanishes
        // (2 rows of one class: exactly 0 in float64). Over 8000 cases per loss, a third of them
        // at the edges of the ranges (2 or 64 rows, τ = 0.05 or 2, 1 class), the error reached
        // 1.33 of 1e-5·‖g‖ + u·(1 + max|s|)·‖slope‖/N (SupCon, 2 rows; SuNCEt and NCA 0.16):
        // the factor 4 is that worst case with a margin of 3 (AMD EPYC, 2026-12-06)
        double bound =
                1e-5 * LossTesting.norm(exact.gradient())
                        + 4 * 0x1p-24 * (1 + largestSimilarity(z, tau)) * gradientScale(z, tau);
        double error = LossTesting.differenceNorm(single.gradient(), exact.gradient());
        assertTrue(
                error <= bound,
                "float32 gradient off by " + error + " > " + bound + " (‖g‖ = "
                        + LossTesting.norm(exact.gradient()) + ")");
    }

    /**
     * ‖slope‖ / N, with slope_i = max_j ‖∂s_ij/∂z_i‖: 1/(τ‖z_i‖) for cosine similarity,
     * 2·max_j ‖z_i − z_j‖/τ for the negative squared distance.
     */
    double gradientScale(double[][] z, double tau) {
        double sum = 0;
        for (double[] row : z) {
            double slope = 0;
            if (cosine()) {
                slope = 1 / (tau * Math.sqrt(dot(row, row)));
            } else {
                for (double[] other : z) {
                    double[] gap = new double[row.length];
                    for (int d = 0; d < row.length; d++) {
                        gap[d] = row[d] - other[d];
                    }
                    slope = Math.max(slope, 2 * Math.sqrt(dot(gap, gap)) / tau);
                }
            }
            sum += slope * slope;
        }
        return Math.sqrt(sum) / z.length;
    }

    private static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int d = 0; d < a.length; d++) {
            sum += a[d] * b[d];
        }
        return sum;
    }

    @Property(tries = 30)
    void batchOrderDoesNotMatter(
            @ForAll long seed,
            @ForAll @IntRange(min = 2, max = 48) int rows,
            @ForAll @IntRange(min = 1, max = 6) int classes) {
        Random random = new Random(seed);
        double[][] z = LossTesting.gaussian(random, rows, 8, 1);
        long[] y = LossTesting.labels(random, rows, classes);
        Assume.that(LossTesting.hasPositive(y));
        int[] order = LossTesting.permutation(random, rows);
        long[] permutedLabels = new long[rows];
        for (int i = 0; i < rows; i++) {
            permutedLabels[i] = y[order[i]];
        }
        double original = evaluate(0.3f, y, z, DataType.FLOAT64).value();
        double permuted =
                evaluate(0.3f, permutedLabels, LossTesting.permuteRows(z, order), DataType.FLOAT64)
                        .value();
        // a loss near 0 is a difference of log-sum-exps as large as the similarities (NCA's reach
        // 10² here), each rounded to about 2^-52 of its size, and the permutation reorders their
        // sums: an absolute floor of 1e-15 per unit of the largest similarity and per row (NCA: a
        // loss of 2.3e-5 moved by 3.6e-16 when permuted, where the old bound allowed 1e-16)
        double floor = 1e-15 * (largestSimilarity(z, 0.3f) + rows);
        double difference = Math.abs(permuted - original);
        assertTrue(
                difference <= 1e-12 * Math.max(Math.abs(original), 1e-4) + floor,
                "permuted batch: expected " + original + ", got " + permuted + " (difference " + difference
                        + ", floor " + floor + ")");
    }

    @Property(tries = 30)
    void classIdsAreOnlyNames(@ForAll long seed, @ForAll @IntRange(min = 2, max = 32) int rows) {
        Random random = new Random(seed);
        double[][] z = LossTesting.gaussian(random, rows, 5, 1);
        long[] y = LossTesting.labels(random, rows, 4);
        Assume.that(LossTesting.hasPositive(y));
        long[] renamed = new long[rows];
        for (int i = 0; i < rows; i++) {
            renamed[i] = 1000 + 7 * (3 - y[i]);
        }
        assertRelative(
                evaluate(0.5f, y, z, DataType.FLOAT64).value(),
                evaluate(0.5f, renamed, z, DataType.FLOAT64).value(),
                1e-12,
                "renamed classes");
    }

    /**
     * Cosine losses: rescaling each row by its own positive factor changes nothing. NCA: shifting
     * every row by the same vector changes nothing (distances are kept).
     */
    @Property(tries = 30)
    void invariantToWhatTheSimilarityIgnores(
            @ForAll long seed,
            @ForAll @IntRange(min = 2, max = 32) int rows,
            @ForAll @DoubleRange(min = 0.01, max = 100) double scale) {
        Random random = new Random(seed);
        double[][] z = LossTesting.gaussian(random, rows, 6, 1);
        long[] y = LossTesting.labels(random, rows, 3);
        Assume.that(LossTesting.hasPositive(y));
        double[][] moved = new double[rows][];
        double[] shift = LossTesting.gaussian(random, 1, 6, scale)[0];
        for (int i = 0; i < rows; i++) {
            double rowScale = scale * (1 + random.nextDouble());
            moved[i] = z[i].clone();
            for (int d = 0; d < moved[i].length; d++) {
                moved[i][d] = cosine() ? moved[i][d] * rowScale : moved[i][d] + shift[d];
            }
        }
        double original = evaluate(0.2f, y, z, DataType.FLOAT64).value();
        double changed = evaluate(0.2f, y, moved, DataType.FLOAT64).value();
        // 1e-9 relative, plus 1e-14 absolute: a loss near 0 is log Σ_A − log Σ_P of two sums near
        // 1, each good to a few ulps of 1 (a loss of 5e-7 moved by 2.4e-15, in either path)
        assertTrue(
                Math.abs(changed - original) <= 1e-9 * Math.abs(original) + 1e-14,
                (cosine() ? "rescaled rows: " : "shifted rows: ") + original + " vs " + changed);
    }

    @Property(tries = 20)
    void stableAtLowTemperatureWithHugeEmbeddingsInFloat32(
            @ForAll long seed,
            @ForAll @IntRange(min = 2, max = 64) int rows,
            @ForAll @IntRange(min = 1, max = 32) int dim) {
        Random random = new Random(seed);
        double[][] z = LossTesting.gaussian(random, rows, dim, 1e4 / 3);
        long[] y = LossTesting.labels(random, rows, 3);
        Assume.that(LossTesting.hasPositive(y));
        LossTesting.Evaluation result = evaluate(0.01f, y, z, DataType.FLOAT32);
        assertTrue(Double.isFinite(result.value()), "loss " + result.value());
        assertTrue(LossTesting.allFinite(result.gradient()), "gradient has NaN or Inf");
    }

    @Example
    void finiteDifferencesOfTheLossItselfAgreeWithAutograd() {
        Random random = new Random(7);
        double[][] z = LossTesting.gaussian(random, 10, 4, 1);
        long[] y = {0, 1, 2, 0, 1, 2, 0, 1, 3, 3};
        LossTesting.Evaluation result = evaluate(0.4f, y, z, DataType.FLOAT64);
        double[][] numeric =
                ReferenceLosses.numericGradient(
                        x -> evaluate(0.4f, y, x, DataType.FLOAT64).value(), z, 1e-4);
        assertRelative(numeric, result.gradient(), 1e-6, "autograd vs finite differences");
    }

    @Example
    void oneDimensionalEmbeddingsMatchTheReference() {
        double[][] z = {{0.5}, {-2}, {1.5}, {3}, {-0.1}};
        long[] y = {0, 0, 1, 1, 0};
        assertRelative(
                reference(z, y, 0.3f),
                evaluate(0.3f, y, z, DataType.FLOAT64).value(),
                1e-12,
                "D = 1");
    }

    @Example
    void rowsWithoutPositiveAreLeftOut() {
        Random random = new Random(3);
        double[][] z = LossTesting.gaussian(random, 5, 3, 1);
        long[] y = {0, 0, 1, 2, 3};
        double[][] pair = {z[0], z[1]};
        // rows 2..4 have no positive but still act as negatives
        double all = evaluate(0.5f, y, z, DataType.FLOAT64).value();
        assertRelative(reference(z, y, 0.5), all, 1e-12, "with singletons");
        assertTrue(Math.abs(all - evaluate(0.5f, new long[] {0, 0}, pair, DataType.FLOAT64).value()) > 1e-6,
                "singletons must enter the denominators");
    }

    @Example
    void acceptsIntegerAndIntegralFloatLabelsAndColumnShape() {
        Random random = new Random(11);
        double[][] z = LossTesting.gaussian(random, 6, 4, 1);
        long[] y = {0, 1, 2, 0, 1, 2};
        double expected = reference(z, y, 0.1f);
        Loss loss = newLoss(0.1f);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray predictions = LossTesting.matrix(manager, z, DataType.FLOAT64);
            NDArray asLong = manager.create(y);
            for (NDArray labels :
                    new NDArray[] {
                        asLong,
                        asLong.toType(DataType.INT32, false),
                        asLong.toType(DataType.FLOAT32, false),
                        asLong.toType(DataType.FLOAT64, false),
                        asLong.reshape(6, 1)
                    }) {
                NDArray value = loss.evaluate(new NDList(labels), new NDList(predictions));
                assertRelative(expected, LossTesting.scalar(value), 1e-12, "labels " + labels);
                assertEquals(predictions.getDevice(), value.getDevice());
            }
        }
    }

    @Example
    void evaluatingLeavesOnlyTheResultInTheManagers() {
        Loss loss = newLoss(0.2f);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray z = manager.randomNormal(new Shape(6, 3));
            NDList column = new NDList(manager.create(new long[] {0, 1, 2, 0, 1, 2}).reshape(6, 1));
            int before = manager.getManagedArrays().size();
            for (int step = 0; step < 20; step++) {
                loss.evaluate(column, new NDList(z)).close();
            }
            assertEquals(before, manager.getManagedArrays().size());
        }
    }

    @Example
    void badInputIsRejectedWithTheReason() {
        Loss loss = newLoss(0.1f);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray z = manager.randomNormal(new Shape(4, 3));
            NDList y = new NDList(manager.create(new long[] {0, 0, 1, 1}));
            assertMessage(
                    "rank",
                    () -> loss.evaluate(y, new NDList(manager.randomNormal(new Shape(4)))));
            assertMessage(
                    "rank",
                    () -> loss.evaluate(y, new NDList(manager.randomNormal(new Shape(4, 3, 1)))));
            assertMessage(
                    "at least 2 rows",
                    () ->
                            loss.evaluate(
                                    new NDList(manager.create(new long[] {0})),
                                    new NDList(manager.randomNormal(new Shape(1, 3)))));
            assertMessage(
                    "at least 2 rows",
                    () ->
                            loss.evaluate(
                                    new NDList(manager.zeros(new Shape(0), DataType.INT64)),
                                    new NDList(manager.zeros(new Shape(0, 3)))));
            assertMessage(
                    "same number of rows",
                    () -> loss.evaluate(new NDList(manager.create(new long[] {0, 0, 1})), new NDList(z)));
            assertMessage(
                    "non-negative",
                    () -> loss.evaluate(new NDList(manager.create(new long[] {0, 0, -1, 1})), new NDList(z)));
            assertMessage(
                    "integral",
                    () ->
                            loss.evaluate(
                                    new NDList(manager.create(new float[] {0, 0, 1.5f, 1})),
                                    new NDList(z)));
            assertMessage(
                    "no row has a positive",
                    () -> loss.evaluate(new NDList(manager.create(new long[] {0, 1, 2, 3})), new NDList(z)));
            NDArray withNan = z.duplicate();
            withNan.set(new ai.djl.ndarray.index.NDIndex("1, 2"), Float.NaN);
            assertMessage("finite", () -> loss.evaluate(y, new NDList(withNan)));
            NDArray withInf = z.duplicate();
            withInf.set(new ai.djl.ndarray.index.NDIndex("0, 0"), Float.POSITIVE_INFINITY);
            assertMessage("finite", () -> loss.evaluate(y, new NDList(withInf)));
            assertMessage("labels must hold one array", () -> loss.evaluate(new NDList(), new NDList(z)));
            IllegalArgumentException twoLabels =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> loss.evaluate(new NDList(y.head(), y.head()), new NDList(z)));
            assertEquals("labels must hold one array, got 2: [(4), (4)]", twoLabels.getMessage());
            assertMessage("predictions must hold at least one array", () -> loss.evaluate(y, new NDList()));
            assertMessage("dtype", () -> loss.evaluate(new NDList(manager.create(new boolean[] {true, true, false, false})), new NDList(z)));
        }
        for (float tau : new float[] {0f, -0.1f, Float.NaN, Float.POSITIVE_INFINITY}) {
            assertMessage("temperature", () -> newLoss(tau));
        }
    }

    @Example
    void thePredictionIndexPicksZOutOfTheModelsOutputs() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList y = new NDList(manager.create(new long[] {0, 0, 1, 1, 2, 2}));
            NDArray h = manager.randomNormal(new Shape(6, 5));
            NDArray z = manager.randomNormal(new Shape(6, 3));
            double alone = LossTesting.scalar(newLoss(0.1f).evaluate(y, new NDList(z)));
            assertEquals(alone, LossTesting.scalar(newLoss(0.1f).evaluate(y, new NDList(h, z))), "default: last");
            assertEquals(alone, LossTesting.scalar(newLossReading(-1).evaluate(y, new NDList(h, z))), "index -1");
            assertEquals(alone, LossTesting.scalar(newLossReading(0).evaluate(y, new NDList(z, h))), "index 0");
            assertEquals(alone, LossTesting.scalar(newLossReading(1).evaluate(y, new NDList(h, z, h))), "index 1");
            assertEquals(alone, LossTesting.scalar(newLossReading(0).evaluate(y, new NDList(z))), "one array");
            assertEquals(1, ((AbstractContrastiveLoss) newLossReading(1)).getPredictionIndex());
        }
    }

    @Example
    void anIndexOutsideTheListNamesTheIndexSizeAndShapes() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList y = new NDList(manager.create(new long[] {0, 0, 1, 1}));
            NDList outputs =
                    new NDList(manager.randomNormal(new Shape(4, 8)), manager.randomNormal(new Shape(4, 3)));
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> newLossReading(5).evaluate(y, outputs));
            assertEquals(
                    "predictionIndex 5 is outside predictions of 2 arrays: [(4, 8), (4, 3)]", e.getMessage());
            assertMessage(
                    "predictionIndex 1 is outside predictions of 1 array: [(4, 8)]",
                    () -> newLossReading(1).evaluate(y, new NDList(outputs.head())));
        }
        assertMessage("predictionIndex must be >= 0, or -1", () -> newLossReading(-2));
    }

    static void assertMessage(String expectedPart, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(
                e.getMessage().contains(expectedPart),
                "message '" + e.getMessage() + "' should mention '" + expectedPart + "'");
    }
}
