package org.suncet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.metric.Metrics;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.tracker.Tracker;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.suncet.loss.NtXentLoss;
import org.suncet.loss.SuNCEtPretrainingLoss;

class PretrainingStepTest {

    private static final int IMAGES = 12;
    private static final int FEATURES = 10;

    static Trainer trainer(Model model, SuNCEtPretrainingLoss objective) {
        model.setBlock(
                new SequentialBlock()
                        .add(Linear.builder().setUnits(24).build())
                        .add(Activation::relu)
                        .add(Linear.builder().setUnits(8).build()));
        Trainer trainer =
                model.newTrainer(
                        new DefaultTrainingConfig(objective)
                                .optOptimizer(
                                        NesterovSgd.builder()
                                                .setLearningRateTracker(Tracker.fixed(0.05f))
                                                .optMomentum(0f)
                                                .build()));
        trainer.initialize(new Shape(2 * IMAGES, FEATURES));
        return trainer;
    }

    static NDArray noisy(NDArray x) {
        return x.getManager().randomNormal(0f, 0.3f, x.getShape(), DataType.FLOAT32).add(x);
    }

    @Test
    void trainsCountsRowsAndDropsTheSupportFromTheSwitchOffEpoch() {
        SuNCEtPretrainingLoss objective =
                SuNCEtPretrainingLoss.builder()
                        .optContrastiveLoss(NtXentLoss.builder().optTemperature(0.5f).build())
                        .optSupervisedEpochs(1)
                        .build();
        PretrainingStep step = new PretrainingStep(objective, -1);
        assertTrue(step.needsSupport(0));
        assertFalse(step.needsSupport(1));
        try (Model model = Model.newInstance("pretrain");
                NDManager data = NDManager.newBaseManager()) {
            data.getEngine().setRandomSeed(5);
            NDArray images = data.randomNormal(new Shape(IMAGES, FEATURES));
            NDArray prototypes = data.randomNormal(new Shape(3, FEATURES)).mul(2);
            NDArray labels = data.arange(0, 3, 1, DataType.INT64).repeat(2);
            try (Trainer trainer = trainer(model, objective)) {
                float first = 0;
                float last = 0;
                int trainerArrays = -1;
                for (int i = 0; i < 30; i++) {
                    try (NDManager stepData = data.newSubManager()) {
                        NDArray views = noisy(images.tile(new long[] {2, 1})); // [2n, F], view-major
                        views.attach(stepData);
                        NDArray support = noisy(prototypes.repeat(0, 2));
                        support.attach(stepData);
                        PretrainingStep.Result result = step.run(trainer, views, support, labels, 0);
                        assertEquals(2L * IMAGES + 6, result.rowsForwarded());
                        float value = result.loss().getFloat();
                        first = i == 0 ? value : first;
                        last = value;
                        PretrainingStep.Result simclr = step.run(trainer, views, support, labels, 1);
                        assertEquals(2L * IMAGES, simclr.rowsForwarded(), "support dropped at E_sup");
                        PretrainingStep.Result noSupport = step.run(trainer, views, null, null, 0);
                        assertEquals(2L * IMAGES, noSupport.rowsForwarded());
                    }
                    if (i == 0) {
                        trainerArrays = trainer.getManager().getManagedArrays().size();
                    }
                }
                assertTrue(last < first - 0.1f, "objective went from " + first + " to " + last);
                assertEquals(trainerArrays, trainer.getManager().getManagedArrays().size());
            }
        }
    }

    @Test
    void recordsEachPhaseInTheTrainersMetricsOnlyWhenItHasThem() {
        SuNCEtPretrainingLoss objective =
                SuNCEtPretrainingLoss.builder()
                        .optContrastiveLoss(NtXentLoss.builder().optTemperature(0.5f).build())
                        .build();
        PretrainingStep step = new PretrainingStep(objective, -1);
        List<String> phases =
                List.of(
                        "forward",
                        PretrainingStep.METRIC_OBJECTIVE,
                        PretrainingStep.METRIC_BACKWARD,
                        PretrainingStep.METRIC_DIAGNOSTICS,
                        PretrainingStep.METRIC_FINITE_CHECK,
                        PretrainingStep.METRIC_LISTENERS,
                        "step");
        try (Model model = Model.newInstance("pretrain");
                NDManager data = NDManager.newBaseManager()) {
            data.getEngine().setRandomSeed(5);
            NDArray images = data.randomNormal(new Shape(IMAGES, FEATURES));
            NDArray labels = data.arange(0, 3, 1, DataType.INT64).repeat(2);
            try (Trainer trainer = trainer(model, objective)) {
                NDArray views = noisy(images.tile(new long[] {2, 1}));
                NDArray support = noisy(images.get("0:6"));
                step.run(trainer, views, support, labels, 0); // no metrics: nothing to record into
                Metrics metrics = new Metrics();
                trainer.setMetrics(metrics);
                step.run(trainer, views, support, labels, 0);
                for (String phase : phases) {
                    assertTrue(metrics.hasMetric(phase), "no metric " + phase);
                    assertEquals(1, metrics.getMetric(phase).size(), phase);
                    assertTrue(metrics.getMetric(phase).get(0).getValue().doubleValue() > 0, phase);
                }
            }
        }
    }

