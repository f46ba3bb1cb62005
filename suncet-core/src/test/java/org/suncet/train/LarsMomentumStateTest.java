package org.suncet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.optimizer.Optimizer;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;

class LarsMomentumStateTest {

    static final MomentumStateTestSupport.Subject LARS =
            new MomentumStateTestSupport.Subject() {
                @Override
                public Optimizer build(Block block, int beginNumUpdate) {
                    return Lars.builder()
                            .setLearningRateTracker(t -> 0.1f * t) // a wrong update count shows
                            .setParameters(block)
                            .optExclusion(name -> name.endsWith("bias"))
                            .optWeightDecays(0.01f)
                            .optBeginNumUpdate(beginNumUpdate)
                            .build();
                }

                @Override
                public Map<String, NDArray> export(Optimizer optimizer) {
                    return ((Lars) optimizer).momentumState();
                }

                @Override
                public void load(Optimizer optimizer, Map<String, NDArray> state) {
                    ((Lars) optimizer).loadMomentumState(state);
                }
            };

    @Test
    void exportedBuffersAndUpdateCountResumeExactlyInAnotherOptimizer() {
        Map<String, Map<String, float[]>> results =
                MomentumStateTestSupport.run(LARS, MomentumStateTestSupport::encodeDecode);
        Map<String, float[]> whole = results.get("uninterrupted");
        Map<String, float[]> resumed = results.get("resumed");
        assertEquals(whole.keySet(), resumed.keySet());
        whole.forEach((name, values) -> assertArrayEquals(values, resumed.get(name), name));
        // the buffers matter: without them the third update differs
        Map<String, float[]> without = results.get("resumedWithoutBuffers");
        assertFalse(Arrays.equals(whole.get("weight"), without.get("weight")));
    }

    @Test
    void exportIsKeyedByNameAndHoldsOnlyUpdatedParameters() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = MomentumStateTestSupport.block(manager);
            Lars lars = (Lars) LARS.build(block, 0);
            assertEquals(Map.of(), lars.momentumState());
            MomentumStateTestSupport.steps(manager, lars, block, 0, 1);
            assertEquals(java.util.List.of("bias", "weight"), java.util.List.copyOf(lars.momentumState().keySet()));
            assertEquals(new Shape(2, 3), lars.momentumState().get("weight").getShape());
        }
    }

    @Test
    void unknownNamesAndWrongShapesAreRefused() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = MomentumStateTestSupport.block(manager);
            Lars lars = (Lars) LARS.build(block, 0);
            IllegalArgumentException unknown =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> lars.loadMomentumState(Map.of("nope", manager.zeros(new Shape(2)))));
            assertEquals(true, unknown.getMessage().contains("'nope'"), unknown.getMessage());
            assertThrows(
                    IllegalArgumentException.class,
                    () -> lars.loadMomentumState(Map.of("weight", manager.zeros(new Shape(3, 2)))));
            assertThrows(IllegalArgumentException.class, () -> lars.loadMomentumState(null));
        }
    }
}
