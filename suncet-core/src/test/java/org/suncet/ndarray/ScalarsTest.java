package org.suncet.ndarray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class ScalarsTest {

    private static final int TRIALS = 10;

    /**
     * Counts the trials in which the gradient of {@code sum(op(x))}, with a garbage collection and
     * memory reuse between forward and backward, differs from {@code expected}.
     */
    private static int corruptedTrials(UnaryOperator<NDArray> op, float[] x0, float[] expected) {
        int corrupted = 0;
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int trial = 0; trial < TRIALS; trial++) {
                try (NDManager step = manager.newSubManager()) {
                    NDArray x = step.create(x0);
                    x.setRequiresGradient(true);
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        NDArray y = op.apply(x).sum();
                        FreedMemory.collectAndScribble();
                        collector.backward(y);
                    }
                    float[] gradient = x.getGradient().toFloatArray();
                    for (int i = 0; i < expected.length; i++) {
                        if (Math.abs(gradient[i] - expected[i]) > 1e-6f * Math.max(1, Math.abs(expected[i]))) {
                            corrupted++;
                            break;
                        }
                    }
                }
            }
        }
        return corrupted;
    }

    @Test
    void theHarnessCatchesDjlsNumberOverloadReadingFreedMemory() {
        // DJL 0.35.1's own x.mul(3f): the gradient must be 3, but backward reads a freed scalar.
        // If DJL fixes this, this test fails: then Scalars may be retired.
        int corrupted = corruptedTrials(x -> x.mul(3f), new float[] {1, 2, 3}, new float[] {3, 3, 3});
        assertTrue(corrupted > 0, "expected DJL's mul(Number) to read freed memory under the harness");
    }

    @Test
    void mulDivAndMaximumKeepTheirScalarAlive() {
        float[] x0 = {0.5f, 2f, 3f};
        assertEquals(0, corruptedTrials(x -> Scalars.mul(x, 3), x0, new float[] {3, 3, 3}));
        assertEquals(0, corruptedTrials(x -> Scalars.div(x, 4), x0, new float[] {0.25f, 0.25f, 0.25f}));
        assertEquals(0, corruptedTrials(x -> Scalars.maximum(x, 1), x0, new float[] {0, 1, 1}));
    }

    @Test
    void scalarTakesDtypeDeviceAndFullPrecision() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray like64 = manager.zeros(new Shape(2), DataType.FLOAT64);
            NDArray s64 = Scalars.of(like64, 0.1);
            assertEquals(DataType.FLOAT64, s64.getDataType());
            assertEquals(new Shape(), s64.getShape());
            assertEquals(0.1, s64.getDouble(), 0.0);
            NDArray s32 = Scalars.of(manager.zeros(new Shape(2)), 0.1);
            assertEquals(DataType.FLOAT32, s32.getDataType());
            assertEquals(0.1f, s32.getFloat(), 0f);
            assertEquals(like64.getDevice(), s64.getDevice());
        }
    }

    @Test
    void ownedCopiesValuesAndClosesTheOriginal() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray fromJava = manager.create(new float[] {1, 2, 3, 4}, new Shape(2, 2));
            NDArray copy = Scalars.owned(fromJava);
            assertArrayEquals(new float[] {1, 2, 3, 4}, copy.toFloatArray());
            assertEquals(new Shape(2, 2), copy.getShape());
            assertTrue(fromJava.isReleased());
            // a view of the copy outlives the collection of the original's buffer
            NDArray view = copy.reshape(4);
            FreedMemory.collectAndScribble();
            assertArrayEquals(new float[] {1, 2, 3, 4}, view.toFloatArray());
        }
    }
}
