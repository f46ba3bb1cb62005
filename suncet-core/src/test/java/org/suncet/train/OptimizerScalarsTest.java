package org.suncet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class OptimizerScalarsTest {

    /**
     * Fixed numbers are made once per device and kept; a varying one is kept while its value
     * holds and made again (the old array closed) when it changes; both are 0-dimensional float32
     * arrays holding exactly the float given, and are made again once their manager released them.
     */
    @Test
    void keepsFixedNumbersAndRemakesAVaryingOneOnlyWhenItChanges() {
        OptimizerScalars scalars = new OptimizerScalars(0f, 0.9f, 1e-6f);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray weight = manager.ones(new Shape(3, 2), DataType.FLOAT64);
            NDArray momentum = scalars.fixed(1, weight);
            assertSame(momentum, scalars.fixed(1, weight));
            assertEquals(new Shape(), momentum.getShape());
            assertEquals(DataType.FLOAT32, momentum.getDataType());
            assertEquals(weight.getDevice(), momentum.getDevice());
            assertEquals(0.9f, momentum.getFloat());
            assertEquals(1e-6f, scalars.fixed(2, weight).getFloat());
            assertEquals(0f, scalars.fixed(0, weight).getFloat());

            NDArray rate = scalars.varying(0.3f, weight);
            assertSame(rate, scalars.varying(0.3f, weight));
            NDArray next = scalars.varying(0.25f, weight);
            assertNotSame(rate, next);
            assertTrue(rate.isReleased(), "the previous learning rate's array is closed");
            assertEquals(0.25f, next.getFloat());
            // the product by a kept array is the product by the Java float, bit for bit
            NDArray values = manager.randomNormal(new Shape(50));
            assertEquals(
                    values.mul(0.9f).toType(DataType.FLOAT64, false).sum().getDouble(),
                    values.mul(momentum).toType(DataType.FLOAT64, false).sum().getDouble());
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray weight = manager.ones(new Shape(2));
            NDArray momentum = scalars.fixed(1, weight);
            assertTrue(!momentum.isReleased(), "made again after the first manager closed");
            assertEquals(0.9f, momentum.getFloat());
            assertEquals(0.25f, scalars.varying(0.25f, weight).getFloat());
        }
    }
}
