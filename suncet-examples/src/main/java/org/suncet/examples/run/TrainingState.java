package org.suncet.examples.run;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where a training run stands, as a checkpoint records it: the number of epochs and optimizer
 * steps completed, the run's seed, and named counters for anything else a loop needs to continue
 * exactly (a sampler's position, the SuNCEt switch-off state, a best accuracy so far).
 *
 * <p><b>Resuming with the same results.</b> DJL cannot save the engine's random generator, so a
 * loop that must end a resumed run with the same metrics as an uninterrupted one reseeds every
 * random stream at the start of each epoch from {@link #seedForEpoch(long, int)}: restarting at
 * epoch {@code e} then needs only {@link #seed()} and {@link #epochsCompleted()}. The optimizer's
 * internal buffers (momentum) are not reachable through DJL's {@code Optimizer} API; an optimizer
 * that exposes them can store them as named arrays of the {@link Checkpoint}.
 *
 * @param epochsCompleted epochs finished, ≥ 0; training resumes at epoch index {@code
 *     epochsCompleted} (0-based)
 * @param stepsCompleted optimizer steps finished over the whole run, ≥ 0
 * @param seed the run's seed
 * @param counters further named values, copied and kept in key order; no null keys or values
 */
public record TrainingState(int epochsCompleted, long stepsCompleted, long seed, Map<String, String> counters) {

    /**
     * Checks and copies the arguments.
     *
     * @throws IllegalArgumentException for negative counts or null or empty counter names or null
     *     values
     */
    public TrainingState {
        if (epochsCompleted < 0) {
            throw new IllegalArgumentException("epochsCompleted must be >= 0, got " + epochsCompleted);
        }
        if (stepsCompleted < 0) {
            throw new IllegalArgumentException("stepsCompleted must be >= 0, got " + stepsCompleted);
        }
        if (counters == null) {
            throw new IllegalArgumentException("counters must not be null (use Map.of())");
        }
        TreeMap<String, String> copy = new TreeMap<>();
        for (Map.Entry<String, String> entry : counters.entrySet()) {
            if (entry.getKey() == null || entry.getKey().isEmpty()) {
                throw new IllegalArgumentException("counter names must be non-empty, got '" + entry.getKey() + "'");
            }
            if (entry.getValue() == null) {
                throw new IllegalArgumentException("counter '" + entry.getKey() + "' must not be null");
            }
            copy.put(entry.getKey(), entry.getValue());
        }
        counters = Collections.unmodifiableMap(copy);
    }

    /**
     * A state with no counters.
     *
     * @param epochsCompleted epochs finished
     * @param stepsCompleted optimizer steps finished
     * @param seed the run's seed
     */
    public TrainingState(int epochsCompleted, long stepsCompleted, long seed) {
        this(epochsCompleted, stepsCompleted, seed, Map.of());
    }

    /**
     * The seed for the random streams of epoch {@code epoch} of a run seeded with {@code seed}: a
     * SplitMix64 mix of the two, so neighbouring epochs and neighbouring seeds get unrelated
     * streams. The same arguments always give the same value.
     *
     * @param seed the run's seed
     * @param epoch the 0-based epoch index, ≥ 0
     * @return a seed for that epoch
     * @throws IllegalArgumentException if {@code epoch} is negative
     */
    public static long seedForEpoch(long seed, int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
        }
        long z = seed + 0x9E3779B97F4A7C15L * (epoch + 1L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Writes this state in the layout {@link #readFrom} reads.
     *
     * @param out where to write
     * @throws IOException if writing fails
     */
    void writeTo(DataOutput out) throws IOException {
        out.writeInt(epochsCompleted);
        out.writeLong(stepsCompleted);
        out.writeLong(seed);
        out.writeInt(counters.size());
        for (Map.Entry<String, String> entry : counters.entrySet()) {
            out.writeUTF(entry.getKey());
            out.writeUTF(entry.getValue());
        }
    }

    /**
     * Reads a state {@link #writeTo} wrote.
     *
     * @param in where to read
     * @return the state
     * @throws IOException if reading fails
     */
    static TrainingState readFrom(DataInput in) throws IOException {
        int epochs = in.readInt();
        long steps = in.readLong();
        long seed = in.readLong();
        int count = in.readInt();
        if (count < 0) {
            throw new IllegalArgumentException("negative counter count " + count);
        }
        TreeMap<String, String> counters = new TreeMap<>();
        for (int i = 0; i < count; i++) {
            counters.put(in.readUTF(), in.readUTF());
        }
        return new TrainingState(epochs, steps, seed, counters);
    }
}
