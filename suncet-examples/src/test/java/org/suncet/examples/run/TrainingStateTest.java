package org.suncet.examples.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class TrainingStateTest {

    @Property(tries = 50)
    void roundTripsThroughItsEncoding(
            @ForAll @IntRange(min = 0, max = 10_000) int epochs,
            @ForAll long steps,
            @ForAll long seed,
            @ForAll Map<String, String> counters) throws IOException {
        Map<String, String> clean = new HashMap<>();
        counters.forEach((k, v) -> {
            if (!k.isEmpty()) {
                clean.put(k, v);
            }
        });
        TrainingState state = new TrainingState(epochs, Math.abs(steps % 1_000_000_000L), seed, clean);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        state.writeTo(new DataOutputStream(bytes));
        TrainingState back = TrainingState.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertEquals(state, back);
    }

    @Test
    void countersAreCopiedAndKeptInKeyOrder() {
        Map<String, String> counters = new HashMap<>(Map.of("b", "2", "a", "1", "c", "3"));
        TrainingState state = new TrainingState(1, 2, 3, counters);
        counters.put("d", "4");
        assertEquals(List.of("a", "b", "c"), List.copyOf(state.counters().keySet()));
        assertThrows(UnsupportedOperationException.class, () -> state.counters().put("e", "5"));
    }

    @Test
    void epochSeedsAreDeterministicAndDistinct() {
        Set<Long> seen = new HashSet<>();
        for (long seed = 0; seed < 20; seed++) {
            for (int epoch = 0; epoch < 50; epoch++) {
                assertEquals(TrainingState.seedForEpoch(seed, epoch), TrainingState.seedForEpoch(seed, epoch));
                seen.add(TrainingState.seedForEpoch(seed, epoch));
            }
        }
        assertEquals(20 * 50, seen.size());
        assertNotEquals(TrainingState.seedForEpoch(0, 1), TrainingState.seedForEpoch(1, 0));
    }

    @Test
    void badValuesAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TrainingState(-1, 0, 0))
                .getMessage().contains("epochsCompleted must be >= 0, got -1"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TrainingState(0, -5, 0))
                .getMessage().contains("stepsCompleted must be >= 0, got -5"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TrainingState(0, 0, 0, null))
                .getMessage().contains("counters"));
        Map<String, String> nullValue = new HashMap<>();
        nullValue.put("k", null);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TrainingState(0, 0, 0, nullValue))
                .getMessage().contains("counter 'k'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TrainingState.seedForEpoch(1, -2))
                .getMessage().contains("epoch must be >= 0, got -2"));
    }
}
