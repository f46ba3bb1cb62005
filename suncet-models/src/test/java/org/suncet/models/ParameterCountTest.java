package org.suncet.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;

import org.junit.jupiter.api.Test;

/** Counting: shared parameters once, frozen ones out of the trainable count, bad input. */
class ParameterCountTest {

    @Test
    void sharedParametersCountOnceAndFrozenOnesAreNotTrainable() {
        Linear shared = Linear.builder().setUnits(5).build();
        SequentialBlock twice = new SequentialBlock().add(shared).add(shared);
        try (NDManager manager = NDManager.newBaseManager()) {
            ModelTesting.initialize(twice, manager, 1, new Shape(2, 5));
            assertEquals(5 * 5 + 5, ParameterCount.trainable(twice));
            assertEquals(5 * 5 + 5, ParameterCount.total(twice));
            shared.freezeParameters(true);
            assertEquals(0, ParameterCount.trainable(twice));
            assertEquals(5 * 5 + 5, ParameterCount.total(twice));
        }
    }

    @Test
    void rejectsNullAndUninitialisedBlocks() {
        assertThrows(IllegalArgumentException.class, () -> ParameterCount.trainable(null));
        IllegalStateException error =
                assertThrows(
                        IllegalStateException.class,
                        () -> ParameterCount.total(ResNet.builder().setDepth(18).build()));
        assertEquals(true, error.getMessage().contains("initialise"), error.getMessage());
    }
}
