package org.suncet.augment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

class RandomGaussianBlurTest {

    @Test
    void kernelFollowsSimClrsTenPercentRule() {
        RandomGaussianBlur blur = RandomGaussianBlur.builder().build();
        assertEquals(23, blur.kernelSizeFor(224));
        assertEquals(9, blur.kernelSizeFor(96));
        assertEquals(3, blur.kernelSizeFor(32));
        assertEquals(1, blur.kernelSizeFor(9));
        assertEquals(7, RandomGaussianBlur.builder().optKernelSize(7).build().kernelSizeFor(224));
        assertEquals(45, RandomGaussianBlur.builder().optKernelFraction(0.2).build().kernelSizeFor(224));
    }

    @Test
    void sigmaIsUniformInItsRange() {
        RandomGaussianBlur blur = RandomGaussianBlur.builder().optSeed(2).build();
        int n = 2000;
        double[] sigmas = new double[n];
        for (int i = 0; i < n; i++) {
            BlurParameters p = blur.draw(new ViewKey(3, i, 1), 96, 96);
            sigmas[i] = p.sigma();
            assertEquals(9, p.kernelSize());
        }
        assertTrue(Frequencies.ksUniform(sigmas, 0.1, 2.0) < Frequencies.ksCritical(n));
    }

    @Test
    void appliesTheDrawnSigma() {
        float[] x = Images.random(4, 3, 12, 12, false);
        try (NDManager m = NDManager.newBaseManager()) {
            // double reference: 5 taps per pass on [0, 1] values, float32 weights and sums: at most
            // 2.01 * 6 * u = 7.2e-7 from it (FloatBounds.blurFromExact), well inside 1e-5
            ImageOpsTest.check(RandomGaussianBlur.builder().build().apply(Images.array(m, x, 3, 12, 12),
                    new BlurParameters(5, 1.2)), Reference.gaussianBlur(x, 3, 12, 12, 5, 1.2), 1e-5);
        }
    }

    @Test
    void badSettingsAreRejected() {
        ImageOpsTest.assertMessage("sigma range", () -> RandomGaussianBlur.builder().optSigma(2, 1).build());
        ImageOpsTest.assertMessage("sigma range", () -> RandomGaussianBlur.builder().optSigma(0, 1).build());
        ImageOpsTest.assertMessage("odd", () -> RandomGaussianBlur.builder().optKernelSize(4));
        ImageOpsTest.assertMessage("odd", () -> RandomGaussianBlur.builder().optKernelSize(-1));
        ImageOpsTest.assertMessage("fraction", () -> RandomGaussianBlur.builder().optKernelFraction(0));
        ImageOpsTest.assertMessage("odd", () -> new BlurParameters(2, 1));
        ImageOpsTest.assertMessage("sigma", () -> new BlurParameters(3, 0));
    }
}
