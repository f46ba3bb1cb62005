package org.suncet.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.suncet.loss.LossTesting.assertRelative;
import static org.suncet.loss.SupervisedLossContract.assertMessage;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Random;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;

class DistillationLossTest {

    static LossTesting.Evaluation evaluate(
            float temperature, boolean squared, double[][] teacher, double[][] student, DataType type) {
        DistillationLoss loss =
                DistillationLoss.builder()
                        .optTemperature(temperature)
                        .optScaleByTemperatureSquared(squared)
                        .build();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList labels = new NDList(LossTesting.matrix(manager, teacher, type));
            return LossTesting.evaluate(loss, labels, student, type);
        }
    }

    @Property(tries = 60)
    void matchesReferenceInFloat64WithGradient(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 64) int batch,
            @ForAll @IntRange(min = 1, max = 32) int classes,
            @ForAll @FloatRange(min = 0.05f, max = 4f) float temperature,
            @ForAll boolean squared) {
        Random random = new Random(seed);
        double[][] teacher = LossTesting.gaussian(random, batch, classes, 3);
        double[][] student = LossTesting.gaussian(random, batch, classes, 3);
        LossTesting.Evaluation result =
                evaluate(temperature, squared, teacher, student, DataType.FLOAT64);
        double expected = ReferenceLosses.distillation(teacher, student, temperature, squared);
        // a near one-hot teacher and student give losses near 0, where log_softmax rounds log(1 + 1e-10): allow 1e-15 absolute
        assertTrue(
                Math.abs(result.value() - expected) <= 1e-9 * Math.abs(expected) + 1e-15,
                "loss " + result.value() + " vs " + expected);
        double[][] numeric =
                ReferenceLosses.numericGradient(
                        x -> ReferenceLosses.distillation(teacher, x, temperature, squared),
                        student,
                        1e-4);
        // The finite differences carry an absolute rounding error: each evaluation rounds terms of
        // size max|x/T| to 2⁻⁵² relative, and the 5-point stencil divides their difference by 12h
        // with weights summing to 18 (about 3·2⁻⁵²·max|x/T| / h). Near agreement of student and
        // teacher the gradient itself is small, so a relative bound alone failed (2.1e-6 for 1
        // row of 2 classes at T = 0.05); the absolute part is that rounding times 8, times
        // √(batch·classes) because the comparison is in the Frobenius norm.
        double scaled = (maxAbs(teacher) + maxAbs(student)) / temperature + 1;
        double rounding = 8 * 3 * 0x1p-52 * scaled / 1e-4 * Math.sqrt(batch * classes);
        assertRelative(numeric, result.gradient(), 1e-6, rounding / 1e-6, "gradient vs finite differences");
    }

    @Property(tries = 30)
    void matchesReferenceInFloat32(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 64) int batch,
            @ForAll @IntRange(min = 2, max = 32) int classes,
            @ForAll @FloatRange(min = 0.05f, max = 4f) float temperature) {
        Random random = new Random(seed);
        double[][] teacher = LossTesting.gaussian(random, batch, classes, 3);
        double[][] student = LossTesting.gaussian(random, batch, classes, 3);
        LossTesting.Evaluation single = evaluate(temperature, false, teacher, student, DataType.FLOAT32);
        LossTesting.Evaluation exact = evaluate(temperature, false, teacher, student, DataType.FLOAT64);
        // float32 rounds each scaled logit x/T to within 2⁻²⁴·|x/T|, and log-softmax inherits that
        // absolute error (log p = x/T − LSE, both of size max|x/T|); the loss weights the log
        // probabilities by a distribution, so its absolute error is a few 2⁻²⁴·max|x/T|. A relative
        // bound alone fails near 0: a loss of 1.7e-8 (both softmaxes nearly one-hot at T = 0.05)
        // came out as 1.5e-9, because 1 + 1.7e-8 rounds to 1 in float32.
        double scaled = (maxAbs(teacher) + maxAbs(student)) / temperature + 1;
        double tolerance = 1e-4 * Math.abs(exact.value()) + 8 * 0x1p-24 * scaled;
        assertTrue(
                Math.abs(single.value() - exact.value()) <= tolerance,
                "float32 loss " + single.value() + " vs " + exact.value() + ", tolerance " + tolerance);
        // The gradient (softmax(s/T) − softmax(t/T)) / T inherits the rounding of the scaled logits
        // through the softmax's slope p(1 − p) ≤ 1/4, then the 1/T: an absolute error of a few
        // 2⁻²⁴·max|x/T| / T per element. Near agreement (1 row of 2 classes at T = 0.05) the
        // gradient itself is small, and a relative bound with a fixed floor failed (2.9e-4);
        // the absolute part is that rounding times 4, in the Frobenius norm.
        double gradientRounding =
                4 * 0x1p-24 * scaled / temperature * Math.sqrt(teacher.length * teacher[0].length);
        assertRelative(exact.gradient(), single.gradient(), 1e-4, gradientRounding / 1e-4,
                "float32 gradient");
    }

    private static double maxAbs(double[][] values) {
        double max = 0;
        for (double[] row : values) {
            for (double value : row) {
                max = Math.max(max, Math.abs(value));
            }
        }
        return max;
    }

    @Property(tries = 20)
    void theStudentCopyingTheTeacherMinimisesTheLoss(
            @ForAll long seed, @ForAll @IntRange(min = 1, max = 16) int batch) {
        Random random = new Random(seed);
        double[][] teacher = LossTesting.gaussian(random, batch, 5, 2);
        LossTesting.Evaluation same = evaluate(1f, false, teacher, teacher, DataType.FLOAT64);
        // at u = t the gradient softmax(u) − softmax(t) vanishes; any other student scores higher
        for (double[] row : same.gradient()) {
            for (double g : row) {
                assertTrue(Math.abs(g) < 1e-12, "gradient at the optimum must vanish, got " + g);
            }
        }
        double[][] other = LossTesting.gaussian(random, batch, 5, 2);
        assertTrue(evaluate(1f, false, teacher, other, DataType.FLOAT64).value() > same.value());
    }

    @Example
    void noGradientReachesTheTeacher() {
        DistillationLoss loss = DistillationLoss.builder().optTemperature(2f).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray teacher = manager.randomNormal(new Shape(4, 3));
            NDArray student = manager.randomNormal(new Shape(4, 3));
            teacher.setRequiresGradient(true);
            student.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.backward(loss.evaluate(new NDList(teacher), new NDList(student)));
            }
            assertEquals(0f, teacher.getGradient().abs().sum().getFloat());
            assertTrue(student.getGradient().abs().sum().getFloat() > 0);
        }
    }

    @Example
    void badInputIsRejectedWithTheReason() {
        DistillationLoss loss = DistillationLoss.builder().build();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray student = manager.randomNormal(new Shape(4, 3));
            assertMessage(
                    "teacher logits must have the student's shape",
                    () ->
                            loss.evaluate(
                                    new NDList(manager.randomNormal(new Shape(4, 5))),
                                    new NDList(student)));
            assertMessage(
                    "[B, C]",
                    () ->
                            loss.evaluate(
                                    new NDList(manager.randomNormal(new Shape(4))),
                                    new NDList(manager.randomNormal(new Shape(4)))));
            assertMessage(
                    "[B, C]",
                    () ->
                            loss.evaluate(
                                    new NDList(manager.zeros(new Shape(0, 3))),
                                    new NDList(manager.zeros(new Shape(0, 3)))));
            NDArray teacher = manager.randomNormal(new Shape(4, 3));
            teacher.set(new ai.djl.ndarray.index.NDIndex("1, 1"), Float.POSITIVE_INFINITY);
            assertMessage("teacher logits must be finite", () -> loss.evaluate(new NDList(teacher), new NDList(student)));
        }
        assertMessage("temperature", () -> DistillationLoss.builder().optTemperature(-1f).build());
        assertMessage("predictionIndex", () -> DistillationLoss.builder().optPredictionIndex(-2).build());
    }

    @Example
    void thePredictionIndexPicksTheStudentsLogitsAndAWrongListNamesItsShapes() {
        DistillationLoss last = DistillationLoss.builder().optTemperature(2f).build();
        DistillationLoss first = DistillationLoss.builder().optTemperature(2f).optPredictionIndex(0).build();
        assertEquals(-1, last.getPredictionIndex());
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList teacher = new NDList(manager.randomNormal(new Shape(4, 3)));
            NDArray student = manager.randomNormal(new Shape(4, 3));
            NDArray features = manager.randomNormal(new Shape(4, 8));
            double alone = LossTesting.scalar(last.evaluate(teacher, new NDList(student)));
            assertEquals(alone, LossTesting.scalar(last.evaluate(teacher, new NDList(features, student))));
            assertEquals(alone, LossTesting.scalar(first.evaluate(teacher, new NDList(student, features))));
            assertMessage(
                    "predictions (student logits) must hold at least one array, got none",
                    () -> first.evaluate(teacher, new NDList()));
            assertMessage(
                    "predictionIndex 2 is outside predictions (student logits) of 2 arrays: [(4, 8), (4, 3)]",
                    () ->
                            DistillationLoss.builder()
                                    .optPredictionIndex(2)
                                    .build()
                                    .evaluate(teacher, new NDList(features, student)));
            IllegalArgumentException e =
                    org.junit.jupiter.api.Assertions.assertThrows(
                            IllegalArgumentException.class,
                            () -> last.evaluate(new NDList(teacher.head(), features), new NDList(student)));
            assertEquals(
                    "labels (teacher logits) must hold one array, got 2: [(4, 3), (4, 8)]", e.getMessage());
        }
    }
}
