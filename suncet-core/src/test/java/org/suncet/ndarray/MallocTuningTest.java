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
     * Runs {@link TensorChurn} in a fresh child JVM with this JVM's engine properties, {@code
     * options} and {@code args}, and returns its output; fails the test if it does not exit 0.
     */
    static String runChurn(List<String> options, List<String> args) throws Exception {
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
        builder.environment().put("MALLOC_ARENA_MAX", "64");
        // the child's huge-page request is decided by its options, not by this run's environment
        builder.environment().remove(HugePageAllocation.VARIABLE);
        Process child = builder.start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(120, TimeUnit.SECONDS) && child.exitValue() == 0, output);
        return output;
    }

    /** The mean of {@link TensorChurn}'s per-round faults after the first {@code warmUp} rounds. */
    static double faultsPerRound(String output, int warmUp) {
        long faults = 0;
        int rounds = 0;
        for (String line : output.split("\n")) {
            String[] words = line.trim().split(" ");
            if (words.length == 4 && words[0].equals("round") && Integer.parseInt(words[1]) >= warmUp) {
                faults += Long.parseLong(words[3]);
                rounds++;
            }
        }
        assertEquals(TensorChurn.ROUNDS - warmUp, rounds, output);
        return faults / (double) rounds;
    }
}
