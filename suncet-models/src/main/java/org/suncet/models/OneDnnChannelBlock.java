package org.suncet.models;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * How many float32 channels libtorch's oneDNN convolutions block together when they are given plain
 * {@code NCHW} feature maps on this CPU: 16 where oneDNN runs its AVX-512 kernels, 8 otherwise. A
 * map with fewer channels than the block is padded up to it in the blocked layout ({@code
 * nChw16c}) that oneDNN reorders it into and out of at every convolution, so on an AVX-512 CPU an
 * 8-channel map is reordered into twice its bytes ({@code ONEDNN_VERBOSE=1}: {@code [256, 8, 28,
 * 28]} as {@code aBcd16b}, AMD EPYC family 25 model 17, 2026-12-07). {@link MemoryLayout#AUTO}
 * weighs that against channels-last's cost for such narrow maps.
 *
 * <p>oneDNN runs its AVX-512 kernels ({@code avx512_core}) where the CPU has AVX-512 F, BW, VL and
 * DQ, unless {@code ONEDNN_MAX_CPU_ISA} (or its older name {@code DNNL_MAX_CPU_ISA}) caps it below
 * AVX-512, or {@link ConvolutionKernelCheck} capped it ({@link
 * ConvolutionKernelCheck.Outcome#ISA_CAPPED}) or switched it off ({@link
 * ConvolutionKernelCheck.Outcome#ONEDNN_DISABLED}; there the 8 keeps the layout rule that held
 * before this class). The CPU's flags come from {@code /proc/cpuinfo}; where that cannot be read
 * (not Linux) the answer is 8.
 */
final class OneDnnChannelBlock {

    /** The block of oneDNN's AVX-512 kernels, in float32 channels. */
    static final int AVX512 = 16;

    /** The block below AVX-512 (AVX2 and AVX kernels), in float32 channels. */
    static final int BELOW_AVX512 = 8;

    /** The CPU flags oneDNN's {@code avx512_core} needs. */
    private static final String[] AVX512_CORE_FLAGS = {"avx512f", "avx512bw", "avx512vl", "avx512dq"};

    private static volatile Integer thisProcess;

    private OneDnnChannelBlock() {}

    /**
     * The block for this process, computed once, after {@link ConvolutionKernelCheck#ensureChecked()}
     * (which {@link ResNet}'s builder has run already).
     *
     * @return {@value #AVX512} or {@value #BELOW_AVX512}
     */
    static int forThisProcess() {
        Integer block = thisProcess;
        if (block == null) {
            block =
                    of(
                            ConvolutionKernelCheck.cpuInfo(),
                            ConvolutionKernelCheck.ensureChecked(),
                            isaCapFromEnvironment());
            thisProcess = block;
        }
        return block;
    }

    /**
     * The ISA cap oneDNN reads from the environment: {@code ONEDNN_MAX_CPU_ISA}, else its older
     * name {@code DNNL_MAX_CPU_ISA}.
     *
     * @return the value, or null where neither is set
     */
    static String isaCapFromEnvironment() {
        String cap = System.getenv(ConvolutionKernelCheck.ISA_VARIABLE);
        return cap != null ? cap : System.getenv("DNNL_MAX_CPU_ISA");
    }

    /**
     * The block for a CPU and what the kernel check did.
     *
     * @param cpuInfo the contents of {@code /proc/cpuinfo} ("" where unknown)
     * @param outcome what {@link ConvolutionKernelCheck} found and did
     * @param isaCap the value of {@code ONEDNN_MAX_CPU_ISA}, or null where it is not set
     * @return {@value #AVX512} or {@value #BELOW_AVX512}
     */
    static int of(String cpuInfo, ConvolutionKernelCheck.Outcome outcome, String isaCap) {
        if (outcome == ConvolutionKernelCheck.Outcome.ISA_CAPPED
                || outcome == ConvolutionKernelCheck.Outcome.ONEDNN_DISABLED
                || capsBelowAvx512(isaCap)) {
            return BELOW_AVX512;
        }
        return hasAvx512Core(cpuInfo) ? AVX512 : BELOW_AVX512;
    }

    /** Whether an {@code ONEDNN_MAX_CPU_ISA} value names an ISA below AVX-512 (SSE4.1, AVX, AVX2…). */
    private static boolean capsBelowAvx512(String isaCap) {
        if (isaCap == null || isaCap.isBlank()) {
            return false;
        }
        String isa = isaCap.trim().toUpperCase(Locale.ROOT);
        return isa.startsWith("SSE") || isa.equals("AVX") || isa.startsWith("AVX2");
    }

    /** Whether the first {@code flags} line of {@code /proc/cpuinfo} lists every AVX-512 core flag. */
    private static boolean hasAvx512Core(String cpuInfo) {
        for (String line : cpuInfo.split("\n")) {
            if (!line.startsWith("flags")) {
                continue;
            }
            int colon = line.indexOf(':');
            Set<String> flags =
                    new HashSet<>(Arrays.asList(line.substring(colon + 1).trim().split("\\s+")));
            for (String flag : AVX512_CORE_FLAGS) {
                if (!flags.contains(flag)) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }
}