    @Test
    void badInputIsRejected() {
        SuNCEtPretrainingLoss objective = SuNCEtPretrainingLoss.builder().build();
        PretrainingStep step = new PretrainingStep(objective, -1);
        assertThrows(IllegalArgumentException.class, () -> new PretrainingStep(null, 0));
        assertThrows(IllegalArgumentException.class, () -> new PretrainingStep(objective, -2));
        try (Model model = Model.newInstance("bad");
                NDManager data = NDManager.newBaseManager();
                Trainer trainer = trainer(model, objective)) {
            NDArray views = data.randomNormal(new Shape(2 * IMAGES, FEATURES));
            NDArray support = data.randomNormal(new Shape(4, FEATURES));
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> step.run(trainer, views, support, data.create(new long[] {0, 0, 1}), 0));
            assertTrue(e.getMessage().contains("[4]"), e.getMessage());
            assertThrows(
                    IllegalArgumentException.class,
                    () ->
                            step.run(
                                    trainer,
                                    views,
                                    data.randomNormal(new Shape(4, FEATURES + 1)),
                                    data.create(new long[] {0, 0, 1, 1}),
                                    0));
        }
    }

    /** A trainer of {@link TinyClassification#poisonableMlp}-like projections, 8 wide. */
    private static Trainer poisonableTrainer(Model model, SuNCEtPretrainingLoss objective) {
        model.setBlock(
                new SequentialBlock()
                        .add(Linear.builder().setUnits(24).optBias(false).build())
                        .add(new LambdaBlock(list -> new NDList(list.singletonOrThrow().abs().sqrt())))
                        .add(Linear.builder().setUnits(8).build()));
        Trainer trainer =
                model.newTrainer(
                        new DefaultTrainingConfig(objective)
                                .optOptimizer(
                                        NesterovSgd.builder()
                                                .setLearningRateTracker(Tracker.fixed(0.05f))
                                                .build()));
        trainer.initialize(new Shape(2 * IMAGES, FEATURES));
        return trainer;
    }

    @Test
    void aNonFiniteObjectiveOrGradientStopsTheStepBeforeTheUpdate() {
        // value checks off: the step, not the loss, reports non-finite projections
        SuNCEtPretrainingLoss objective =
                SuNCEtPretrainingLoss.builder()
                        .optContrastiveLoss(
                                NtXentLoss.builder().optTemperature(0.5f).optCheckValues(false).build())
                        .build();
        PretrainingStep step = new PretrainingStep(objective, -1);
        try (Model model = Model.newInstance("guarded");
                NDManager data = NDManager.newBaseManager()) {
            data.getEngine().setRandomSeed(8);
            NDArray views = data.randomNormal(new Shape(2 * IMAGES, FEATURES));
            try (Trainer trainer = poisonableTrainer(model, objective)) {
                step.run(trainer, views, null, null, 0);
                List<byte[]> good = TinyClassification.bytes(model.getBlock());
                NonFiniteTrainingException gradient =
                        assertThrows(
                                NonFiniteTrainingException.class,
                                () -> step.run(trainer, TinyClassification.withZeroRow(views), null, null, 0));
                assertEquals(
                        "non-finite gradient in 1 of 3 trainable parameters (01Linear_weight)",
                        gradient.getMessage());
                TinyClassification.assertBitIdentical(
                        good, TinyClassification.bytes(model.getBlock()), "after the failed step");
                NonFiniteTrainingException loss =
                        assertThrows(
                                NonFiniteTrainingException.class,
                                () -> step.run(trainer, views.mul(Float.NaN), null, null, 0));
                assertTrue(loss.getMessage().startsWith("non-finite loss (NaN)"), loss.getMessage());
                TinyClassification.assertBitIdentical(
                        good, TinyClassification.bytes(model.getBlock()), "after the second failed step");
                assertTrue(Float.isFinite(step.run(trainer, views, null, null, 0).loss().getFloat()));

                // with its value checks on (the default) the loss rejects the projections itself
                PretrainingStep checking = new PretrainingStep(SuNCEtPretrainingLoss.builder().build(), -1);
                assertThrows(
                        IllegalArgumentException.class,
                        () -> checking.run(trainer, views.mul(Float.NaN), null, null, 0));
                // and with the step's check off, the NaN gradient is applied
                new PretrainingStep(objective, -1, false)
                        .run(trainer, TinyClassification.withZeroRow(views), null, null, 0);
                assertTrue(Float.isNaN(TinyClassification.snapshot(model.getBlock())[0][0]));
            }
        }
    }
}
