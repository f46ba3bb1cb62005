package org.suncet.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class OneDnnChannelBlockTest {

    private static final String AVX512 =
            "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse4_1 avx avx2 fma avx512f avx512dq"
                    + " avx512cd avx512bw avx512vl avx512_bf16\nbugs\t\t: sysret_ss_attrs\n\n"
                    + "processor\t: 1\nflags\t\t: fpu sse4_1 avx avx2 fma avx512f avx512dq avx512cd avx512bw"
                    + " avx512vl avx512_bf16\n";
    private static final String AVX2 =
            "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse4_1 avx avx2 fma vaes\n";

    @Test
    void avx512CoreFlagsGiveBlocksOf16() {
        assertEquals(16, OneDnnChannelBlock.of(AVX512, ConvolutionKernelCheck.Outcome.PASSED, null));
        assertEquals(16, OneDnnChannelBlock.of(AVX512, ConvolutionKernelCheck.Outcome.CACHE_INFO_REPAIRED, null));
        assertEquals(16, OneDnnChannelBlock.of(AVX512, ConvolutionKernelCheck.Outcome.SKIPPED, ""));
        assertEquals(16, OneDnnChannelBlock.of(AVX512, ConvolutionKernelCheck.Outcome.PASSED, "AVX512_CORE"));
        assertEquals(16, OneDnnChannelBlock.of(AVX512, ConvolutionKernelCheck.Outcome.PASSED, "all"));
    }

    @Test
    void anythingBelowAvx512GivesBlocksOf8() {
        assertEquals(8, OneDnnChannelBlock.of(AVX2, ConvolutionKernelCheck.Outcome.PASSED, null));
        assertEquals(8, OneDnnChannelBlock.of("", ConvolutionKernelCheck.Outcome.PASSED, null), "no cpuinfo");
        // avx512f alone (no BW/VL/DQ) is not oneDNN's avx512_core
        assertEquals(8, OneDnnChannelBlock.of(AVX2.replace("vaes", "avx512f"),
                ConvolutionKernelCheck.Outcome.PASSED, null));
        assertEquals(8, OneDnnChannelBlock.of(AVX512, ConvolutionKernelCheck.Outcome.ISA_CAPPED, null));
        assertEquals(8, OneDnnChannelBlock.of(AVX512, ConvolutionKernelCheck.Outcome.ONEDNN_DISABLED, null));
        for (String cap : new String[] {"AVX2", "avx2_vnni", "AVX", "SSE41"}) {
            assertEquals(8, OneDnnChannelBlock.of(AVX512, ConvolutionKernelCheck.Outcome.PASSED, cap), cap);
        }
    }

    @Test
    void thisProcessAgreesWithThisCpu() {
        int expected = OneDnnChannelBlock.of(ConvolutionKernelCheck.cpuInfo(),
                ConvolutionKernelCheck.ensureChecked(), OneDnnChannelBlock.isaCapFromEnvironment());
        assertEquals(expected, OneDnnChannelBlock.forThisProcess());
        assertEquals(expected, OneDnnChannelBlock.forThisProcess(), "computed once");
    }
}
