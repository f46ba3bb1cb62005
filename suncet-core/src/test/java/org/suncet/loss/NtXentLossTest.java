package org.suncet.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.suncet.loss.LossTesting.assertRelative;
import static org.suncet.loss.SupervisedLossContract.assertMessage;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;

class NtXentLossTest {

    static LossTesting.Evaluation evaluate(float tau, int views, double[][] z, DataType type) {
        NtXentLoss loss = NtXentLoss.builder().optTemperature(tau).optViewsPerImage(views).build();
        return LossTesting.evaluate(loss, null, z, type);
    }

    @Property(tries = 60)
    void matchesReferenceInFloat64WithGradient(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 32) int images,
            @ForAll @IntRange(min = 2, max = 3) int views,
            @ForAll @IntRange(min = 2, max = 32) int dim,
            @ForAll @FloatRange(min = 0.05f, max = 2f) float tau) {
        double[][] z = LossTesting.gaussian(new Random(seed), images * views, dim, 1);
        LossTesting.Evaluation result = evaluate(tau, views, z, DataType.FLOAT64);
        assertRelative(ReferenceLosses.ntXent(z, views, tau), result.value(), 1e-9, "loss");
        double[][] numeric =
                ReferenceLosses.numericGradient(x -> ReferenceLosses.ntXent(x, views, tau), z, 1e-4);
        assertRelative(numeric, result.gradient(), 1e-6, "gradient vs finite differences");
    }

    @Property(tries = 40)
    void matchesReferenceInFloat32(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 32) int images,
            @ForAll @IntRange(min = 2, max = 32) int dim,
            @ForAll @FloatRange(min = 0.05f, max = 2f) float tau) {
        double[][] z = LossTesting.gaussian(new Random(seed), 2 * images, dim, 1);
        LossTesting.Evaluation single = evaluate(tau, 2, z, DataType.FLOAT32);
        LossTesting.Evaluation exact = evaluate(tau, 2, z, DataType.FLOAT64);
        double expected = ReferenceLosses.ntXent(z, 2, tau);
        // 1e-4 relative, plus float32's rounding of s_ij ≈ 1/τ (6e-8·|s|): a loss near 0 is the
        // difference LSE − s_ip of two numbers near 1/τ (as in SupervisedLossContract)
        double tolerance = 1e-4 * Math.abs(expected) + 1e-6 / tau;
        assertTrue(
                Math.abs(single.value() - expected) <= tolerance,
                "float32 loss " + single.value() + " vs " + expected + ", tolerance " + tolerance);
        // float32 rounds s_ij to about 6e-8·|s_ij| ≤ 6e-8/τ, so the softmax weights carry that error
        assertRelative(exact.gradient(), single.gradient(), 1e-4 + 3e-6 / tau, 1e-3, "float32 gradient");
    }

    @Property(tries = 20)
    void identicalRowsGiveLogOfTheCandidateCount(
            @ForAll @IntRange(min = 1, max = 64) int images,
            @ForAll @FloatRange(min = 0.05f, max = 2f) float tau) {
        double[][] z = new double[2 * images][];
        for (int i = 0; i < z.length; i++) {
            z[i] = new double[] {0.3, -1.2, 2.0};
        }
        // every s_ij = 1/τ: each row's positive has probability 1/(2N − 1)
        double value = evaluate(tau, 2, z, DataType.FLOAT64).value();
        assertRelative(Math.log(2.0 * images - 1), value, 1e-12, "log(2N - 1)");
    }

    @Property(tries = 30)
    void imageOrderDoesNotMatter(
            @ForAll long seed, @ForAll @IntRange(min = 2, max = 24) int images) {
        Random random = new Random(seed);
        double[][] z = LossTesting.gaussian(random, 2 * images, 8, 1);
        int[] order = LossTesting.permutation(random, images);
        int[] rows = new int[2 * images];
        for (int v = 0; v < 2; v++) {
            for (int n = 0; n < images; n++) {
                rows[v * images + n] = v * images + order[n];
            }
        }
        assertRelative(
                evaluate(0.3f, 2, z, DataType.FLOAT64).value(),
                evaluate(0.3f, 2, LossTesting.permuteRows(z, rows), DataType.FLOAT64).value(),
                1e-12,
                "permuted images");
    }

    @Property(tries = 30)
    void swappingTheViewsChangesNothing(
            @ForAll long seed, @ForAll @IntRange(min = 1, max = 24) int images) {
        Random random = new Random(seed);
        double[][] z = LossTesting.gaussian(random, 2 * images, 8, 1);
        int[] swap = new int[2 * images];
        for (int n = 0; n < images; n++) {
            swap[n] = images + n;
            swap[images + n] = n;
        }
        LossTesting.Evaluation original = evaluate(0.2f, 2, z, DataType.FLOAT64);
        LossTesting.Evaluation swapped =
                evaluate(0.2f, 2, LossTesting.permuteRows(z, swap), DataType.FLOAT64);
        assertRelative(original.value(), swapped.value(), 1e-12, "swapped views");
        assertRelative(
                LossTesting.permuteRows(original.gradient(), swap),
                swapped.gradient(),
                1e-10,
                "gradients follow the rows");
    }

    @Property(tries = 30)
    void rowScaleDoesNotMatter(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 16) int images,
            @ForAll @DoubleRange(min = 0.01, max = 100) double scale) {
        Random random = new Random(seed);
        double[][] z = LossTesting.gaussian(random, 2 * images, 6, 1);
        double[][] scaled = new double[z.length][];
        for (int i = 0; i < z.length; i++) {
            double factor = scale * (1 + random.nextDouble());
            scaled[i] = z[i].clone();
            for (int d = 0; d < scaled[i].length; d++) {
                scaled[i][d] *= factor;
            }
        }
        assertRelative(
                evaluate(0.5f, 2, z, DataType.FLOAT64).value(),
                evaluate(0.5f, 2, scaled, DataType.FLOAT64).value(),
                1e-10,
                "rescaled rows");
    }

    @Property(tries = 20)
    void stableAtLowTemperatureWithHugeEmbeddingsInFloat32(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 32) int images,
            @ForAll @IntRange(min = 1, max = 32) int dim) {
        double[][] z = LossTesting.gaussian(new Random(seed), 2 * images, dim, 1e4 / 3);
        LossTesting.Evaluation result = evaluate(0.01f, 2, z, DataType.FLOAT32);
        assertTrue(Double.isFinite(result.value()), "loss " + result.value());
        assertTrue(LossTesting.allFinite(result.gradient()), "gradient has NaN or Inf");
    }

    @Example
    void finiteDifferencesOfTheLossItselfAgreeWithAutograd() {
        double[][] z = LossTesting.gaussian(new Random(5), 8, 3, 1);
        LossTesting.Evaluation result = evaluate(0.25f, 2, z, DataType.FLOAT64);
        double[][] numeric =
                ReferenceLosses.numericGradient(
                        x -> evaluate(0.25f, 2, x, DataType.FLOAT64).value(), z, 1e-4);
        assertRelative(numeric, result.gradient(), 1e-6, "autograd vs finite differences");
    }

    @Example
    void labelsAreIgnoredAndTheResultStaysOnTheInputsDtypeAndManager() {
        NtXentLoss loss = NtXentLoss.builder().build();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray z = manager.randomNormal(new Shape(6, 4));
            double none = LossTesting.scalar(loss.evaluate(null, new NDList(z)));
            double empty = LossTesting.scalar(loss.evaluate(new NDList(), new NDList(z)));
            NDList anything = new NDList(manager.create(new float[] {9, 9, 9}));
            double garbage = LossTesting.scalar(loss.evaluate(anything, new NDList(z)));
            assertEquals(none, empty);
            assertEquals(none, garbage);
            NDArray value = loss.evaluate(null, new NDList(z));
            assertEquals(DataType.FLOAT32, value.getDataType());
            assertEquals(z.getDevice(), value.getDevice());
        }
    }

    @Example
    void halfPrecisionIsComputedInFloat32AndReturnedInHalf() {
        NtXentLoss loss = NtXentLoss.builder().build();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray half = manager.randomNormal(new Shape(8, 4)).toType(DataType.FLOAT16, false);
            NDArray value = loss.evaluate(null, new NDList(half));
            assertEquals(DataType.FLOAT16, value.getDataType());
            double expected =
                    LossTesting.scalar(loss.evaluate(null, new NDList(half.toType(DataType.FLOAT32, false))));
            // the only half-precision step is the final rounding of the result
            assertRelative(expected, LossTesting.scalar(value), 1e-3, "float16 result");
        }
    }

    @Example
    void evaluatingLeavesOnlyTheResultInTheManager() {
        NtXentLoss loss = NtXentLoss.builder().build();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray z = manager.randomNormal(new Shape(8, 4));
            int before = manager.getManagedArrays().size();
            for (int step = 0; step < 50; step++) {
                loss.evaluate(null, new NDList(z)).close();
            }
            assertEquals(before, manager.getManagedArrays().size());
        }
    }

    @Example
    void badInputIsRejectedWithTheReason() {
        NtXentLoss loss = NtXentLoss.builder().optViewsPerImage(3).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            assertMessage(
                    "divisible",
                    () -> loss.evaluate(null, new NDList(manager.randomNormal(new Shape(8, 4)))));
            assertMessage(
                    "rank",
                    () -> loss.evaluate(null, new NDList(manager.randomNormal(new Shape(6)))));
            assertMessage(
                    "at least 2 rows",
                    () ->
                            NtXentLoss.builder()
                                    .build()
                                    .evaluate(null, new NDList(manager.randomNormal(new Shape(1, 4)))));
            assertMessage("predictions must hold at least one array", () -> loss.evaluate(null, new NDList()));
            NDArray z = manager.randomNormal(new Shape(6, 4));
            z.set(new ai.djl.ndarray.index.NDIndex("2, 1"), Float.NaN);
            assertMessage("finite", () -> loss.evaluate(null, new NDList(z)));
        }
        assertMessage("viewsPerImage", () -> NtXentLoss.builder().optViewsPerImage(1).build());
        assertMessage("temperature", () -> NtXentLoss.builder().optTemperature(0f).build());
        assertMessage("temperature", () -> NtXentLoss.builder().optTemperature(Float.NaN).build());
    }

    @Example
    void thePredictionIndexPicksZOutOfTheModelsOutputs() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray h = manager.randomNormal(new Shape(8, 6));
            NDArray z = manager.randomNormal(new Shape(8, 4));
            double alone = LossTesting.scalar(NtXentLoss.builder().build().evaluate(null, new NDList(z)));
            NtXentLoss last = NtXentLoss.builder().build();
            assertEquals(-1, last.getPredictionIndex());
            assertEquals(alone, LossTesting.scalar(last.evaluate(null, new NDList(h, z))), "NDList(h, z)");
            NtXentLoss first = NtXentLoss.builder().optPredictionIndex(0).build();
            assertEquals(alone, LossTesting.scalar(first.evaluate(null, new NDList(z, h))), "index 0");
            assertEquals(alone, LossTesting.scalar(first.evaluate(null, new NDList(z))), "index 0, one array");
            NtXentLoss second = NtXentLoss.builder().optPredictionIndex(1).build();
            assertEquals(alone, LossTesting.scalar(second.evaluate(null, new NDList(h, z))), "index 1");
            assertEquals(
                    alone,
                    LossTesting.scalar(second.evaluate(null, new NDList(h, z, h))),
                    "index 1 of three");
        }
    }

    @Example
    void anIndexOutsideTheListNamesTheIndexSizeAndShapes() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList outputs =
                    new NDList(manager.randomNormal(new Shape(4, 8)), manager.randomNormal(new Shape(4, 2)));
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> NtXentLoss.builder().optPredictionIndex(2).build().evaluate(null, outputs));
            assertEquals(
                    "predictionIndex 2 is outside predictions of 2 arrays: [(4, 8), (4, 2)]", e.getMessage());
            assertFalse(e.getMessage().contains("[Lai.djl"), e.getMessage());
        }
        assertMessage("predictionIndex", () -> NtXentLoss.builder().optPredictionIndex(-2).build());
    }

    @Example
    void valueChecksCanBeSwitchedOff() {
        NtXentLoss loss = NtXentLoss.builder().optCheckValues(false).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray z = manager.randomNormal(new Shape(4, 3));
            z.set(new ai.djl.ndarray.index.NDIndex("0, 0"), Float.NaN);
            assertTrue(Double.isNaN(LossTesting.scalar(loss.evaluate(null, new NDList(z)))));
        }
    }
}
