package org.suncet.ndarray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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

    @Test
    void djlsClipLeavesItsBoundsOnTheManagerAndScalarsClipDoesNot() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(new float[] {-2f, -0.5f, 0f, 0.25f, 1f, 3f, Float.NaN, Float.POSITIVE_INFINITY});
            assertEquals(1, manager.getManagedArrays().size());
            NDArray djl = x.clip(0f, 1f);
            // the harness sees the hazard: x, the result and DJL's two bound arrays
            assertEquals(4, manager.getManagedArrays().size());
            try (NDManager clean = NDManager.newBaseManager()) {
                NDArray y = clean.create(x.toFloatArray());
                NDArray ours = Scalars.clip(y, 0, 1);
                assertEquals(2, clean.getManagedArrays().size());
                assertEquals(clean, ours.getManager());
                assertEquals(clean, y.getManager());
                assertArrayEquals(new float[] {0f, 0f, 0f, 0.25f, 1f, 1f, Float.NaN, 1f}, ours.toFloatArray());
                assertArrayEquals(djl.toFloatArray(), ours.toFloatArray());
            }
        }
    }

    @Test
    void clipPassesTheGradientInsideItsBounds() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(new float[] {-2f, 0.5f, 3f});
            x.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.backward(Scalars.clip(x, -1, 1).sum());
            }
            assertArrayEquals(new float[] {0f, 1f, 0f}, x.getGradient().toFloatArray());
        }
    }

    @Test
    void clipRejectsNanBoundsAndMinAboveMax() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.zeros(new Shape(2));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Scalars.clip(x, 1, 0));
            assertTrue(e.getMessage().contains("min = 1.0 and max = 0.0"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Scalars.clip(x, Double.NaN, 0));
            assertThrows(IllegalArgumentException.class, () -> Scalars.clip(x, 0, Double.NaN));
            assertEquals(1, manager.getManagedArrays().size());
        }
    }
}
