package org.suncet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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

class NesterovSgdMomentumStateTest {

    static final MomentumStateTestSupport.Subject NESTEROV =
            new MomentumStateTestSupport.Subject() {
                @Override
                public Optimizer build(Block block, int beginNumUpdate) {
                    return NesterovSgd.builder()
                            .setLearningRateTracker(t -> 0.1f * t)
                            .optParameters(block)
                            .optBeginNumUpdate(beginNumUpdate)
                            .build();
                }

                @Override
                public Map<String, NDArray> export(Optimizer optimizer) {
                    return ((NesterovSgd) optimizer).momentumState();
                }

                @Override
                public void load(Optimizer optimizer, Map<String, NDArray> state) {
                    ((NesterovSgd) optimizer).loadMomentumState(state);
                }
            };

    @Test
    void exportedBuffersAndUpdateCountResumeExactlyInAnotherOptimizer() {
        Map<String, Map<String, float[]>> results =
                MomentumStateTestSupport.run(NESTEROV, MomentumStateTestSupport::encodeDecode);
        results.get("uninterrupted")
                .forEach((name, values) -> assertArrayEquals(values, results.get("resumed").get(name), name));
        assertFalse(Arrays.equals(results.get("uninterrupted").get("weight"), results.get("resumedWithoutBuffers").get("weight")));
    }

    @Test
    void withoutParameterNamesExportAndImportAreRefused() {
        NesterovSgd anonymous = NesterovSgd.builder().setLearningRateTracker(t -> 0.1f).build();
        assertThrows(IllegalStateException.class, anonymous::momentumState);
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThrows(
                    IllegalStateException.class,
                    () -> anonymous.loadMomentumState(Map.of("weight", manager.zeros(new Shape(2, 3)))));
        }
    }
}
