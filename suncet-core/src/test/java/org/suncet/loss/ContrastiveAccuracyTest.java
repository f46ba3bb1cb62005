package org.suncet.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.suncet.loss.SupervisedLossContract.assertMessage;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Random;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class ContrastiveAccuracyTest {

    /** Plain loop: fraction of rows whose most similar other row shares its id. */
    static double reference(double[][] z, long[] ids) {
        double[][] s = ReferenceLosses.cosine(z, 1);
        int correct = 0;
        for (int i = 0; i < z.length; i++) {
            int best = -1;
            for (int k = 0; k < z.length; k++) {
                if (k != i && (best < 0 || s[i][k] > s[i][best])) {
                    best = k;
                }
            }
            correct += ids[best] == ids[i] ? 1 : 0;
        }
        return (double) correct / z.length;
    }

    @Property(tries = 40)
    void matchesTheLoopForViewsAndForLabels(
            @ForAll long seed, @ForAll @IntRange(min = 1, max = 32) int images) {
        Random random = new Random(seed);
        double[][] z = LossTesting.gaussian(random, 2 * images, 4, 1);
        long[] classes = LossTesting.labels(random, 2 * images, 3);
        ContrastiveAccuracy accuracy = new ContrastiveAccuracy();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList predictions = new NDList(LossTesting.matrix(manager, z, DataType.FLOAT64));
            double views = accuracy.evaluate(null, predictions).getFloat();
            assertEquals(reference(z, ReferenceLosses.imageLabels(2 * images, 2)), views, 1e-6);
            double labeled = accuracy.evaluate(new NDList(manager.create(classes)), predictions).getFloat();
            assertEquals(reference(z, classes), labeled, 1e-6);
        }
    }

    @Example
    void accumulatesOverBatches() {
        ContrastiveAccuracy accuracy = new ContrastiveAccuracy();
        try (NDManager manager = NDManager.newBaseManager()) {
            // two images, both views identical: every row finds its other view
            NDList perfect = new NDList(manager.create(new float[][] {{1, 0}, {0, 1}, {1, 0}, {0, 1}}));
            // views swapped between images: every row finds the wrong image
            NDList wrong = new NDList(manager.create(new float[][] {{1, 0}, {0, 1}, {0, 1}, {1, 0}}));
            accuracy.addAccumulator("train");
            accuracy.updateAccumulator("train", null, perfect);
            accuracy.updateAccumulator("train", null, wrong);
            assertEquals(0.5f, accuracy.getAccumulator("train"), 1e-6f);
        }
        assertMessage("viewsPerImage", () -> new ContrastiveAccuracy("acc", 1));
    }

    @Example
    void thePredictionIndexPicksZOutOfTheModelsOutputs() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList z = new NDList(manager.create(new float[][] {{1, 0}, {0, 1}, {1, 0.1f}, {0.1f, 1}}));
            NDList h = new NDList(manager.create(new float[][] {{1, 0}, {0, 1}, {0, 1}, {1, 0}}));
            assertEquals(1f, new ContrastiveAccuracy().evaluate(null, new NDList(h.head(), z.head())).getFloat());
            assertEquals(0f, new ContrastiveAccuracy("acc", 2, 0).evaluate(null, new NDList(h.head(), z.head())).getFloat());
            assertEquals(-1, new ContrastiveAccuracy().getPredictionIndex());
            assertMessage(
                    "predictionIndex 2 is outside predictions of 2 arrays: [(4, 2), (4, 2)]",
                    () -> new ContrastiveAccuracy("acc", 2, 2).evaluate(null, new NDList(h.head(), z.head())));
        }
        assertMessage("predictionIndex", () -> new ContrastiveAccuracy("acc", 2, -2));
    }

    @Example
    void nonFiniteEmbeddingsAreRejectedNotScored() {
        try (NDManager manager = NDManager.newBaseManager()) {
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                NDList z = new NDList(manager.create(new float[][] {{1, 0}, {0, bad}, {1, 0}, {0, 1}}));
                assertMessage(
                        "predictions must be finite, got NaN or Inf in embeddings of shape (4, 2)",
                        () -> new ContrastiveAccuracy().evaluate(null, z));
                ContrastiveAccuracy accumulating = new ContrastiveAccuracy();
                accumulating.addAccumulator("train");
                assertMessage("must be finite", () -> accumulating.updateAccumulator("train", null, z));
            }
        }
    }
}
