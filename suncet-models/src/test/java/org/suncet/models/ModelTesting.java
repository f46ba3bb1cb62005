package org.suncet.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;

/** Shared helpers for the model tests: seeded initialisation and forward passes. */
final class ModelTesting {

    private ModelTesting() {}

    /** Seeds the engine and initialises {@code block} for {@code inputShape} in {@code manager}. */
    static void initialize(Block block, NDManager manager, int seed, Shape inputShape) {
        Engine.getInstance().setRandomSeed(seed);
        block.initialize(manager, DataType.FLOAT32, inputShape);
    }

    /** A seeded standard-normal array. */
    static NDArray normal(NDManager manager, int seed, Shape shape) {
        Engine.getInstance().setRandomSeed(seed);
        return manager.randomNormal(shape);
    }

    /** One forward pass through a fresh parameter store, outputs owned by the inputs' manager. */
    static NDList forward(Block block, NDArray input, boolean training) {
        ParameterStore store = new ParameterStore(input.getManager(), false);
        return block.forward(store, new NDList(input), training);
    }

    /** The single output of a forward pass. */
    static NDArray forwardSingle(Block block, NDArray input, boolean training) {
        return forward(block, input, training).singletonOrThrow();
    }

    /** Asserts bit-identical float32 contents. */
    static void assertBitIdentical(NDArray expected, NDArray actual) {
        assertEquals(expected.getShape(), actual.getShape());
        assertArrayEquals(expected.toFloatArray(), actual.toFloatArray(), 0f);
    }

    /** Largest absolute difference. */
    static float maxAbsDifference(NDArray a, NDArray b) {
        try (NDArray difference = a.sub(b);
                NDArray absolute = difference.abs();
                NDArray max = absolute.max()) {
            return max.getFloat();
        }
    }
}
