package org.suncet.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;
import org.suncet.ndarray.MatrixProducts;

class ConvolutionKernelCheckTest {

    /**
     * Whatever the CPU: after the check, the probes' float32 convolutions agree with float64 (on
     * a CPU with the wrong oneDNN kernels, the AMD EPYC Zen 5 of 2026-12-07, the probe error was
     * 0.50-0.76 before and 2.9e-6 after; on CPUs without them it passes untouched).
     */
    @Test
    void afterTheCheckFloat32ConvolutionsAgreeWithFloat64() {
        assumeTrue(System.getProperty(ConvolutionKernelCheck.PROPERTY) == null, "check switched by the run");
        ConvolutionKernelCheck.Outcome outcome = ConvolutionKernelCheck.ensureChecked();
        assertTrue(outcome != ConvolutionKernelCheck.Outcome.SKIPPED, outcome.toString());
        double error = ConvolutionKernelCheck.probeError();
        assertTrue(error <= ConvolutionKernelCheck.BOUND, "probe error " + error + " after " + outcome);
        assertEquals(outcome, ConvolutionKernelCheck.ensureChecked());
    }

    /**
     * The probe takes its gradients without a {@code GradientCollector}, of which DJL allows one at
     * a time: a first ResNet built inside the caller's collector would otherwise fail with "A
     * PtGradientCollector is already collecting". The caller's collector still works afterwards, and
     * outside one the probe leaves gradient recording off, as it found it.
     */
    @Test
    void theProbeRunsInsideAndOutsideTheCallersGradientCollector() {
        assertFalse(JniUtils.isGradMode(), "recording should be off outside a collector");
        assertTrue(ConvolutionKernelCheck.probeError() <= ConvolutionKernelCheck.BOUND);
        assertFalse(JniUtils.isGradMode(), "the probe must restore the recording it found");
        try (NDManager manager = NDManager.newBaseManager(Device.cpu());
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray x = manager.create(new float[] {1f, 2f, 3f});
            x.setRequiresGradient(true);
            NDArray y = x.mul(x).sum();
            assertTrue(ConvolutionKernelCheck.probeError() <= ConvolutionKernelCheck.BOUND);
            assertTrue(JniUtils.isGradMode(), "the probe must leave the caller's recording on");
            collector.backward(y);
            assertArrayEquals(new float[] {2f, 4f, 6f}, x.getGradient().toFloatArray());
        }
    }

    /**
     * A check that verified oneDNN's AVX-512 convolutions tells suncet-core's {@code
     * MatrixProducts}, whose default route then takes oneDNN on an AMD CPU of family 26 or later (the
     * AMD EPYC Zen 5 of 2026-12-07, where oneMKL runs its AVX2 kernels) and oneMKL everywhere else.
     */
    @Test
    void aVerifiedCheckLetsMatrixProductsTakeOneDnnOnZen5WithAvx512() {
        assumeTrue(System.getProperty(ConvolutionKernelCheck.PROPERTY) == null, "check switched by the run");
        assumeTrue(System.getProperty(MatrixProducts.PROPERTY) == null, "route chosen by the run");
        ConvolutionKernelCheck.Outcome outcome = ConvolutionKernelCheck.ensureChecked();
        String cpuInfo = ConvolutionKernelCheck.cpuInfo();
        boolean verified =
                (outcome == ConvolutionKernelCheck.Outcome.PASSED
                                || outcome == ConvolutionKernelCheck.Outcome.CACHE_INFO_REPAIRED)
                        && OneDnnChannelBlock.of(cpuInfo, outcome, OneDnnChannelBlock.isaCapFromEnvironment())
                                == OneDnnChannelBlock.AVX512;
        boolean amdFamily26 = cpuInfo.contains("AuthenticAMD") && cpuInfo.matches("(?s).*\ncpu family\\s*: (2[6-9]|[3-9]\\d).*");
        assertEquals(
                verified && amdFamily26 ? MatrixProducts.Route.ONEDNN : MatrixProducts.Route.BLAS,
                MatrixProducts.route(),
                outcome + ", AMD family >= 26: " + amdFamily26);
    }

    @Test
    void buildingAResNetRunsTheCheck() {
        ResNet.builder().setDepth(18).optWidthMultiplier(0.0625f).build();
        assertTrue(ConvolutionKernelCheck.probeError() <= ConvolutionKernelCheck.BOUND);
    }

    @Test
    void theSwitchReadsTrueFalseAndRejectsTheRest() {
        assertTrue(ConvolutionKernelCheck.enabled(null));
        assertTrue(ConvolutionKernelCheck.enabled("TRUE"));
        assertFalse(ConvolutionKernelCheck.enabled("false"));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ConvolutionKernelCheck.enabled("maybe"));
        assertTrue(e.getMessage().contains(ConvolutionKernelCheck.PROPERTY) && e.getMessage().contains("'maybe'"),
                e.getMessage());
    }

    @Test
    void knownBadCpusAreAmdsWhoseKernelListsNoCaches() {
        String zen5 = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\n";
        String zen4 = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\n";
        String intel = "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 143\n";
        assertTrue(ConvolutionKernelCheck.knownBad(zen5, false));
        assertTrue(ConvolutionKernelCheck.knownBad(zen4, false));
        assertFalse(ConvolutionKernelCheck.knownBad(zen5, true));
        assertFalse(ConvolutionKernelCheck.knownBad(intel, false));
        assertFalse(ConvolutionKernelCheck.knownBad("", false));
    }
}
