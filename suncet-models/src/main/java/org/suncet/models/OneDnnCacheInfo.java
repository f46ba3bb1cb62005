package org.suncet.models;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * oneDNN's view of the CPU's data caches inside libtorch 2.7.1, and its repair where a hypervisor
 * left the CPU's cache description empty, which makes oneDNN's convolutions compute wrong results.
 *
 * <p><b>The cause.</b> oneDNN v3.7.1 (inside libtorch 2.7.1) sizes the blocks of its JIT
 * convolution kernels from the per-core data cache sizes, {@code platform::get_per_core_cache_size},
 * which reads them from the Xbyak 7.05 {@code Cpu} object that {@code dnnl::impl::cpu::x64::cpu()}
 * builds once. On an AMD CPU, Xbyak takes three cache levels as given and computes each size as
 * ways × partitions × line size × sets from CPUID leaf {@code 0x8000001D}, sub-leaves 0, 2 and 3,
 * each field stored minus one. Some virtual machines report that leaf as all zeros while setting
 * the {@code topoext} flag that announces it (seen here: an AMD EPYC VM, {@code lscpu} "AMD EPYC",
 * CPU family 26, model 2, 2026-12-07, whose kernel therefore lists no caches either: no {@code
 * /sys/devices/system/cpu/cpu0/cache}). oneDNN then believes each cache holds 1 byte (1·1·1·1), and
 * its AVX2 and AVX-512 convolutions with few channels compute wrong input gradients (relative error
 * 0.5–0.76 against float64 with 1 intra-op thread, {@link ConvolutionKernelCheck}'s probe). With an
 * empty description oneDNN falls back to its own defaults (32 KiB, 512 KiB and 1 MiB a core for L1,
 * L2, L3) where it finds no levels at all; Xbyak's AMD branch never reports none.
 *
 * <p><b>The repair.</b> {@link #repairIfEmpty()} finds that object through libtorch's full symbol
 * table ({@link ElfSymbols}: the function and its object are local symbols), calls the function so
 * that the object is built, and checks that it reads, at the offsets of Xbyak 7.05's layout, this
 * CPU's family, model and stepping as {@code /proc/cpuinfo} gives them and the empty-leaf signature
 * (3 levels of 1 byte each). Only then does it set the number of levels to 0, so that oneDNN uses
 * its defaults, as on a CPU that reports no caches. It must run before oneDNN's first convolution
 * primitive is created (primitives are blocked once, when created, and cached);
 * {@link ConvolutionKernelCheck#ensureChecked()} runs it first and then checks the convolutions
 * against float64. Anything unexpected (another libtorch, a stripped library, other values) leaves
 * the object untouched.
 */
final class OneDnnCacheInfo {

    /** Xbyak 7.05's {@code Xbyak::util::Cpu}, as oneDNN v3.7.1 compiles it: 144 bytes. */
    static final int OBJECT_BYTES = 144;

    /** Byte offsets into that object. */
    static final int SIZES = 28;
    static final int SHARING = 68;
    static final int LEVELS = 108;
    static final int MODEL = 116;
    static final int FAMILY = 120;
    static final int STEPPING = 124;
    static final int DISPLAY_FAMILY = 136;
    static final int DISPLAY_MODEL = 140;

    /** {@code dnnl::impl::cpu::x64::cpu()}, which builds the object on its first call and returns it. */
    static final String FUNCTION = "_ZN4dnnl4impl3cpu3x643cpuEv";

    /** The function's static object, {@code dnnl::impl::cpu::x64::cpu()::cpu_}. */
    static final String OBJECT = "_ZZN4dnnl4impl3cpu3x643cpuEvE4cpu_";

    /** An exported symbol of {@code libtorch_cpu.so}, whose runtime address gives the load address. */
    static final String ANCHOR = "_ZN2at13globalContextEv";

    /** A second exported symbol, which must give the same load address. */
    static final String SECOND_ANCHOR = "_ZN2at7Context20setUserEnabledMkldnnEb";

    private static final Logger LOGGER = LoggerFactory.getLogger(OneDnnCacheInfo.class);

    private OneDnnCacheInfo() {}

    /** What {@link #repairIfEmpty()} found. */
    enum Repair {
        /** The object showed the empty-leaf signature; its cache levels are now none. */
        REPAIRED,
        /** The object describes this CPU and has a cache description of its own: left alone. */
        NOT_NEEDED,
        /** Not an AMD CPU, or the object was not found or did not describe this CPU: left alone. */
        NOT_POSSIBLE
    }

    /** A CPU's family, model and stepping, as {@code /proc/cpuinfo} gives them. */
    record CpuId(int family, int model, int stepping) {

        /**
         * Reads the first processor's fields.
         *
         * @param cpuInfo the contents of {@code /proc/cpuinfo}
         * @return the fields, or empty where one is missing
         */
        static Optional<CpuId> parse(String cpuInfo) {
            Integer family = field(cpuInfo, "cpu family");
            Integer model = field(cpuInfo, "model");
            Integer stepping = field(cpuInfo, "stepping");
            if (family == null || model == null || stepping == null) {
                return Optional.empty();
            }
            return Optional.of(new CpuId(family, model, stepping));
        }

        private static Integer field(String cpuInfo, String name) {
            Matcher m = Pattern.compile("(?m)^" + name + "\\s*:\\s*(\\d+)\\s*$").matcher(cpuInfo);
            return m.find() ? Integer.valueOf(m.group(1)) : null;
        }
    }

    /**
     * Whether the object's words describe the given CPU: they were read at the right offsets, from
     * the right layout. Xbyak stores the base family and model nibbles and the display family and
     * model, which {@code /proc/cpuinfo} reports.
     *
     * @param words the object as 36 ints
     * @param cpu the CPU from {@code /proc/cpuinfo}
     * @return true if stepping, display family, display model and the model nibble all match
     */
    static boolean describes(int[] words, CpuId cpu) {
        return words.length == OBJECT_BYTES / 4
                && words[STEPPING / 4] == cpu.stepping()
                && words[DISPLAY_FAMILY / 4] == cpu.family()
                && words[DISPLAY_MODEL / 4] == cpu.model()
                && words[MODEL / 4] == (cpu.model() & 0xf)
                && words[FAMILY / 4] == Math.min(cpu.family(), 0xf);
    }

    /**
     * Whether the words show what Xbyak's AMD branch computes from an all-zero CPUID leaf {@code
     * 0x8000001D}: three levels, each of 1 byte, shared by at least one core.
     *
     * @param words the object as 36 ints
     * @return true for that signature
     */
    static boolean emptyLeaf(int[] words) {
        if (words.length != OBJECT_BYTES / 4 || words[LEVELS / 4] != 3) {
            return false;
        }
        for (int level = 0; level < 3; level++) {
            if (words[SIZES / 4 + level] != 1 || words[SHARING / 4 + level] < 1) {
                return false;
            }
        }
        return true;
    }

    /**
     * Builds oneDNN's CPU object if it is not built yet and reads it.
     *
     * @return the object as 36 ints, or empty where libtorch's symbols are not found or do not
     *     match Xbyak 7.05's layout
     */
    static Optional<int[]> read() {
        return locate().map(p -> p.getIntArray(0, OBJECT_BYTES / 4));
    }

    /**
     * Sets oneDNN's number of cache levels to 0 where its CPU object shows the empty-leaf signature
     * and describes this CPU (see the class); call it before oneDNN's first convolution.
     *
     * @return what it found: {@link Repair#NOT_POSSIBLE} on other CPUs than AMD (Xbyak's Intel
     *     branch stops at the first empty sub-leaf, so it reports no levels and oneDNN uses its
     *     defaults) and wherever the object could not be read and checked
     */
    static Repair repairIfEmpty() {
        String cpuInfo = ConvolutionKernelCheck.cpuInfo();
        Optional<CpuId> cpu = CpuId.parse(cpuInfo);
        if (cpu.isEmpty() || !cpuInfo.contains("AuthenticAMD")) {
            return Repair.NOT_POSSIBLE;
        }
        Optional<Pointer> object = locate();
        if (object.isEmpty()) {
            return Repair.NOT_POSSIBLE;
        }
        int[] words = object.get().getIntArray(0, OBJECT_BYTES / 4);
        if (!describes(words, cpu.get())) {
            return Repair.NOT_POSSIBLE;
        }
        if (!emptyLeaf(words)) {
            return Repair.NOT_NEEDED;
        }
        object.get().setInt(LEVELS, 0);
        return Repair.REPAIRED;
    }

    /** The object's address after building it, checked against its symbol; empty where not found. */
    private static Optional<Pointer> locate() {
        try {
            NativeLibrary torch = ConvolutionKernelCheck.loaded("libtorch_cpu.so");
            Path file = torch.getFile().toPath();
            Map<String, ElfSymbols.Symbol> symbols =
                    ElfSymbols.find(file, List.of(ANCHOR, SECOND_ANCHOR, FUNCTION, OBJECT));
            ElfSymbols.Symbol anchor = symbols.get(ANCHOR);
            ElfSymbols.Symbol check = symbols.get(SECOND_ANCHOR);
            ElfSymbols.Symbol function = symbols.get(FUNCTION);
            ElfSymbols.Symbol object = symbols.get(OBJECT);
            if (symbols.size() != 4 || function.type() != ElfSymbols.FUNCTION || function.value() == 0
                    || object.type() != ElfSymbols.OBJECT || object.size() != OBJECT_BYTES) {
                return Optional.empty();
            }
            long base = Pointer.nativeValue(torch.getFunction(ANCHOR)) - anchor.value();
            // the symbol table read must be the one of the loaded image before anything is called
            if (Pointer.nativeValue(torch.getFunction(SECOND_ANCHOR)) - check.value() != base) {
                return Optional.empty();
            }
            Pointer built = Function.getFunction(new Pointer(base + function.value()))
                    .invokePointer(new Object[0]);
            if (Pointer.nativeValue(built) != base + object.value()) {
                return Optional.empty();
            }
            return Optional.of(built);
        } catch (IOException | LinkageError | RuntimeException e) {
            LOGGER.debug("oneDNN's CPU object not found", e);
            return Optional.empty();
        }
    }
}
