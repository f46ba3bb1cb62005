package org.suncet.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OneDnnCacheInfoTest {

    /**
     * oneDNN's CPU object as read, before the repair, on the AMD EPYC VM whose CPUID leaf
     * 0x8000001D is empty ({@code lscpu} "AMD EPYC", family 26, model 2, stepping 1; 2026-12-07):
     * type bits, topology, three 1-byte levels shared by 1 core, then model 2, family 15, stepping 1,
     * extended model 0, extended family 11, display family 26, display model 2.
     */
    static int[] emptyLeafVm() {
        int[] words = new int[OneDnnCacheInfo.OBJECT_BYTES / 4];
        words[0] = 1592850431;
        words[1] = -939684034;
        words[2] = 50339854;
        words[4] = 1;
        words[5] = 1;
        words[6] = 1;
        Arrays.fill(words, 7, 10, 1);
        Arrays.fill(words, 17, 20, 1);
        words[27] = 3;
        int[] tail = {2, 15, 1, 0, 11, 26, 2};
        System.arraycopy(tail, 0, words, 29, tail.length);
        return words;
    }

    private static final OneDnnCacheInfo.CpuId ZEN5_VM = new OneDnnCacheInfo.CpuId(26, 2, 1);

    @Test
    void theEmptyLeafIsThreeLevelsOfOneByte() {
        int[] words = emptyLeafVm();
        assertTrue(OneDnnCacheInfo.emptyLeaf(words));
        assertTrue(OneDnnCacheInfo.describes(words, ZEN5_VM));

        int[] real = emptyLeafVm(); // 48 KiB, 1 MiB, 32 MiB shared by 8 cores
        real[7] = 48 << 10;
        real[8] = 1 << 20;
        real[9] = 32 << 20;
        real[19] = 8;
        assertFalse(OneDnnCacheInfo.emptyLeaf(real));

        int[] repaired = emptyLeafVm();
        repaired[OneDnnCacheInfo.LEVELS / 4] = 0;
        assertFalse(OneDnnCacheInfo.emptyLeaf(repaired));
        assertFalse(OneDnnCacheInfo.emptyLeaf(new int[12]));
    }

    @Test
    void theLayoutCheckWantsThisCpusFamilyModelAndStepping() {
        int[] words = emptyLeafVm();
        assertFalse(OneDnnCacheInfo.describes(words, new OneDnnCacheInfo.CpuId(25, 1, 1)));
        assertFalse(OneDnnCacheInfo.describes(words, new OneDnnCacheInfo.CpuId(26, 2, 0)));
        assertFalse(OneDnnCacheInfo.describes(words, new OneDnnCacheInfo.CpuId(26, 18, 1)));
        int[] shifted = new int[words.length]; // read one word off: the check must fail
        System.arraycopy(words, 0, shifted, 1, words.length - 1);
        assertFalse(OneDnnCacheInfo.describes(shifted, ZEN5_VM));
        assertFalse(OneDnnCacheInfo.describes(new int[] {0}, ZEN5_VM));
    }

    @Test
    void cpuInfoGivesTheFirstProcessorsFamilyModelAndStepping() {
        String info = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\n"
                + "model name\t: AMD EPYC\nstepping\t: 1\n\nprocessor\t: 1\ncpu family\t: 26\nmodel\t\t: 2\n";
        assertEquals(Optional.of(ZEN5_VM), OneDnnCacheInfo.CpuId.parse(info));
        assertEquals(Optional.empty(), OneDnnCacheInfo.CpuId.parse("model name\t: AMD EPYC\n"));
    }

    /**
     * On whatever CPU runs the tests: the object is read at the right offsets (it names this CPU's
     * family, model and stepping), and after the check oneDNN no longer sees 1-byte caches. Where
     * the kernel lists no caches on an AMD CPU (the empty leaf), the check repaired the object rather
     * than capping or switching off oneDNN.
     */
    @Test
    void afterTheCheckOneDnnSeesNoOneByteCaches() {
        assumeTrue(System.getProperty(ConvolutionKernelCheck.PROPERTY) == null, "check switched by the run");
        ConvolutionKernelCheck.Outcome outcome = ConvolutionKernelCheck.ensureChecked();
        Optional<int[]> words = OneDnnCacheInfo.read();
        assumeTrue(words.isPresent(), "oneDNN's CPU object is not found in this libtorch");
        Optional<OneDnnCacheInfo.CpuId> cpu = OneDnnCacheInfo.CpuId.parse(ConvolutionKernelCheck.cpuInfo());
        assumeTrue(cpu.isPresent(), "no /proc/cpuinfo");
        assertTrue(OneDnnCacheInfo.describes(words.get(), cpu.get()), Arrays.toString(words.get()));
        assertFalse(OneDnnCacheInfo.emptyLeaf(words.get()), Arrays.toString(words.get()));
        boolean noCaches = !Files.isDirectory(Path.of("/sys/devices/system/cpu/cpu0/cache"));
        if (ConvolutionKernelCheck.cpuInfo().contains("AuthenticAMD") && noCaches
                && System.getenv(ConvolutionKernelCheck.ISA_VARIABLE) == null) {
            assertEquals(ConvolutionKernelCheck.Outcome.CACHE_INFO_REPAIRED, outcome);
            assertEquals(0, words.get()[OneDnnCacheInfo.LEVELS / 4]);
        }
    }

    /**
     * The repair is idempotent: after the check, the object has a description of its own (repaired
     * or never empty), so a second call leaves it alone, and {@link ConvolutionKernelCheck} would not
     * cap oneDNN's ISA on that account (it caps only where the object cannot be read).
     */
    @Test
    void aSecondRepairFindsNothingToDo() {
        assumeTrue(System.getProperty(ConvolutionKernelCheck.PROPERTY) == null, "check switched by the run");
        ConvolutionKernelCheck.ensureChecked();
        OneDnnCacheInfo.Repair again = OneDnnCacheInfo.repairIfEmpty();
        assertNotEquals(OneDnnCacheInfo.Repair.REPAIRED, again);
        if (ConvolutionKernelCheck.cpuInfo().contains("AuthenticAMD") && OneDnnCacheInfo.read().isPresent()) {
            assertEquals(OneDnnCacheInfo.Repair.NOT_NEEDED, again);
        } else {
            assertEquals(OneDnnCacheInfo.Repair.NOT_POSSIBLE, again);
        }
    }
}
