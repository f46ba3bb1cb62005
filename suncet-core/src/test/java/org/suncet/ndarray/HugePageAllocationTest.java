package org.suncet.ndarray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class HugePageAllocationTest {

    private static final Path THP_MODE = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");

    /**
     * One tensor a round of 80 MiB: larger than a per-thread heap (64 MiB), so glibc maps it afresh
     * for the worker's own arena whatever {@link MallocTuning}'s threshold.
     */
    private static final long FLOATS = 20L << 20;

    private static final long PAGES = FLOATS * Float.BYTES / 4096;

    @Test
    void theKernelModeIsReadFromTheSelectedWord() {
        assertTrue(HugePageAllocation.kernelAllows("always [madvise] never"));
        assertTrue(HugePageAllocation.kernelAllows("[always] madvise never"));
        assertFalse(HugePageAllocation.kernelAllows("always madvise [never]"));
    }

    @Test
    void theSwitchRejectsAnythingButTrueOrFalse() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MallocTuning.readSwitch(HugePageAllocation.PROPERTY, "yes"));
        assertTrue(e.getMessage().contains(HugePageAllocation.PROPERTY) && e.getMessage().contains("'yes'"),
                e.getMessage());
    }

    /**
     * The point of the request: a tensor that glibc maps afresh for each use faults in one page per
     * 2 MiB instead of one per 4 KiB. {@link TensorChurn} allocates and writes one 80 MiB tensor
     * (20,480 pages) a round in a fresh child JVM, once with the request
     * (made before its first tensor) and once with {@value HugePageAllocation#PROPERTY}{@code
     * =false}. Measured with a 40 MiB tensor when the threshold was 32 MiB (AMD EPYC Zen 5, kernel
     * 6.18, mode {@code madvise}): without, 5,123-5,124 faults a round after the first (one per two
     * pages; the harness's premise: glibc maps the block afresh); with, 14-15 (0.15 %; 7.7 % for a
     * 38.5 MB tensor whose ends do not fill a 2 MiB page). With this 80 MiB tensor (AMD EPYC Zen 3,
     * glibc 2.36): without, 10,243-10,244 a round after the first; with, 25-27 (0.13 %). Bounds:
     * without above 25 %, with below 10 % of the pages, averaged over the nine rounds after the
     * first three.
     */
    @Test
    void aLargeTensorFaultsInHugePagesWhenRequestedBeforeTheFirstTensor() throws Exception {
        assumeTrue(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")
                && Files.exists(Path.of("/proc/thread-self/stat")) && Files.isReadable(THP_MODE), "Linux only");
        assumeTrue(HugePageAllocation.kernelAllows(Files.readString(THP_MODE)), "huge pages off in the kernel");
        assumeTrue(System.getProperty(MallocTuning.PROPERTY) == null, "malloc tuning switched by the run");
        List<String> args = List.of("1", Long.toString(FLOATS));
        String off = MallocTuningTest.runChurn(List.of("-D" + HugePageAllocation.PROPERTY + "=false"), args);
        assertTrue(off.contains("outcome APPLIED DISABLED"), off);
        String on = MallocTuningTest.runChurn(List.of(), args);
        assertTrue(on.contains("outcome APPLIED REQUESTED"), on);
        double without = MallocTuningTest.faultsPerRound(off, 3);
        double with = MallocTuningTest.faultsPerRound(on, 3);
        assertTrue(without > 0.25 * PAGES, "without the request " + without + " faults of " + PAGES + " pages:\n" + off);
        assertTrue(with < 0.1 * PAGES, "with the request " + with + " faults of " + PAGES + " pages:\n" + on);
    }

    @Test
    void laterCallsReturnTheFirstOutcome() {
        HugePageAllocation.Outcome first = HugePageAllocation.ensureRequested();
        assertEquals(first, HugePageAllocation.ensureRequested());
    }
}
