package org.suncet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.suncet.train.LarsTest.assertMessage;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;

import org.junit.jupiter.api.Test;

import java.util.Random;

class SoftNearestNeighbourTest {

    /** Plain double loops: softmax over training rows of cosine / τ, summed per class. */
    static double[][] reference(
            double[][] queries, double[][] train, long[] labels, int classes, double temperature) {
        double[][] q = normalised(queries);
        double[][] t = normalised(train);
        double[][] out = new double[q.length][classes];
        for (int i = 0; i < q.length; i++) {
            double[] logits = new double[t.length];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < t.length; j++) {
                double dot = 0;
                for (int d = 0; d < q[i].length; d++) {
                    dot += q[i][d] * t[j][d];
                }
                logits[j] = dot / temperature;
                max = Math.max(max, logits[j]);
            }
            double sum = 0;
            for (int j = 0; j < t.length; j++) {
                sum += Math.exp(logits[j] - max);
            }
            for (int j = 0; j < t.length; j++) {
                out[i][(int) labels[j]] += Math.exp(logits[j] - max) / sum;
            }
        }
        return out;
    }

    private static double[][] normalised(double[][] x) {
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            double norm = 0;
            for (double v : x[i]) {
                norm += v * v;
            }
            norm = Math.max(Math.sqrt(norm), 1e-12);
            out[i] = new double[x[i].length];
            for (int d = 0; d < x[i].length; d++) {
                out[i][d] = x[i][d] / norm;
            }
        }
        return out;
    }

    static double[][] random(Random random, int rows, int columns) {
        double[][] x = new double[rows][columns];
        for (double[] row : x) {
            for (int d = 0; d < columns; d++) {
                row[d] = random.nextGaussian();
            }
        }
        return x;
    }

    static NDArray matrix(NDManager manager, double[][] values) {
        double[] flat = new double[values.length * values[0].length];
        for (int i = 0; i < values.length; i++) {
            System.arraycopy(values[i], 0, flat, i * values[0].length, values[0].length);
        }
        return manager.create(flat, new Shape(values.length, values[0].length));
    }

    @Property(tries = 40)
    void probabilitiesMatchTheDoubleLoopReference(
            @ForAll @IntRange(min = 1, max = 12) int queries,
            @ForAll @IntRange(min = 1, max = 15) int trainRows,
            @ForAll @IntRange(min = 1, max = 6) int dimension,
            @ForAll @IntRange(min = 1, max = 5) int classes,
            @ForAll @IntRange(min = 1, max = 7) int chunkSize,
            @ForAll @FloatRange(min = 0.05f, max = 2f) float temperature,
            @ForAll long seed) {
        Random random = new Random(seed);
        double[][] q = random(random, queries, dimension);
        double[][] t = random(random, trainRows, dimension);
        long[] labels = new long[trainRows];
        for (int j = 0; j < trainRows; j++) {
            labels[j] = random.nextInt(classes);
        }
        double[][] expected = reference(q, t, labels, classes, temperature);
        SoftNearestNeighbour snn =
                SoftNearestNeighbour.builder()
                        .setNumClasses(classes)
                        .optTemperature(temperature)
                        .optChunkSize(chunkSize)
                        .build();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray queryArray = matrix(manager, q);
            NDArray trainArray = matrix(manager, t);
            NDArray labelArray = manager.create(labels);
            int before = manager.getManagedArrays().size();
            NDArray probabilities = snn.classProbabilities(queryArray, trainArray, labelArray);
            assertEquals(new Shape(queries, classes), probabilities.getShape());
            assertEquals(DataType.FLOAT64, probabilities.getDataType());
            double[] flat = probabilities.toDoubleArray();
            for (int i = 0; i < queries; i++) {
                double[] row = new double[classes];
                System.arraycopy(flat, i * classes, row, 0, classes);
                assertArrayEquals(expected[i], row, 1e-10, "query " + i);
            }
            NDArray predicted = snn.predict(queryArray, trainArray, labelArray);
            assertEquals(DataType.INT64, predicted.getDataType());
            long[] classesPredicted = predicted.toLongArray();
            for (int i = 0; i < queries; i++) {
                double best = expected[i][(int) classesPredicted[i]];
                for (double p : expected[i]) {
                    assertTrue(p <= best + 1e-12, "argmax of query " + i);
                }
            }
            probabilities.close();
            predicted.close();
            assertEquals(before, manager.getManagedArrays().size(), "temporaries closed");
        }
    }

    @Test
    void accuracyByHandOnTwoClusters() {
        // class 0 near (1, 0), class 1 near (0, 1); the last query is labeled wrongly on purpose
        double[][] train = {{1, 0.1}, {1, -0.1}, {0.1, 1}, {-0.1, 1}};
        long[] trainLabels = {0, 0, 1, 1};
        double[][] queries = {{2, 0}, {0, 3}, {1, 0.2}, {0.2, 1}};
        float[] queryLabels = {0, 1, 0, 0}; // float32 labels, as Fashion-MNIST gives them
        SoftNearestNeighbour snn =
                SoftNearestNeighbour.builder().setNumClasses(2).optChunkSize(3).build();
        assertEquals(0.1f, snn.getTemperature());
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray q = matrix(manager, queries).toType(DataType.FLOAT32, false);
            NDArray t = matrix(manager, train).toType(DataType.FLOAT32, false);
            NDArray y = manager.create(trainLabels);
            assertArrayEquals(new long[] {0, 1, 0, 1}, snn.predict(q, t, y).toLongArray());
            assertEquals(0.75, snn.accuracy(q, manager.create(queryLabels), t, y), 0);
        }
    }

    /** The probabilities belong to the caller's NDScope, as every operation's result does. */
    @Test
    void aCallersScopeClosesTheProbabilities() {
        SoftNearestNeighbour snn = SoftNearestNeighbour.builder().setNumClasses(2).optChunkSize(2).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray queries = manager.randomNormal(new Shape(5, 3));
            NDArray train = manager.randomNormal(new Shape(4, 3));
            NDArray labels = manager.create(new long[] {0, 1, 0, 1});
            int before = manager.getManagedArrays().size();
            NDArray probabilities;
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                probabilities = snn.classProbabilities(queries, train, labels);
                assertEquals(5, probabilities.getShape().get(0));
            }
            assertTrue(probabilities.isReleased());
            assertEquals(before, manager.getManagedArrays().size());
        }
    }

    @Test
    void aZeroFeatureRowStaysFinite() {
        SoftNearestNeighbour snn = SoftNearestNeighbour.builder().setNumClasses(2).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray q = manager.zeros(new Shape(1, 3));
            NDArray t = manager.create(new float[] {1, 0, 0, 0, 1, 0}, new Shape(2, 3));
            float[] p =
                    snn.classProbabilities(q, t, manager.create(new long[] {0, 1})).toFloatArray();
            // a zero query is equally similar to both: probability ½ each
            assertArrayEquals(new float[] {0.5f, 0.5f}, p, 1e-6f);
        }
    }

    @Test
    void badInputNamesTheArgument() {
        assertMessage("numClasses", () -> SoftNearestNeighbour.builder().build());
        for (float temperature : new float[] {0f, -1f, Float.NaN, Float.POSITIVE_INFINITY}) {
            assertMessage(
                    "temperature",
                    () ->
                            SoftNearestNeighbour.builder()
                                    .setNumClasses(2)
                                    .optTemperature(temperature)
                                    .build());
        }
        assertMessage(
                "chunkSize",
                () -> SoftNearestNeighbour.builder().setNumClasses(2).optChunkSize(0).build());
        SoftNearestNeighbour snn = SoftNearestNeighbour.builder().setNumClasses(3).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray q = manager.ones(new Shape(2, 4));
            NDArray t = manager.ones(new Shape(5, 4));
            NDArray y = manager.create(new long[] {0, 1, 2, 0, 1});
            assertMessage("queries", () -> snn.predict(manager.ones(new Shape(4)), t, y));
            assertMessage("queries", () -> snn.predict(manager.ones(new Shape(0, 4)), t, y));
            assertMessage("trainFeatures", () -> snn.predict(q, manager.ones(new Shape(5, 3)), y));
            assertMessage("trainFeatures", () -> snn.predict(q, manager.ones(new Shape(0, 4)), y));
            assertMessage("dtype", () -> snn.predict(q, t.toType(DataType.FLOAT64, false), y));
            assertMessage(
                    "dtype",
                    () ->
                            snn.predict(
                                    q.toType(DataType.INT32, false),
                                    t.toType(DataType.INT32, false),
                                    y));
            assertMessage(
                    "trainLabels", () -> snn.predict(q, t, manager.create(new long[] {0, 1})));
            assertMessage(
                    "trainLabels",
                    () -> snn.predict(q, t, manager.create(new long[] {0, 1, 3, 0, 1})));
            assertMessage(
                    "trainLabels",
                    () -> snn.predict(q, t, manager.create(new long[] {0, 1, -1, 0, 1})));
            assertMessage(
                    "trainLabels",
                    () -> snn.predict(q, t, manager.create(new float[] {0, 1, 1.5f, 0, 1})));
            assertMessage(
                    "queryLabels", () -> snn.accuracy(q, manager.create(new long[] {0}), t, y));
            assertMessage(
                    "queryLabels", () -> snn.accuracy(q, manager.create(new long[] {0, 7}), t, y));
        }
    }
}
