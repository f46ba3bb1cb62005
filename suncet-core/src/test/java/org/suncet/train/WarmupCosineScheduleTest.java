package org.suncet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.suncet.train.LarsTest.assertMessage;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;

import org.junit.jupiter.api.Test;

class WarmupCosineScheduleTest {

    @Test
    void valuesAtWarmupEndMiddleAndEndByHand() {
        // p = 0.8, W = 10, T = 110: warm-up end at t = 10, decay midpoint at t = 60, end at 110
        WarmupCosineSchedule schedule =
                WarmupCosineSchedule.builder()
                        .setPeakValue(0.8f)
                        .setTotalSteps(110)
                        .optWarmupSteps(10)
                        .build();
        assertEquals(0f, schedule.getNewValue(0));
        assertEquals(0.08f, schedule.getNewValue(1), 1e-7f);
        assertEquals(0.4f, schedule.getNewValue(5), 1e-7f);
        assertEquals(0.8f, schedule.getNewValue(10));
        assertEquals(0.4f, schedule.getNewValue(60), 1e-7f);
        // a quarter into the decay: 0.8 · ½ · (1 + cos(π/4))
        assertEquals(0.8 * 0.5 * (1 + Math.sqrt(0.5)), schedule.getNewValue(35), 1e-7);
        assertEquals(0f, schedule.getNewValue(110));
        assertEquals(0f, schedule.getNewValue(500));
        assertTrue(schedule.getNewValue(109) > 0f);
    }

    @Test
    void decaysToAGivenFloorExactly() {
        WarmupCosineSchedule schedule =
                WarmupCosineSchedule.builder()
                        .setPeakValue(1f)
                        .setTotalSteps(20)
                        .optFinalValue(0.1f)
                        .build();
        assertEquals(1f, schedule.getNewValue(0));
        assertEquals(0.55f, schedule.getNewValue(10), 1e-7f);
        assertEquals(0.1f, schedule.getNewValue(20));
        assertEquals(0.1f, schedule.getNewValue(21));
    }

    @Test
    void warmupFractionRoundsToSteps() {
        WarmupCosineSchedule schedule =
                WarmupCosineSchedule.builder()
                        .setPeakValue(1f)
                        .setTotalSteps(1000)
                        .optWarmupFraction(0.05)
                        .build();
        assertEquals(50, schedule.getWarmupSteps());
        assertEquals(1f, schedule.getNewValue(50));
        assertEquals(
                3,
                WarmupCosineSchedule.builder()
                        .setPeakValue(1f)
                        .setTotalSteps(10)
                        .optWarmupFraction(0.5)
                        .optWarmupSteps(3)
                        .build()
                        .getWarmupSteps());
    }

    @Property(tries = 200)
    void risesThroughWarmupThenFallsToTheFinalValue(
            @ForAll @IntRange(min = 1, max = 400) int totalSteps,
            @ForAll @IntRange(min = 0, max = 399) int warmupRaw,
            @ForAll @FloatRange(min = 0.01f, max = 10f) float peak,
            @ForAll @FloatRange(min = 0f, max = 1f) float floorShare) {
        int warmup = warmupRaw % totalSteps;
        float floor = peak * floorShare;
        WarmupCosineSchedule schedule =
                WarmupCosineSchedule.builder()
                        .setPeakValue(peak)
                        .setTotalSteps(totalSteps)
                        .optWarmupSteps(warmup)
                        .optFinalValue(floor)
                        .build();
        for (int t = 1; t <= warmup; t++) {
            assertTrue(schedule.getNewValue(t) >= schedule.getNewValue(t - 1), "warm-up at " + t);
        }
        for (int t = warmup + 1; t <= totalSteps; t++) {
            assertTrue(schedule.getNewValue(t) <= schedule.getNewValue(t - 1), "decay at " + t);
        }
        for (int t = 0; t <= totalSteps + 2; t++) {
            float value = schedule.getNewValue(t);
            assertTrue(value >= 0f && value <= peak, "value " + value + " at " + t);
        }
        assertEquals(peak, schedule.getNewValue(warmup));
        assertEquals(floor, schedule.getNewValue(totalSteps));
    }

    @Test
    void badSettingsNameTheArgument() {
        assertMessage("peakValue", () -> WarmupCosineSchedule.builder().setTotalSteps(5).build());
        for (float peak : new float[] {0f, -1f, Float.NaN, Float.POSITIVE_INFINITY}) {
            assertMessage(
                    "peakValue",
                    () ->
                            WarmupCosineSchedule.builder()
                                    .setPeakValue(peak)
                                    .setTotalSteps(5)
                                    .build());
        }
        assertMessage("totalSteps", () -> WarmupCosineSchedule.builder().setPeakValue(1f).build());
        for (float floor : new float[] {-0.1f, 1.5f, Float.NaN}) {
            assertMessage("finalValue", () -> valid().optFinalValue(floor).build());
        }
        for (int warmup : new int[] {-1, 5, 6}) {
            assertMessage("warmupSteps", () -> valid().optWarmupSteps(warmup).build());
        }
        for (double fraction : new double[] {-0.1, 1.0, Double.NaN}) {
            assertMessage("warmupFraction", () -> valid().optWarmupFraction(fraction).build());
        }
        assertMessage("numUpdate", () -> valid().build().getNewValue(-1));
    }

    private static WarmupCosineSchedule.Builder valid() {
        return WarmupCosineSchedule.builder().setPeakValue(1f).setTotalSteps(5);
    }
}
