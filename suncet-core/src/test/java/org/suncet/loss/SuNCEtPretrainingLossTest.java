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
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.Assume;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;

class SuNCEtPretrainingLossTest {

    static SuNCEtPretrainingLoss objective(float lambda, int supervisedEpochs) {
        return builder(lambda, supervisedEpochs).build();
    }

    static SuNCEtPretrainingLoss.Builder builder(float lambda, int supervisedEpochs) {
        return SuNCEtPretrainingLoss.builder()
                .optContrastiveLoss(NtXentLoss.builder().optTemperature(0.5f).build())
                .optSupervisedLoss(SuNCEtLoss.builder().optTemperature(0.2f).build())
                .optSupervisedWeight(lambda)
                .optSupervisedEpochs(supervisedEpochs);
    }

    /** The rows of z are [unlabeled views (2n); support (S)]; the routed sum matches the references. */
    @Property(tries = 40)
    void routesRowsByIndexAndMatchesTheReferences(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 16) int unlabeled,
            @ForAll @IntRange(min = 2, max = 24) int support,
            @ForAll @FloatRange(min = 0f, max = 3f) float lambda) {
        Random random = new Random(seed);
        double[][] z = LossTesting.gaussian(random, 2 * unlabeled + support, 6, 1);
        long[] y = LossTesting.labels(random, support, 3);
        Assume.that(LossTesting.hasPositive(y));
        double[][] views = Arrays.copyOfRange(z, 0, 2 * unlabeled);
        double[][] labeled = Arrays.copyOfRange(z, 2 * unlabeled, z.length);
        double expected =
                ReferenceLosses.ntXent(views, 2, 0.5f)
                        + lambda * ReferenceLosses.suncet(labeled, y, 0.2f);
        SuNCEtPretrainingLoss loss = objective(lambda, 10);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList labels = new NDList(manager.create(y));
            LossTesting.Evaluation routed = LossTesting.evaluate(loss, labels, z, DataType.FLOAT64);
            assertRelative(expected, routed.value(), 1e-9, "combined objective");
            double[][] numeric =
                    ReferenceLosses.numericGradient(
                            x ->
                                    ReferenceLosses.ntXent(Arrays.copyOfRange(x, 0, 2 * unlabeled), 2, 0.5f)
                                            + lambda
                                                    * ReferenceLosses.suncet(
                                                            Arrays.copyOfRange(x, 2 * unlabeled, x.length),
                                                            y,
                                                            0.2f),
                            z,
                            1e-4);
            assertRelative(numeric, routed.gradient(), 1e-6, "gradient");

            NDArray zUnlabeled = LossTesting.matrix(manager, views, DataType.FLOAT64);
            NDArray zSupport = LossTesting.matrix(manager, labeled, DataType.FLOAT64);
            SuNCEtPretrainingLoss separate = builder(lambda, 10).optSeparateSupport(true).build();
            double twoArrays =
                    LossTesting.scalar(separate.evaluate(labels, new NDList(zUnlabeled, zSupport)));
            double ownLoop = LossTesting.scalar(loss.compute(zUnlabeled, zSupport, labels.head(), 3));
            assertRelative(expected, twoArrays, 1e-12, "NDList(zUnlabeled, zSupport)");
            assertRelative(expected, ownLoop, 1e-12, "compute(...)");
        }
    }

    @Example
    void supervisionSwitchesOffAtTheGivenEpoch() {
        SuNCEtPretrainingLoss loss = objective(1f, 2);
        assertTrue(loss.isSupervisedAt(0));
        assertTrue(loss.isSupervisedAt(1));
        assertFalse(loss.isSupervisedAt(2));
        assertFalse(objective(0f, 10).isSupervisedAt(0));
        double[][] z = LossTesting.gaussian(new Random(1), 10, 4, 1);
        long[] y = {0, 0, 1, 1};
        double contrastiveOnly = ReferenceLosses.ntXent(Arrays.copyOfRange(z, 0, 6), 2, 0.5f);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList labels = new NDList(manager.create(y));
            NDList predictions = new NDList(LossTesting.matrix(manager, z, DataType.FLOAT64));
            loss.setEpoch(1);
            assertTrue(LossTesting.scalar(loss.evaluate(labels, predictions)) > contrastiveOnly + 1e-6);
            loss.setEpoch(2);
            assertRelative(contrastiveOnly, LossTesting.scalar(loss.evaluate(labels, predictions)), 1e-12, "epoch 2");
            // no labels: plain SimCLR on every row
            assertRelative(
                    ReferenceLosses.ntXent(z, 2, 0.5f),
                    LossTesting.scalar(loss.evaluate(new NDList(), predictions)),
                    1e-12,
                    "SimCLR");
        }
    }

    @Example
    void thePredictionIndexPicksZOutOfTheModelsOutputs() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList labels = new NDList(manager.create(new long[] {0, 0, 1, 1}));
            NDArray h = manager.randomNormal(new Shape(10, 7));
            NDArray z = manager.randomNormal(new Shape(10, 4)); // [6 unlabeled views; 4 support]
            SuNCEtPretrainingLoss last = objective(1f, 5);
            assertEquals(-1, last.getPredictionIndex());
            assertFalse(last.isSeparateSupport());
            double alone = LossTesting.scalar(last.evaluate(labels, new NDList(z)));
            assertEquals(alone, LossTesting.scalar(last.evaluate(labels, new NDList(h, z))), "NDList(h, z)");
            SuNCEtPretrainingLoss first = builder(1f, 5).optPredictionIndex(0).build();
            assertEquals(alone, LossTesting.scalar(first.evaluate(labels, new NDList(z, h))), "index 0");
            SuNCEtPretrainingLoss separate = builder(1f, 5).optSeparateSupport(true).build();
            assertTrue(separate.isSeparateSupport());
            NDList parts = new NDList(z.get("0:6"), z.get("6:"));
            assertRelative(alone, LossTesting.scalar(separate.evaluate(labels, parts)), 1e-6, "separate support");
            // the components' own indices play no part
            SuNCEtPretrainingLoss componentsIndexed =
                    builder(1f, 5)
                            .optContrastiveLoss(NtXentLoss.builder().optTemperature(0.5f).optPredictionIndex(3).build())
                            .optSupervisedLoss(SuNCEtLoss.builder().optTemperature(0.2f).optPredictionIndex(3).build())
                            .build();
            assertEquals(alone, LossTesting.scalar(componentsIndexed.evaluate(labels, new NDList(h, z))), "components");
            assertEquals(
                    alone,
                    LossTesting.scalar(componentsIndexed.compute(z.get("0:6"), z.get("6:"), labels.head(), 0)),
                    "compute");
        }
    }

    @Example
    void aTwoArrayListIsReadAsHAndZUnlessTheSupportIsSeparate() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList labels = new NDList(manager.create(new long[] {0, 0, 1, 1}));
            NDList parts =
                    new NDList(manager.randomNormal(new Shape(6, 4)), manager.randomNormal(new Shape(4, 4)));
            // the old two-array form given to a default loss: z = zSupport, every row is support
            assertMessage("optSeparateSupport(true)", () -> objective(1f, 5).evaluate(labels, parts));
            SuNCEtPretrainingLoss separate = builder(1f, 5).optSeparateSupport(true).build();
            IllegalArgumentException one =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> separate.evaluate(labels, new NDList(parts.head())));
            assertEquals(
                    "predictions must be NDList(zUnlabeled, zSupport) with separate support, got [(6, 4)]",
                    one.getMessage());
        }
        assertMessage(
                "exclude each other",
                () -> builder(1f, 5).optSeparateSupport(true).optPredictionIndex(1).build());
        assertMessage("predictionIndex must be >= 0, or -1", () -> builder(1f, 5).optPredictionIndex(-3).build());
    }

    @Example
    void theEpochListenerFollowsTraining() {
        SuNCEtPretrainingLoss loss = objective(1f, 2);
        loss.setEpoch(5);
        var listener = loss.epochListener();
        listener.onTrainingBegin(null);
        assertEquals(0, loss.getEpoch());
        listener.onEpoch(null);
        listener.onEpoch(null);
        assertEquals(2, loss.getEpoch());
    }

    @Example
    void accumulatesFloat64Values() {
        SuNCEtPretrainingLoss loss = objective(1f, 2);
        double[][] z = LossTesting.gaussian(new Random(2), 8, 4, 1);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList labels = new NDList(manager.create(new long[] {0, 0, 1, 1}));
            NDList predictions = new NDList(LossTesting.matrix(manager, z, DataType.FLOAT64));
            double value = LossTesting.scalar(loss.evaluate(labels, predictions));
            loss.addAccumulator("train");
            loss.updateAccumulator("train", labels, predictions);
            loss.updateAccumulator("train", labels, predictions);
            assertEquals((float) value, loss.getAccumulator("train"), 1e-6f);
            loss.resetAccumulator("train");
            assertTrue(Float.isNaN(loss.getAccumulator("train")));
        }
    }

    @Example
    void badInputIsRejectedWithTheReason() {
        assertMessage("supervisedWeight", () -> objective(-1f, 1));
        assertMessage("supervisedWeight", () -> objective(Float.NaN, 1));
        assertMessage("supervisedEpochs", () -> objective(1f, -1));
        assertMessage("epoch", () -> objective(1f, 1).setEpoch(-1));
        SuNCEtPretrainingLoss loss = objective(1f, 5);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList predictions = new NDList(manager.randomNormal(new ai.djl.ndarray.types.Shape(4, 3)));
            assertMessage(
                    "support rows",
                    () -> loss.evaluate(new NDList(manager.create(new long[] {0, 0, 1, 1, 2})), predictions));
            assertMessage(
                    "divisible",
                    () -> loss.evaluate(new NDList(manager.create(new long[] {0})), predictions));
            assertMessage(
                    "no row has a positive",
                    () -> loss.evaluate(new NDList(manager.create(new long[] {0, 1})), predictions));
            NDList twoLabels =
                    new NDList(manager.create(new long[] {0, 0}), manager.create(new long[] {1, 1}));
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> loss.evaluate(twoLabels, predictions));
            assertEquals("labels must hold one array, got 2: [(2), (2)]", e.getMessage());
            NDList outputs = new NDList(predictions.head(), manager.randomNormal(new Shape(4, 2)));
            assertMessage(
                    "predictionIndex 2 is outside predictions of 2 arrays: [(4, 3), (4, 2)]",
                    () -> builder(1f, 5).optPredictionIndex(2).build().evaluate(new NDList(), outputs));
            assertMessage("predictions must hold at least one array", () -> loss.evaluate(null, new NDList()));
        }
    }
}
