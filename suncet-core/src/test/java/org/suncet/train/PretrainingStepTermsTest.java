package org.suncet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.suncet.loss.NtXentLoss;
import org.suncet.loss.SuNCEtLoss;
import org.suncet.loss.SuNCEtPretrainingLoss;

/**
 * The combined step itself (issue 15 §1): its per-term diagnostics, that computing them leaves the
 * parameter update bit for bit what the single-backward step gave, what λ = 0 means, and that the
 * supervised term alone can fit a fixed labeled batch.
 *
 * <p><b>What "λ = 0 is SimCLR at the same rows" means here.</b> The support is forwarded through
 * batch norm together with the views, so a step that forwards the support differs from SimCLR
 * without it even when the support's loss weight is 0 (batch statistics change). Two statements
 * are therefore tested: (1) over one forwarded batch {@code [views; support]}, the objective with
 * λ = 0 is exactly NT-Xent of the view rows, in value and in gradient (the support rows get a zero
 * gradient); (2) {@link PretrainingStep} with λ = 0 does not forward the support at all ({@link
 * PretrainingStep#needsSupport} is false), so a λ = 0 run given a support batch equals a plain
 * SimCLR run bit for bit.
 */
class PretrainingStepTermsTest {

    private static final int IMAGES = 6;
    private static final int FEATURES = 10;
    private static final int CLASSES = 3;
    private static final int PER_CLASS = 2;

    /** encoder Linear(16) → BatchNorm → ReLU gives h; head Linear(8) gives z; outputs (h, z). */
    private static Block network() {
        SequentialBlock encoder =
                new SequentialBlock()
                        .add(Linear.builder().setUnits(16).build())
                        .add(BatchNorm.builder().build())
                        .add(Activation::relu);
        Block head = Linear.builder().setUnits(8).build();
        ParallelBlock both =
                new ParallelBlock(
                        list -> new NDList(list.get(0).singletonOrThrow(), list.get(1).singletonOrThrow()),
                        List.of(new LambdaBlock(x -> x), head));
        return new SequentialBlock().add(encoder).add(both);
    }

    /** A trainer whose parameters are drawn from {@code seed}, Nesterov SGD with momentum. */
    private static Trainer trainer(Model model, SuNCEtPretrainingLoss objective, int seed) {
        model.setBlock(network());
        Trainer trainer =
                model.newTrainer(
                        new DefaultTrainingConfig(objective)
                                .optOptimizer(
                                        NesterovSgd.builder()
                                                .setLearningRateTracker(Tracker.fixed(0.05f))
                                                .optMomentum(0.9f)
                                                .build()));
        Engine.getInstance().setRandomSeed(seed);
        trainer.initialize(new Shape(2 * IMAGES + CLASSES * PER_CLASS, FEATURES));
        return trainer;
    }

    private static SuNCEtPretrainingLoss objective(float weight, int supervisedEpochs) {
        return SuNCEtPretrainingLoss.builder()
                .optContrastiveLoss(NtXentLoss.builder().optTemperature(0.5f).build())
                .optSupervisedLoss(SuNCEtLoss.builder().optTemperature(0.1f).build())
                .optSupervisedWeight(weight)
                .optSupervisedEpochs(supervisedEpochs)
                .build();
    }

    private static List<float[]> parameters(Trainer trainer) {
        List<float[]> values = new ArrayList<>();
        for (Pair<String, Parameter> p : trainer.getModel().getBlock().getParameters()) {
            values.add(p.getValue().getArray().toFloatArray());
        }
        return values;
    }

