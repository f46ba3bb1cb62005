package org.suncet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.LayerNorm;
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
import org.junit.jupiter.api.function.Executable;

import java.util.List;
import java.util.function.Supplier;

class LarsTest {

    /** A tracker whose value at update t is 0.1·t, so a wrong step count shows. */
    private static final Tracker RISING = t -> 0.1f * t;

    /** Plain double LARS (SPEC §6), one parameter over several steps; returns the weights. */
    static double[] reference(
            double[] initial,
            double[][] gradients,
            boolean excluded,
            double weightDecay,
            Tracker tracker,
            double momentum,
            double trust) {
        double[] w = initial.clone();
        double[] v = new double[w.length];
        for (int step = 0; step < gradients.length; step++) {
            double lr = tracker.getNewValue(step + 1);
            double[] g = gradients[step].clone();
            double ratio = 1;
            if (!excluded) {
                for (int i = 0; i < g.length; i++) {
                    g[i] += weightDecay * w[i];
                }
                double wn = 0;
                double gn = 0;
                for (int i = 0; i < g.length; i++) {
                    wn += w[i] * w[i];
                    gn += g[i] * g[i];
                }
                wn = Math.sqrt(wn);
                gn = Math.sqrt(gn);
                if (wn > 0 && gn > 0) {
                    ratio = trust * wn / gn;
                }
            }
            for (int i = 0; i < w.length; i++) {
                v[i] = momentum * v[i] + lr * ratio * g[i];
                w[i] -= v[i];
            }
        }
        return w;
    }

