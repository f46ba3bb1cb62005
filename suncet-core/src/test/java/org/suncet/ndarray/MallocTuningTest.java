package org.suncet.ndarray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MallocTuningTest {

    private static final boolean LINUX =
            System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux");

    @Test
    void itAppliesOnLinuxWithGlibcAndOnlyOnce() {
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
     * the same memory back instead of fresh pages. On a new thread (its own glibc arena, as the
     * JVM's main thread has), rounds of sixteen 6 MiB tensors (96 MiB, more than one 64 MiB
     * per-thread heap; 24,576 pages a round). Measured (AMD EPYC): the first three rounds fault
     * thousands of pages either way while the arena grows; after them, with glibc's defaults,
     * rounds fault 10 to 5,400 pages (about 2,800 on average: a heap is unmapped and mapped
     * again), tuned 10 to 13. The bound: under 1 % of the pages a round, averaged over the nine
     * rounds after the first three.
     */
    @Test
    void aThreadReusesFreedTensorMemoryInsteadOfFaultingItInAgain() throws Exception {
        assumeTrue(LINUX && Files.exists(Path.of("/proc/thread-self/stat")), "Linux only");
        assumeTrue(MallocTuning.ensureApplied() == MallocTuning.Outcome.APPLIED, "tuning not applied");
        int warmUp = 3;
        int rounds = warmUp + 9;
        int tensors = 16;
        long pagesPerRound = tensors * (6L << 20) / 4096;
        AtomicLong faultsAfterFirst = new AtomicLong();
        Throwable[] failure = new Throwable[1];
        Thread worker = new Thread(() -> {
            try (NDManager manager = NDManager.newBaseManager()) {
                for (int r = 0; r < rounds; r++) {
                    long before = threadMinorFaults();
                    List<NDArray> step = new ArrayList<>();
                    for (int t = 0; t < tensors; t++) {
                        step.add(manager.ones(new Shape(6 << 18))); // 6 MiB of float32, written
                    }
                    step.forEach(NDArray::close);
                    if (r >= warmUp) {
                        faultsAfterFirst.addAndGet(threadMinorFaults() - before);
                    }
                }
            } catch (Throwable t) {
                failure[0] = t;
            }
        });
        worker.start();
        worker.join();
        if (failure[0] != null) {
            throw new AssertionError(failure[0]);
        }
        double perRound = faultsAfterFirst.get() / (double) (rounds - warmUp);
        assertTrue(perRound < 0.01 * pagesPerRound,
                "minor faults per round " + perRound + " of " + pagesPerRound + " pages");
    }

    private static long threadMinorFaults() {
        try {
            String stat = Files.readString(Path.of("/proc/thread-self/stat"));
            // fields after "(comm) ": state ppid pgrp session tty tpgid flags minflt ...
            return Long.parseLong(stat.substring(stat.lastIndexOf(") ") + 2).split(" ")[7]);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
