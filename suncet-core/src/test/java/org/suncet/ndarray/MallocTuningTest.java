package org.suncet.ndarray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MallocTuningTest {

    private static final boolean LINUX =
            System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux");

    @Test
    void itAppliesOnLinuxWithGlibcAndLaterCallsReturnTheSameOutcome() {
        assumeTrue(LINUX && Files.exists(Path.of("/proc/thread-self/stat")), "Linux only");
        assumeTrue(System.getProperty(MallocTuning.PROPERTY) == null, "property set by the run");
        MallocTuning.Outcome first = MallocTuning.ensureApplied();
        assertEquals(MallocTuning.Outcome.APPLIED, first, "glibc's mallopt should accept all three settings");
        assertEquals(first, MallocTuning.ensureApplied());
        int threshold = MallocTuning.mmapThreshold();
        assertTrue(threshold == MallocTuning.MMAP_THRESHOLD || threshold == MallocTuning.FALLBACK_MMAP_THRESHOLD,
                "mmap threshold " + threshold);
    }

    @Test
    void theSwitchReadsTrueFalseAndRejectsTheRest() {
        assertTrue(MallocTuning.enabled(null));
        assertTrue(MallocTuning.enabled("true"));
        assertTrue(MallocTuning.enabled("TRUE"));
        assertFalse(MallocTuning.enabled("false"));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> MallocTuning.enabled("off"));
        assertTrue(e.getMessage().contains(MallocTuning.PROPERTY) && e.getMessage().contains("'off'"),
                e.getMessage());
    }

    /**
     * The point of the tuning: a thread that frees a step's tensors and allocates them again gets
     * the same memory back instead of fresh pages. {@link TensorChurn} runs in a fresh child JVM (so
     * no other test's threads share its glibc arena): rounds of sixteen 6 MiB tensors (96 MiB, more
     * than one 64 MiB per-thread heap; 24,576 pages a round) on a new thread. Measured (AMD EPYC):
     * the first three rounds fault thousands of pages either way while the arena grows; after them,
     * with glibc's defaults, rounds fault 10 to 5,400 pages (a heap is unmapped and mapped again;
     * 2,000 to 2,900 on average over a run), tuned 10 to 13 in a fresh JVM (about 500 when the same
     * JVM had run the module's other tests first, its arena shared). The bound: under 1 % of the
     * pages a round, averaged over the nine rounds after the first three.
     */
    @Test
    void aThreadReusesFreedTensorMemoryInsteadOfFaultingItInAgain() throws Exception {
        assumeTrue(LINUX && Files.exists(Path.of("/proc/thread-self/stat")), "Linux only");
        assumeTrue(MallocTuning.ensureApplied() == MallocTuning.Outcome.APPLIED, "tuning not applied");
        // without huge pages: they would hide a heap that is unmapped and mapped again
        String output = runChurn(List.of("-D" + HugePageAllocation.PROPERTY + "=false"), List.of());
        assertTrue(output.contains("outcome APPLIED DISABLED"), output);
        long pagesPerRound = (long) TensorChurn.TENSORS * TensorChurn.FLOATS * Float.BYTES / 4096;
        double perRound = faultsPerRound(output, 3);
        assertTrue(perRound < 0.01 * pagesPerRound,
                "minor faults per round " + perRound + " of " + pagesPerRound + " pages:\n" + output);
    }

    /**
     * Blocks between glibc's old 32 MiB mapping threshold and a per-thread heap (64 MiB) are reused
     * too, now that the threshold is above them: two 48 MiB tensors a round (24,576 pages; a
     * width-1 ResNet's {@code [256, 64, 28, 28]} activations are 49 MiB), huge pages off, 24 rounds.
     * glibc takes a few rounds to settle: measured (AMD EPYC Zen 3, glibc 2.36, kernel faulting two
     * pages at a time) 12,296 faults in each of the first five rounds, then 3-6, with one round of
     * 6,150 (round 17, in all three runs); the same loop in C settles after five rounds too; with
     * the 32 MiB threshold every round faults its 12,288. The bound: at least 3 of every 4 rounds
     * after the first eight fault under 1 % of their pages.
     */
    @Test
    void aThreadReusesTensorsBetween32And64MiB() throws Exception {
        assumeTuningWithTheFullThreshold();
        long floats = 12L << 20; // 48 MiB
        String output = runChurn(List.of("-D" + HugePageAllocation.PROPERTY + "=false"),
                List.of("2", Long.toString(floats), "24"));
        assertTrue(output.contains("outcome APPLIED DISABLED"), output);
        long pagesPerRound = 2 * floats * Float.BYTES / 4096;
        long[] faults = roundFaults(output, 24);
        assertTrue(quietRounds(faults, 8, pagesPerRound) >= 12,
                "rounds 8-23 under 1 % of " + pagesPerRound + " pages: fewer than 12 of 16:\n" + output);
    }

    /**
     * A block larger than a per-thread heap (an 80 MiB tensor, 20,480 pages) is mapped afresh on
     * every use from a thread's own arena whatever the threshold, and reused once the JVM runs with
     * {@code MALLOC_ARENA_MAX=1}, which puts every thread on glibc's main arena (the advice in
     * {@link MallocTuning}'s javadoc, and what {@code bin/suncet} sets), huge pages off, 40 rounds.
     * The main arena is shared with the JVM's own threads and settles late: measured (AMD EPYC Zen
     * 3, five runs) every round after round 23 but one or two under 1 % of the pages; its own
     * arena faults in every round. Bounds: own arena no round after the first 24 under 1 %, main
     * arena at least 12 of those 16.
     */
    @Test
    void aTensorAboveAPerThreadHeapIsReusedOnlyOnTheMainArena() throws Exception {
        assumeTuningWithTheFullThreshold();
        long floats = 20L << 20; // 80 MiB
        long pagesPerRound = floats * Float.BYTES / 4096;
        List<String> options = List.of("-D" + HugePageAllocation.PROPERTY + "=false");
        List<String> args = List.of("1", Long.toString(floats), "40");
        String own = runChurn(options, args, "64");
        String main = runChurn(options, args, "1");
        assertEquals(0, quietRounds(roundFaults(own, 40), 24, pagesPerRound),
                "own arena: rounds 24-39 under 1 % of " + pagesPerRound + " pages:\n" + own);
        assertTrue(quietRounds(roundFaults(main, 40), 24, pagesPerRound) >= 12,
                "main arena: rounds 24-39 under 1 % of " + pagesPerRound + " pages: fewer than 12 of 16:\n" + main);
    }

    /**
     * Runs {@link TensorChurn} in a fresh child JVM with this JVM's engine properties, {@code
     * options} and {@code args}, its worker on an arena of its own, and returns its output; fails
     * the test if it does not exit 0.
     */
    static String runChurn(List<String> options, List<String> args) throws Exception {
        return runChurn(options, args, "64");
    }

    /**
     * {@link #runChurn(List, List)} with the child's {@code MALLOC_ARENA_MAX}: {@code "64"} gives its
     * worker an arena of its own, {@code "1"} puts every thread on glibc's main arena.
     */
    static String runChurn(List<String> options, List<String> args, String arenaMax) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx512m");
        for (String name : List.of("ai.djl.offline", "DJL_CACHE_DIR", "ENGINE_CACHE_DIR", "ai.djl.default_engine",
                "org.slf4j.simpleLogger.defaultLogLevel")) {
            if (System.getProperty(name) != null) {
                command.add("-D" + name + "=" + System.getProperty(name));
            }
        }
        command.addAll(options);
        command.add("-cp");
        command.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        command.add(TensorChurn.class.getName());
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        // glibc allows 8 arenas per CPU: with one CPU (a 1-core container, or taskset) the JVM's
        // own threads fill them and the worker shares an arena, whose other users' churn faults
        // ~860 pages a round into it (measured pinned to one CPU); a fixed arena count makes the
        // check independent of the machine's CPU count
        builder.environment().put("MALLOC_ARENA_MAX", arenaMax);
        // the child's huge-page request is decided by its options, not by this run's environment
        builder.environment().remove(HugePageAllocation.VARIABLE);
        Process child = builder.start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(120, TimeUnit.SECONDS) && child.exitValue() == 0, output);
        return output;
    }

    /** Skips a test unless this is Linux with glibc and the tuning applied the 1 GiB threshold. */
    private static void assumeTuningWithTheFullThreshold() {
        assumeTrue(LINUX && Files.exists(Path.of("/proc/thread-self/stat")), "Linux only");
        assumeTrue(MallocTuning.ensureApplied() == MallocTuning.Outcome.APPLIED, "tuning not applied");
        assumeTrue(MallocTuning.mmapThreshold() == MallocTuning.MMAP_THRESHOLD, "this glibc caps the threshold");
    }

    /** {@link TensorChurn}'s faults of each round, checking that all {@code rounds} are there. */
    static long[] roundFaults(String output, int rounds) {
        long[] faults = new long[rounds];
        int seen = 0;
        for (String line : output.split("\n")) {
            String[] words = line.trim().split(" ");
            if (words.length == 4 && words[0].equals("round")) {
                faults[Integer.parseInt(words[1])] = Long.parseLong(words[3]);
                seen++;
            }
        }
        assertEquals(rounds, seen, output);
        return faults;
    }

    /** How many rounds from {@code first} on faulted under 1 % of {@code pages}. */
    static int quietRounds(long[] faults, int first, long pages) {
        int quiet = 0;
        for (int round = first; round < faults.length; round++) {
            if (faults[round] < 0.01 * pages) {
                quiet++;
            }
        }
        return quiet;
    }

    /** The mean of {@link TensorChurn}'s per-round faults after the first {@code warmUp} rounds. */
    static double faultsPerRound(String output, int warmUp) {
        long[] faults = roundFaults(output, TensorChurn.ROUNDS);
        long sum = 0;
        for (int round = warmUp; round < faults.length; round++) {
            sum += faults[round];
        }
        return sum / (double) (faults.length - warmUp);
    }
}