    /** Runs Lars.update on one float64 parameter named {@code name}, as DJL would, step by step. */
    static double[] runLars(
            String name,
            double[] initial,
            double[][] gradients,
            Lars.Builder configured,
            Supplier<ParameterList> extra) {
        Parameter parameter =
                Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).build();
        ParameterList parameters = extra.get();
        parameters.add(name, parameter);
        Lars lars = configured.setParameters(parameters).build();
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
                    lars.update(parameter.getId(), weight, copy);
                    NDArray own = weight.getGradient();
                    own.attach(step);
                    assertArrayEquals(new double[gradient.length], own.toDoubleArray());
                }
            }
            return weight.toDoubleArray();
        }
    }

    @Test
    void adaptedParameterFollowsTheHandComputationOverThreeSteps() {
        double[] initial = {0.5, -1.0, 2.0};
        double[][] gradients = {{0.1, 0.2, -0.3}, {0.4, -0.1, 0.0}, {-0.2, 0.3, 0.5}};
        double[] lars =
                runLars(
                        "01Linear_weight",
                        initial,
                        gradients,
                        Lars.builder()
                                .setLearningRateTracker(RISING)
                                .optWeightDecays(0.01f)
                                .optTrustCoefficient(0.05f),
                        ParameterList::new);
        double[] expected = reference(initial, gradients, false, 0.01f, RISING, 0.9f, 0.05f);
        assertArrayEquals(expected, lars, 1e-12);
        // the trust ratio matters here: plain momentum SGD lands elsewhere
        double[] sgd = reference(initial, gradients, true, 0, RISING, 0.9f, 0.05f);
        assertTrue(Math.abs(sgd[0] - lars[0]) > 1e-3, "trust ratio had no effect");
    }

    @Test
    void firstStepIsTheTrustRatioTimesTheGradientByHand() {
        // w = (3, 4): ||w|| = 5; g = (0, 1) + 0.1·w = (0.3, 1.4); ||g|| = √(0.09 + 1.96)
        double gradNorm = Math.sqrt(0.09 + 1.96);
        double trust = 0.001 * 5 / gradNorm;
        double learningRate = 2.0;
        double[] w =
                runLars(
                        "dense_weight",
                        new double[] {3, 4},
                        new double[][] {{0, 1}},
                        Lars.builder()
                                .setLearningRateTracker(Tracker.fixed(2f))
                                .optWeightDecays(0.1f),
                        ParameterList::new);
        double wd = 0.1f;
        double[] g = {wd * 3, 1 + wd * 4};
        assertArrayEquals(
                new double[] {3 - learningRate * trust * g[0], 4 - learningRate * trust * g[1]},
                w,
                1e-9);
    }

    @Test
    void excludedParameterIsPlainMomentumSgdWithoutWeightDecay() {
        double[] initial = {1.0, -2.0};
        double[][] gradients = {{0.5, 0.5}, {0.5, 0.5}, {0.5, 0.5}};
        for (String name :
                new String[] {"01Linear_bias", "02BatchNorm_gamma", "02BatchNorm_beta"}) {
            double[] w =
                    runLars(
                            name,
                            initial,
                            gradients,
                            Lars.builder()
                                    .setLearningRateTracker(Tracker.fixed(0.1f))
                                    .optWeightDecays(0.5f),
                            ParameterList::new);
            // v1 = 0.05, v2 = 0.9·0.05 + 0.05 = 0.095, v3 = 0.9·0.095 + 0.05 = 0.1355
            double moved = 0.05 + 0.095 + 0.1355;
            assertArrayEquals(new double[] {1.0 - moved, -2.0 - moved}, w, 1e-7, name);
        }
    }

    @Test
    void trustRatioIsOneWhenTheWeightOrTheGradientIsZero() {
        Lars.Builder noDecay =
                Lars.builder().setLearningRateTracker(Tracker.fixed(0.5f)).optWeightDecays(0f);
        double[] fromZero =
                runLars(
                        "w_weight",
                        new double[] {0, 0},
                        new double[][] {{1, -2}},
                        noDecay,
                        ParameterList::new);
        assertArrayEquals(new double[] {-0.5, 1.0}, fromZero, 1e-12);
        double[] noGradient =
                runLars(
                        "w_weight",
                        new double[] {1, 2},
                        new double[][] {{0, 0}},
                        Lars.builder()
                                .setLearningRateTracker(Tracker.fixed(0.5f))
                                .optWeightDecays(0f),
                        ParameterList::new);
        assertArrayEquals(new double[] {1, 2}, noGradient, 0);
    }

    @Test
    void rescaleAndClipApplyBeforeWeightDecay() {
        // g = clip(2·(3, −0.1), 1) = (1, −0.2); excluded, so lr·g is the step
        double[] w =
                runLars(
                        "head_bias",
                        new double[] {0, 0},
                        new double[][] {{3, -0.1}},
                        Lars.builder()
                                .setLearningRateTracker(Tracker.fixed(1f))
                                .setRescaleGrad(2f)
                                .optClipGrad(1f),
                        ParameterList::new);
        assertArrayEquals(new double[] {-1, 0.2}, w, 1e-7);
    }

    @Property(tries = 40)
    void oneParameterMatchesTheReference(@ForAll("cases") Case c) {
        Lars.Builder builder =
                Lars.builder()
                        .setLearningRateTracker(t -> c.learningRate * t)
                        .optWeightDecays(c.weightDecay)
                        .optMomentum(c.momentum)
                        .optTrustCoefficient(c.trust);
        String name = c.excluded ? "block_bias" : "block_weight";
        double[] lars = runLars(name, c.initial, c.gradients, builder, ParameterList::new);
        double[] expected =
                reference(
                        c.initial,
                        c.gradients,
                        c.excluded,
                        c.weightDecay,
                        t -> c.learningRate * t,
                        c.momentum,
                        c.trust);
        assertArrayEquals(expected, lars, 1e-9);
    }

    record Case(
            double[] initial,
            double[][] gradients,
            boolean excluded,
            float weightDecay,
            float momentum,
            float trust,
            float learningRate) {}

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<Double> value =
                Arbitraries.oneOf(Arbitraries.doubles().between(-3, 3), Arbitraries.just(0.0));
        return Arbitraries.integers()
                .between(1, 6)
                .flatMap(
                        size ->
                                Combinators.combine(
                                                value.array(double[].class).ofSize(size),
                                                value.array(double[].class)
                                                        .ofSize(size)
                                                        .array(double[][].class)
                                                        .ofMinSize(1)
                                                        .ofMaxSize(4),
                                                Arbitraries.of(true, false),
                                                Arbitraries.of(0f, 1e-4f, 0.1f),
                                                Arbitraries.of(0f, 0.5f, 0.9f),
                                                Arbitraries.of(0.001f, 0.1f, 1f),
                                                Arbitraries.floats().between(0.01f, 1f))
                                        .as(Case::new));
    }

    @Test
    void defaultExclusionsAreBiasesAndNormalisationByName() {
        SequentialBlock block =
                new SequentialBlock()
                        .add(Linear.builder().setUnits(4).build())
                        .add(BatchNorm.builder().build())
                        .add(new SequentialBlock().add(Linear.builder().setUnits(2).build()))
                        .add(LayerNorm.builder().build());
        Lars lars =
                Lars.builder()
                        .setLearningRateTracker(Tracker.fixed(0.1f))
                        .setParameters(block)
                        .build();
        assertEquals(
                List.of(
                        "01Linear_bias",
                        "02BatchNorm_beta",
                        "02BatchNorm_gamma",
                        "02BatchNorm_runningMean",
                        "02BatchNorm_runningVar",
                        "03SequentialBlock_01Linear_bias",
                        "04LayerNorm_beta",
                        "04LayerNorm_gamma"),
                lars.getExcludedParameterNames());
        String weightId = block.getParameters().get("01Linear_weight").getId();
        String biasId = block.getParameters().get("01Linear_bias").getId();
        assertFalse(lars.isExcluded(weightId));
        assertTrue(lars.isExcluded(biasId));
    }

    @Test
    void aCustomExclusionReplacesTheDefault() {
        double[] initial = {1.0, 1.0};
        double[][] gradients = {{1.0, 0.0}};
        Lars.Builder adaptAll =
                Lars.builder()
                        .setLearningRateTracker(Tracker.fixed(1f))
                        .optWeightDecays(0f)
                        .optExclusion(name -> false);
        double[] adapted =
                runLars("01Linear_bias", initial, gradients, adaptAll, ParameterList::new);
        double trust = 0.001 * Math.sqrt(2) / 1.0;
        assertArrayEquals(new double[] {1.0 - trust, 1.0}, adapted, 1e-9);
        Lars.Builder excludeHead =
                Lars.builder()
                        .setLearningRateTracker(Tracker.fixed(1f))
                        .optExclusion(Lars.defaultExclusion().or(name -> name.startsWith("head")));
        double[] plain =
                runLars("head_weight", initial, gradients, excludeHead, ParameterList::new);
        assertArrayEquals(new double[] {0.0, 1.0}, plain, 1e-12);
    }

    @Test
    void anUnknownParameterIdIsAnError() {
        Lars lars =
                Lars.builder()
                        .setLearningRateTracker(Tracker.fixed(0.1f))
                        .setParameters(new ParameterList())
                        .build();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray weight = manager.ones(new Shape(2));
            NDArray grad = manager.ones(new Shape(2));
            IllegalStateException e =
                    assertThrows(
                            IllegalStateException.class, () -> lars.update("uid-x", weight, grad));
            assertTrue(e.getMessage().contains("uid-x"), e.getMessage());
        }
    }

    /**
     * A real DJL Trainer: y = W·x + b with loss Σ y, whose gradient is the same every step (dW =
     * Σ_n x_n per row, db = N). The gradient must not grow step to step, must be zero after each
     * step, the weights must follow the hand computation, and open arrays must stay flat.
     */
    @Test
    void trainerStepsFollowTheHandComputationWithoutGradientGrowth() {
        float[] inputs = {1f, 2f, -1f, 0.5f, 0f, 3f}; // [N = 2, 3]
        float[] initialWeight = {0.2f, -0.4f, 0.6f, 1.0f, 0.5f, -0.5f}; // [2 units, 3]
        float[] initialBias = {0.1f, -0.2f};
        SequentialBlock block = new SequentialBlock().add(Linear.builder().setUnits(2).build());
        Tracker schedule =
                WarmupCosineSchedule.builder()
                        .setPeakValue(0.5f)
                        .setTotalSteps(6)
                        .optWarmupSteps(2)
                        .build();
        Lars lars =
                Lars.builder()
                        .setLearningRateTracker(schedule)
                        .optWeightDecays(0.01f)
                        .optTrustCoefficient(0.02f)
                        .setParameters(block)
                        .build();
        int steps = 6;
        double[][] weightGradients = new double[steps][];
        double[][] biasGradients = new double[steps][];
        try (Model model = Model.newInstance("lars");
                NDManager data = NDManager.newBaseManager()) {
            model.setBlock(block);
            try (Trainer trainer =
                    model.newTrainer(new DefaultTrainingConfig(Loss.l2Loss()).optOptimizer(lars))) {
                trainer.initialize(new Shape(2, 3));
                Parameter weight = block.getParameters().get("01Linear_weight");
                Parameter bias = block.getParameters().get("01Linear_bias");
                weight.getArray().set(initialWeight);
                bias.getArray().set(initialBias);
                NDArray x = data.create(inputs, new Shape(2, 3));
                for (int step = 0; step < steps; step++) {
                    try (NDManager stepManager = data.newSubManager()) {
                        try (GradientCollector collector = trainer.newGradientCollector()) {
                            NDArray y = trainer.forward(new NDList(x)).head();
                            collector.backward(y.sum());
                        }
                        weightGradients[step] = gradientOf(weight, stepManager);
                        biasGradients[step] = gradientOf(bias, stepManager);
                        trainer.step();
                        assertArrayEquals(
                                new double[6], gradientOf(weight, stepManager), "step " + step);
                        assertArrayEquals(
                                new double[2], gradientOf(bias, stepManager), "step " + step);
                    }
                }
                double[] dW = {1.5, 2, 2, 1.5, 2, 2}; // column sums of x for each of 2 units
                for (int step = 0; step < steps; step++) {
                    assertArrayEquals(
                            dW, weightGradients[step], 1e-6, "weight gradient, step " + step);
                    assertArrayEquals(
                            new double[] {2, 2},
                            biasGradients[step],
                            1e-6,
                            "bias gradient, step " + step);
                }
                double[][] constantW = repeat(dW, steps);
                double[] expectedW =
                        reference(
                                toDouble(initialWeight),
                                constantW,
                                false,
                                0.01f,
                                schedule,
                                0.9f,
                                0.02f);
                double[] expectedB =
                        reference(
                                toDouble(initialBias),
                                repeat(new double[] {2, 2}, steps),
                                true,
                                0.01f,
                                schedule,
                                0.9f,
                                0.02f);
                assertArrayEquals(expectedW, toDouble(weight.getArray().toFloatArray()), 1e-5);
                assertArrayEquals(expectedB, toDouble(bias.getArray().toFloatArray()), 1e-5);
            }
        }
    }

    @Test
    void openArraysStayFlatOverAHundredSteps() {
        SequentialBlock block =
                new SequentialBlock()
                        .add(Linear.builder().setUnits(8).build())
                        .add(BatchNorm.builder().build())
                        .add(Linear.builder().setUnits(2).build());
        Lars lars =
                Lars.builder()
                        .setLearningRateTracker(Tracker.fixed(0.1f))
                        .setParameters(block)
                        .build();
        try (Model model = Model.newInstance("lars-memory");
                NDManager data = NDManager.newBaseManager()) {
            model.setBlock(block);
            try (Trainer trainer =
                    model.newTrainer(new DefaultTrainingConfig(Loss.l2Loss()).optOptimizer(lars))) {
                trainer.initialize(new Shape(4, 3));
                data.getEngine().setRandomSeed(11);
                float[] values = data.randomNormal(new Shape(4, 3)).toFloatArray();
                int afterFirst = -1;
                for (int step = 0; step < 100; step++) {
                    try (NDManager stepManager = data.newSubManager()) {
                        NDArray x = stepManager.create(values, new Shape(4, 3));
                        try (GradientCollector collector = trainer.newGradientCollector()) {
                            NDArray y = trainer.forward(new NDList(x)).head();
                            collector.backward(y.square().sum());
                        }
                        trainer.step();
                    }
                    if (step == 0) {
                        afterFirst = model.getNDManager().getManagedArrays().size();
                    }
                }
                assertEquals(afterFirst, model.getNDManager().getManagedArrays().size());
                assertEquals(1, data.getManagedArrays().size());
            }
        }
    }

    @Test
    void badSettingsNameTheArgument() {
        ParameterList none = new ParameterList();
        assertMessage("learningRateTracker", () -> Lars.builder().setParameters(none).build());
        assertMessage(
                "parameters",
                () -> Lars.builder().setLearningRateTracker(Tracker.fixed(1f)).build());
        for (float momentum : new float[] {-0.1f, 1f, Float.NaN}) {
            assertMessage("momentum", () -> valid(none).optMomentum(momentum).build());
        }
        for (float trust : new float[] {0f, -1f, Float.NaN, Float.POSITIVE_INFINITY}) {
            assertMessage("trustCoefficient", () -> valid(none).optTrustCoefficient(trust).build());
        }
        for (float decay : new float[] {-1e-6f, Float.NaN, Float.POSITIVE_INFINITY}) {
            assertMessage("weightDecays", () -> valid(none).optWeightDecays(decay).build());
        }
        assertMessage("rescaleGrad", () -> valid(none).setRescaleGrad(0f).build());
        assertMessage("clipGrad", () -> valid(none).optClipGrad(0f).build());
    }

    private static Lars.Builder valid(ParameterList parameters) {
        return Lars.builder().setLearningRateTracker(Tracker.fixed(1f)).setParameters(parameters);
    }

    static void assertMessage(String argument, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(
                e.getMessage().startsWith(argument) || e.getMessage().contains(argument),
                "message should name " + argument + ": " + e.getMessage());
    }

    private static double[] gradientOf(Parameter parameter, NDManager manager) {
        NDArray gradient = parameter.getArray().getGradient();
        gradient.attach(manager);
        return gradient.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    private static double[][] repeat(double[] row, int times) {
        double[][] rows = new double[times][];
        for (int i = 0; i < times; i++) {
            rows[i] = row;
        }
        return rows;
    }

    private static double[] toDouble(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
