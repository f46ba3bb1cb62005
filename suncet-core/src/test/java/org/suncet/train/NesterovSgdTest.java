package org.suncet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.tracker.Tracker;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import org.junit.jupiter.api.Test;

class NesterovSgdTest {

    /** A tracker whose value at update t is 0.1·t, so a wrong step count shows. */
    private static final Tracker RISING = t -> 0.1f * t;

    /** Plain double Nesterov SGD (SPEC §6), one parameter over several steps. */
    static double[] reference(
            double[] initial,
            double[][] gradients,
            Tracker tracker,
            double momentum,
            double weightDecay) {
        double[] w = initial.clone();
        double[] v = new double[w.length];
        for (int step = 0; step < gradients.length; step++) {
            double lr = tracker.getNewValue(step + 1);
            for (int i = 0; i < w.length; i++) {
                double g = gradients[step][i] + weightDecay * w[i];
                v[i] = momentum * v[i] + g;
                w[i] -= lr * (g + momentum * v[i]);
            }
        }
        return w;
    }

    /** Runs NesterovSgd.update on one float64 parameter as DJL would; checks the zeroed gradient */
    static double[] run(double[] initial, double[][] gradients, NesterovSgd optimizer) {
        Parameter parameter =
                Parameter.builder().setName("w").setType(Parameter.Type.WEIGHT).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray weight = manager.create(initial);
            weight.setRequiresGradient(true);
            for (double[] gradient : gradients) {
                try (NDManager step = manager.newSubManager()) {
                    NDArray direction = step.create(gradient);
                    try (GradientCollector collector =
                            Engine.getInstance().newGradientCollector()) {
                        // d/dw Σ w·c = c: the parameter's own gradient is exactly this step's c
                        collector.backward(weight.mul(direction).sum());
                    }
                    NDArray copy = weight.getGradient().duplicate();
                    copy.attach(step);
                    optimizer.update(parameter.getId(), weight, copy);
                    NDArray own = weight.getGradient();
                    own.attach(step);
                    assertArrayEquals(new double[gradient.length], own.toDoubleArray());
                }
            }
            return weight.toDoubleArray();
        }
    }

    @Test
    void threeConstantGradientStepsMatchTheHandComputation() {
        // lr 0.1, m 0.9, g = 0.5: v = 0.5, 0.95, 1.355; steps 0.1·(0.5 + 0.9·v) =
        // 0.095, 0.1355, 0.17195
        double moved = 0.095 + 0.1355 + 0.17195;
        double[] w =
                run(
                        new double[] {1, -2},
                        new double[][] {{0.5, 0.5}, {0.5, 0.5}, {0.5, 0.5}},
                        NesterovSgd.builder().setLearningRateTracker(Tracker.fixed(0.1f)).build());
        assertArrayEquals(new double[] {1 - moved, -2 - moved}, w, 1e-7);
    }

    @Test
    void variedGradientsAndRisingRateFollowTheReference() {
        double[] initial = {0.5, -1.0, 2.0};
        double[][] gradients = {{0.1, 0.2, -0.3}, {0.4, -0.1, 0.0}, {-0.2, 0.3, 0.5}};
        double[] w =
                run(
                        initial,
                        gradients,
                        NesterovSgd.builder()
                                .setLearningRateTracker(RISING)
                                .optWeightDecays(0.01f)
                                .build());
        assertArrayEquals(reference(initial, gradients, RISING, 0.9f, 0.01f), w, 1e-9);
        // Nesterov differs from heavy-ball momentum (w ← w − lr·v) already at the second step
        double heavyBall = initial[0] - 0.1 * 0.1 - 0.2 * (0.9 * 0.1 + 0.4);
        double[][] firstTwo = {gradients[0], gradients[1]};
        double nesterovTwoSteps = reference(initial, firstTwo, RISING, 0.9f, 0f)[0];
        assertTrue(Math.abs(heavyBall - nesterovTwoSteps) > 1e-3);
    }

    @Test
    void rescaleAndClipApplyBeforeTheUpdate() {
        // g = clip(2·(3, −0.1), 1) = (1, −0.2); first step: w −= lr·(1 + m)·g
        double[] w =
                run(
                        new double[] {0, 0},
                        new double[][] {{3, -0.1}},
                        NesterovSgd.builder()
                                .setLearningRateTracker(Tracker.fixed(1f))
                                .setRescaleGrad(2f)
                                .optClipGrad(1f)
                                .build());
        assertArrayEquals(new double[] {-1.9, 0.38}, w, 1e-7);
    }

    @Property(tries = 30)
    void oneParameterMatchesTheReference(@ForAll("cases") Case c) {
        NesterovSgd optimizer =
                NesterovSgd.builder()
                        .setLearningRateTracker(t -> c.learningRate * t)
                        .optMomentum(c.momentum)
                        .optWeightDecays(c.weightDecay)
                        .build();
        double[] w = run(c.initial, c.gradients, optimizer);
        double[] expected =
                reference(
                        c.initial,
                        c.gradients,
                        t -> c.learningRate * t,
                        c.momentum,
                        c.weightDecay);
        assertArrayEquals(expected, w, 1e-9);
    }

    record Case(
            double[] initial,
            double[][] gradients,
            float momentum,
            float weightDecay,
            float learningRate) {}

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<Double> value = Arbitraries.doubles().between(-3, 3);
        return Arbitraries.integers()
                .between(1, 5)
                .flatMap(
                        size ->
                                Combinators.combine(
                                                value.array(double[].class).ofSize(size),
                                                value.array(double[].class)
                                                        .ofSize(size)
                                                        .array(double[][].class)
                                                        .ofMinSize(1)
                                                        .ofMaxSize(4),
                                                Arbitraries.floats().between(0f, 0.99f),
                                                Arbitraries.of(0f, 1e-4f, 0.1f),
                                                Arbitraries.floats()
                                                        .between(0.001f, 0.5f)
                                                        .ofScale(3))
                                        .as(Case::new));
    }

    @Test
    void gradientsDoNotAccumulateAcrossTrainerSteps() {
        // one Linear without bias on one constant batch: dL/dW is the same at every step when
        // the loss is linear in W, so the second update must move W by the Nesterov amount of a
        // single fresh gradient, not of twice the gradient
        try (Model model = Model.newInstance("nesterov");
                NDManager data = NDManager.newBaseManager()) {
            model.setBlock(Linear.builder().setUnits(1).optBias(false).build());
            NesterovSgd optimizer =
                    NesterovSgd.builder()
                            .setLearningRateTracker(Tracker.fixed(0.1f))
                            .optMomentum(0.5f)
                            .build();
            Loss linear =
                    new Loss("sum") {
                        @Override
                        public NDArray evaluate(NDList labels, NDList predictions) {
                            return predictions.singletonOrThrow().sum();
                        }
                    };
            try (Trainer trainer =
                    model.newTrainer(new DefaultTrainingConfig(linear).optOptimizer(optimizer))) {
                trainer.initialize(new Shape(1, 2));
                NDArray x = data.create(new float[] {1f, 2f}, new Shape(1, 2));
                Parameter weight = model.getBlock().getParameters().get("weight");
                float[] before = weight.getArray().toFloatArray();
                float[][] after = new float[2][];
                for (int step = 0; step < 2; step++) {
                    try (GradientCollector collector = trainer.newGradientCollector()) {
                        NDList out = trainer.forward(new NDList(x));
                        collector.backward(linear.evaluate(null, out));
                    }
                    trainer.step();
                    after[step] = weight.getArray().toFloatArray();
                }
                // g = x = (1, 2); v1 = g, Δ1 = 0.1·(1 + 0.5)·g; v2 = 1.5·g, Δ2 = 0.1·(1 + 0.75)·g
                for (int i = 0; i < 2; i++) {
                    double g = i + 1;
                    assertEquals(before[i] - 0.15 * g, after[0][i], 1e-6);
                    assertEquals(after[0][i] - 0.175 * g, after[1][i], 1e-6);
                }
            }
        }
    }

    @Test
    void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> NesterovSgd.builder().build());
        Tracker lr = Tracker.fixed(0.1f);
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                NesterovSgd.builder()
                                        .setLearningRateTracker(lr)
                                        .optMomentum(1f)
                                        .build());
        assertTrue(e.getMessage().contains("momentum") && e.getMessage().contains("1.0"));
        assertThrows(
                IllegalArgumentException.class,
                () -> NesterovSgd.builder().setLearningRateTracker(lr).optMomentum(-0.1f).build());
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        NesterovSgd.builder()
                                .setLearningRateTracker(lr)
                                .optWeightDecays(-1f)
                                .build());
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        NesterovSgd.builder()
                                .setLearningRateTracker(lr)
                                .setRescaleGrad(0f)
                                .build());
        assertThrows(
                IllegalArgumentException.class,
                () -> NesterovSgd.builder().setLearningRateTracker(lr).optClipGrad(0f).build());
        assertEquals(0.9f, NesterovSgd.builder().setLearningRateTracker(lr).build().getMomentum());
    }
}
