package org.suncet.loss;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.Loss;
import java.util.Random;
import java.util.function.Function;

/** Shared helpers of the loss tests: arrays from double loops, loss + gradient, comparisons. */
final class LossTesting {

    private LossTesting() {}

    /** A loss value with the gradient with respect to the predictions. */
    record Evaluation(double value, double[][] gradient) {}

    static NDArray matrix(NDManager manager, double[][] values, DataType type) {
        int rows = values.length;
        int cols = values[0].length;
        double[] flat = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(values[i], 0, flat, i * cols, cols);
        }
        return manager.create(flat, new Shape(rows, cols)).toType(type, false);
    }

    static double[][] toMatrix(NDArray array) {
        double[] flat = array.toType(DataType.FLOAT64, false).toDoubleArray();
        int rows = Math.toIntExact(array.getShape().get(0));
        int cols = Math.toIntExact(array.getShape().get(1));
        double[][] out = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(flat, i * cols, out[i], 0, cols);
        }
        return out;
    }

    static double scalar(NDArray array) {
        assertTrue(array.getShape().isScalar(), "loss must be a scalar, got " + array.getShape());
        return array.toType(DataType.FLOAT64, false).getDouble();
    }

    /** Evaluates {@code loss(labels, z)} and its gradient with respect to z. */
    static Evaluation evaluate(Loss loss, NDList labels, double[][] z, DataType type) {
        return evaluate(p -> loss.evaluate(labels, p), z, type);
    }

    static Evaluation evaluate(Function<NDList, NDArray> loss, double[][] z, DataType type) {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray predictions = matrix(manager, z, type);
            predictions.setRequiresGradient(true);
            double value;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray result = loss.apply(new NDList(predictions));
                assertTrue(result.getDataType() == type, "loss dtype " + result.getDataType());
                value = scalar(result);
                collector.backward(result);
            }
            return new Evaluation(value, toMatrix(predictions.getGradient()));
        }
    }

    static double[][] gaussian(Random random, int rows, int cols, double scale) {
        double[][] z = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int d = 0; d < cols; d++) {
                z[i][d] = random.nextGaussian() * scale;
            }
        }
        return z;
    }

    static long[] labels(Random random, int rows, int classes) {
        long[] y = new long[rows];
        for (int i = 0; i < rows; i++) {
            y[i] = random.nextInt(classes);
        }
        return y;
    }

    static boolean hasPositive(long[] y) {
        for (int i = 0; i < y.length; i++) {
            for (int k = i + 1; k < y.length; k++) {
                if (y[i] == y[k]) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * ||a − b|| / (||b|| + 1e-7) over all entries: relative, with an absolute floor for gradients
     * that vanish (a loss of 4e-16 whose true gradient is 1e-20 is computed with 1e-14 rounding).
     */
    static double relativeError(double[][] actual, double[][] expected) {
        return relativeError(actual, expected, 1e-7);
    }

    static double relativeError(double[][] actual, double[][] expected, double floor) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            for (int d = 0; d < expected[i].length; d++) {
                double delta = actual[i][d] - expected[i][d];
                diff += delta * delta;
                norm += expected[i][d] * expected[i][d];
            }
        }
        return Math.sqrt(diff) / (Math.sqrt(norm) + floor);
    }

    /**
     * |a − b| / max(|b|, 1e-4): relative, with an absolute floor for losses that vanish. A loss of
     * exactly 0 (one candidate per row, or P(i) = A(i)) is a difference of two log-sum-exps of
     * similarities up to 1/τ = 20 here, so float64 gives it as 0 or as rounding of order 1e-16 · 20,
     * depending on whether the log-sum-exp is shifted by the very value it is compared with (the
     * reference's row maximum) or not (the fused kernel's bounded cosine path): at a tolerance of
     * 1e-10 the floor admits 1e-14.
     */
    static double relativeError(double actual, double expected) {
        return Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-4);
    }

    static void assertRelative(double expected, double actual, double tolerance, String what) {
        double error = relativeError(actual, expected);
        assertTrue(
                error <= tolerance,
                what + ": expected " + expected + ", got " + actual + " (relative error " + error + ")");
    }

    static void assertRelative(
            double[][] expected, double[][] actual, double tolerance, String what) {
        assertRelative(expected, actual, tolerance, 1e-7, what);
    }

    /** Relative error with an absolute floor on the expected norm (float32: rounding noise). */
    static void assertRelative(
            double[][] expected, double[][] actual, double tolerance, double floor, String what) {
        double error = relativeError(actual, expected, floor);
        assertTrue(error <= tolerance, what + ": relative error " + error + " > " + tolerance);
    }

    /** The Frobenius norm ‖a‖. */
    static double norm(double[][] a) {
        double sum = 0;
        for (double[] row : a) {
            for (double v : row) {
                sum += v * v;
            }
        }
        return Math.sqrt(sum);
    }

    /** The Frobenius norm ‖a − b‖. */
    static double differenceNorm(double[][] a, double[][] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            for (int d = 0; d < a[i].length; d++) {
                sum += (a[i][d] - b[i][d]) * (a[i][d] - b[i][d]);
            }
        }
        return Math.sqrt(sum);
    }

    static boolean allFinite(double[][] values) {
        for (double[] row : values) {
            for (double v : row) {
                if (!Double.isFinite(v)) {
                    return false;
                }
            }
        }
        return true;
    }

    static double[][] permuteRows(double[][] z, int[] order) {
        double[][] out = new double[z.length][];
        for (int i = 0; i < z.length; i++) {
            out[i] = z[order[i]].clone();
        }
        return out;
    }

    static int[] permutation(Random random, int size) {
        int[] order = new int[size];
        for (int i = 0; i < size; i++) {
            order[i] = i;
        }
        for (int i = size - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int keep = order[i];
            order[i] = order[j];
            order[j] = keep;
        }
        return order;
    }
}