    private static void assertSameParameters(List<float[]> expected, List<float[]> actual, String what) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), what + ", parameter " + i); // bit for bit
        }
    }

    /** The step as it was before the diagnostics: one backward of the objective on z itself. */
    private static void singleBackwardStep(
            Trainer trainer,
            SuNCEtPretrainingLoss objective,
            NDArray views,
            NDArray support,
            NDArray labels,
            int epoch) {
        boolean supervised = support != null && objective.isSupervisedAt(epoch);
        long viewRows = views.getShape().get(0);
        try (GradientCollector collector = trainer.newGradientCollector()) {
            NDArray batch = supervised ? NDArrays.concat(new NDList(views, support)) : views;
            NDList outputs = trainer.forward(new NDList(batch));
            NDArray z = outputs.get(1);
            NDArray loss =
                    supervised
                            ? objective.compute(
                                    z.get(new NDIndex("0:{}", viewRows)),
                                    z.get(new NDIndex("{}:", viewRows)),
                                    labels,
                                    epoch)
                            : objective.compute(z, null, null, epoch);
            collector.backward(loss);
        }
        trainer.step();
    }

    private record Batch(NDArray views, NDArray support, NDArray labels) {}

    private static Batch batch(NDManager manager, int seed) {
        manager.getEngine().setRandomSeed(seed);
        NDArray images = manager.randomNormal(new Shape(IMAGES, FEATURES));
        NDArray views =
                images.tile(new long[] {2, 1}).add(manager.randomNormal(0f, 0.3f, new Shape(2 * IMAGES, FEATURES), DataType.FLOAT32));
        NDArray prototypes = manager.randomNormal(new Shape(CLASSES, FEATURES)).mul(2);
        NDArray support =
                prototypes.tile(new long[] {PER_CLASS, 1})
                        .add(manager.randomNormal(0f, 0.3f, new Shape(CLASSES * PER_CLASS, FEATURES), DataType.FLOAT32));
        NDArray labels = manager.arange(0, CLASSES, 1, DataType.INT64).tile(PER_CLASS); // r mod C
        return new Batch(views, support, labels);
    }

    @Test
    void diagnosticsLeaveTheUpdateBitIdenticalToTheSingleBackwardStep() {
        SuNCEtPretrainingLoss objective = objective(1f, 2);
        PretrainingStep step = new PretrainingStep(objective, 1);
        try (Model a = Model.newInstance("a");
                Model b = Model.newInstance("b");
                NDManager data = NDManager.newBaseManager();
                Trainer withTerms = trainer(a, objective, 3);
                Trainer single = trainer(b, objective, 3)) {
            assertSameParameters(parameters(single), parameters(withTerms), "initialisation");
            for (int i = 0; i < 4; i++) {
                int epoch = i < 2 ? 0 : 2; // SuNCEt on, then switched off
                try (NDManager stepData = data.newSubManager()) {
                    Batch batch = batch(stepData, 40 + i);
                    step.run(withTerms, batch.views(), batch.support(), batch.labels(), epoch);
                    singleBackwardStep(single, objective, batch.views(), batch.support(), batch.labels(), epoch);
                }
                assertSameParameters(parameters(single), parameters(withTerms), "after step " + (i + 1));
            }
        }
    }

    @Test
    void termsAddUpAndTheSupervisedGradientScalesWithLambda() {
        try (Model one = Model.newInstance("one");
                Model two = Model.newInstance("two");
                Model probe = Model.newInstance("probe");
                NDManager data = NDManager.newBaseManager()) {
            SuNCEtPretrainingLoss lambdaOne = objective(1f, 5);
            SuNCEtPretrainingLoss lambdaTwo = objective(2f, 5);
            Batch batch = batch(data, 7);
            try (Trainer t1 = trainer(one, lambdaOne, 9);
                    Trainer t2 = trainer(two, lambdaTwo, 9);
                    Trainer t3 = trainer(probe, lambdaOne, 9)) {
                // an independent read of z and h on the same parameters (training-mode forward)
                double[] contrastiveGradient = new double[1];
                double meanNorm;
                NDArray z;
                try (GradientCollector collector = t3.newGradientCollector()) {
                    NDList outputs = t3.forward(new NDList(NDArrays.concat(new NDList(batch.views(), batch.support()))));
                    z = outputs.get(1).stopGradient().duplicate();
                    NDArray h = outputs.get(0);
                    float[] norms = h.norm(new int[] {1}).toFloatArray();
                    double sum = 0;
                    for (float v : norms) {
                        sum += v;
                    }
                    meanNorm = sum / norms.length;
                }
                try (GradientCollector collector = t3.newGradientCollector()) {
                    NDArray views = z.get(new NDIndex("0:{}", 2 * IMAGES));
                    views.setRequiresGradient(true);
                    NDArray loss = lambdaOne.getContrastiveLoss().evaluate(null, new NDList(views));
                    collector.backward(loss);
                    float[] g = views.getGradient().toFloatArray();
                    double sum = 0;
                    for (float v : g) {
                        sum += (double) v * v;
                    }
                    contrastiveGradient[0] = Math.sqrt(sum);
                }

                PretrainingStep.Result r1 =
                        new PretrainingStep(lambdaOne, 1).run(t1, batch.views(), batch.support(), batch.labels(), 0);
                PretrainingStep.Result r2 =
                        new PretrainingStep(lambdaTwo, 1).run(t2, batch.views(), batch.support(), batch.labels(), 0);
                PretrainingStep.Terms a = r1.readTerms();
                PretrainingStep.Terms b = r2.readTerms();
                assertEquals(1.0, a.supervisedWeight());
                assertEquals(2.0, b.supervisedWeight());
                // exact: same parameters and rows, so both terms' values are the same bits
                assertEquals(a.ntXent(), b.ntXent());
                assertEquals(a.suncet(), b.suncet());
                assertEquals(a.ntXentGradientNorm(), b.ntXentGradientNorm());
                // exact: λ·g with λ = 2 is an exact float scaling of every element, and so of the norm
                assertEquals(2 * a.suncetGradientNorm(), b.suncetGradientNorm());
                assertTrue(a.suncetGradientNorm() > 0 && a.ntXentGradientNorm() > 0, a.toString());
                // bound: total = NT-Xent + λ·SuNCEt in float32, one rounding of values ~2: 1e-6
                assertEquals(r1.loss().getFloat(), a.ntXent() + a.suncet(), 1e-6);
                assertEquals(r2.loss().getFloat(), b.ntXent() + 2 * b.suncet(), 1e-6);
                // bound: the same float32 gradient computed outside the step; the norm's summation
                // order differs (float32 on the device vs double here): 1e-5 relative
                assertEquals(contrastiveGradient[0], a.ntXentGradientNorm(), 1e-5 * contrastiveGradient[0]);
                // bound: mean of 12 + 6 float32 norms, summed in another order: 1e-5 relative
                assertEquals(meanNorm, a.meanFeatureNorm(), 1e-5 * meanNorm);
            }
        }
    }

    @Test
    void supervisedTermsAreMarkedOffFromTheSwitchOffEpoch() {
        SuNCEtPretrainingLoss objective = objective(1f, 1);
        try (Model model = Model.newInstance("off");
                NDManager data = NDManager.newBaseManager();
                Trainer trainer = trainer(model, objective, 1)) {
            Batch batch = batch(data, 3);
            PretrainingStep.Result off =
                    new PretrainingStep(objective, 1).run(trainer, batch.views(), batch.support(), batch.labels(), 1);
            PretrainingStep.Terms terms = off.readTerms();
            assertTrue(Double.isNaN(terms.suncet()), terms.toString());
            assertEquals(0.0, terms.suncetGradientNorm());
            assertEquals(0.0, terms.supervisedWeight());
            assertEquals(off.loss().getFloat(), terms.ntXent()); // exact: the loss is the NT-Xent term
            // a model with a single output has no h
            PretrainingStep.Result noFeatures =
                    new PretrainingStep(objective, -1).run(trainer, batch.views(), null, null, 0);
            assertEquals(2L * IMAGES, noFeatures.rowsForwarded());
        }
    }

    @Test
    void lambdaZeroIsExactlyNtXentOverTheSameForwardedRows() {
        SuNCEtPretrainingLoss zero = objective(0f, 5);
        try (NDManager data = NDManager.newBaseManager()) {
            data.getEngine().setRandomSeed(21);
            NDArray z = data.randomNormal(new Shape(2 * IMAGES + CLASSES * PER_CLASS, 8));
            NDArray labels = data.arange(0, CLASSES, 1, DataType.INT64).tile(PER_CLASS);
            float[][] values = new float[2][];
            float[][] gradients = new float[2][];
            for (int variant = 0; variant < 2; variant++) {
                NDArray leaf = z.duplicate();
                leaf.setRequiresGradient(true);
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray views = leaf.get(new NDIndex("0:{}", 2 * IMAGES));
                    NDArray loss =
                            variant == 0
                                    ? zero.compute(views, leaf.get(new NDIndex("{}:", 2 * IMAGES)), labels, 0)
                                    : zero.getContrastiveLoss().evaluate(null, new NDList(views));
                    values[variant] = loss.toFloatArray();
                    collector.backward(loss);
                }
                gradients[variant] = leaf.getGradient().toFloatArray();
            }
            assertArrayEquals(values[1], values[0]); // bit for bit
            assertArrayEquals(gradients[1], gradients[0]); // bit for bit, support rows 0 in both
            for (int i = 2 * IMAGES * 8; i < gradients[0].length; i++) {
                assertEquals(0f, gradients[0][i], "support row gradient at " + i);
            }
        }
    }

    @Test
    void lambdaZeroRunGivenASupportEqualsPlainSimclrBitForBit() {
        SuNCEtPretrainingLoss zero = objective(0f, 5);
        SuNCEtPretrainingLoss simclr = objective(1f, 0); // SuNCEt never on: plain SimCLR
        try (Model a = Model.newInstance("zero");
                Model b = Model.newInstance("simclr");
                NDManager data = NDManager.newBaseManager();
                Trainer withSupport = trainer(a, zero, 5);
                Trainer plain = trainer(b, simclr, 5)) {
            PretrainingStep zeroStep = new PretrainingStep(zero, 1);
            PretrainingStep simclrStep = new PretrainingStep(simclr, 1);
            for (int i = 0; i < 3; i++) {
                try (NDManager stepData = data.newSubManager()) {
                    Batch batch = batch(stepData, 60 + i);
                    PretrainingStep.Result r =
                            zeroStep.run(withSupport, batch.views(), batch.support(), batch.labels(), 0);
                    PretrainingStep.Result s = simclrStep.run(plain, batch.views(), null, null, 0);
                    assertEquals(2L * IMAGES, r.rowsForwarded(), "λ = 0 forwards no support");
                    assertEquals(s.loss().getFloat(), r.loss().getFloat()); // bit for bit
                }
                assertSameParameters(parameters(plain), parameters(withSupport), "after step " + (i + 1));
            }
        }
    }

    /**
     * With only the supervised term (SuNCEt, τ = 0.1, no NT-Xent), Linear(32) → ReLU → Linear(8) fits
     * a fixed batch of 4 classes × 4 random inputs: measured 2.46 at the start (chance for 3
     * positives among 15 candidates is ln 5 = 1.6; random projections at τ = 0.1 do worse) and
     * 6.2e-4 after 300 steps, towards the floor ≈ 12·e^{−13.3}/3 ≈ 7e-6 of classes on a simplex.
     */
    @Test
    void supervisedTermAloneOverfitsAFixedLabeledBatch() {
        SuNCEtLoss suncet = SuNCEtLoss.builder().build();
        try (Model model = Model.newInstance("overfit");
                NDManager data = NDManager.newBaseManager()) {
            model.setBlock(
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(32).build())
                            .add(Activation::relu)
                            .add(Linear.builder().setUnits(8).build()));
            try (Trainer trainer =
                    model.newTrainer(
                            new DefaultTrainingConfig(suncet)
                                    .optOptimizer(
                                            NesterovSgd.builder()
                                                    .setLearningRateTracker(Tracker.fixed(0.1f))
                                                    .optMomentum(0.9f)
                                                    .build()))) {
                Engine.getInstance().setRandomSeed(13);
                trainer.initialize(new Shape(16, FEATURES));
                data.getEngine().setRandomSeed(17);
                NDArray inputs = data.randomNormal(new Shape(16, FEATURES));
                NDArray labels = data.arange(0, 4, 1, DataType.INT64).tile(4);
                float first = Float.NaN;
                float last = Float.NaN;
                for (int i = 0; i < 300; i++) {
                    try (GradientCollector collector = trainer.newGradientCollector()) {
                        NDArray z = trainer.forward(new NDList(inputs)).singletonOrThrow();
                        NDArray loss = suncet.evaluate(new NDList(labels), new NDList(z));
                        last = loss.getFloat();
                        first = i == 0 ? last : first;
                        collector.backward(loss);
                    }
                    trainer.step();
                }
                System.out.printf("SuNCEt alone on a fixed batch: %.4f -> %.2e after 300 steps%n", first, last);
                // bound: measured 2.46 → 6.2e-4; 0.02 is 30× above the measured end and 1 % of the
                // start, so the assertion has margin for rounding changes and still needs a real fit
                assertTrue(first > 1.0, "start " + first);
                assertTrue(last < 0.02, "end " + last);
            }
        }
    }
}
