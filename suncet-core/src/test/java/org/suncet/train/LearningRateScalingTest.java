package org.suncet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.suncet.train.LarsTest.assertMessage;

import org.junit.jupiter.api.Test;

class LearningRateScalingTest {

    @Test
    void simclrSettingsByHand() {
        // SimCLR v1: 0.3 · 4096 / 256 = 4.8; v2: 0.075 · √4096 = 4.8, 0.1 · √4096 = 6.4
        assertEquals(4.8f, LearningRateScaling.linear(0.3, 4096), 1e-6f);
        assertEquals(4.8f, LearningRateScaling.squareRoot(0.075, 4096), 1e-6f);
        assertEquals(6.4f, LearningRateScaling.SQUARE_ROOT.scale(0.1, 4096), 1e-6f);
        assertEquals(0.05f, LearningRateScaling.LINEAR.scale(0.05, 256), 0f);
        assertEquals(0.3f * 3, LearningRateScaling.squareRoot(0.3, 9), 1e-6f);
    }

    @Test
    void badInputNamesTheArgument() {
        for (double base : new double[] {0, -0.1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertMessage("base", () -> LearningRateScaling.linear(base, 256));
        }
        assertMessage("batchSize", () -> LearningRateScaling.squareRoot(0.1, 0));
    }
}
