package org.suncet.augment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ColorJitterTest {

    @Test
    void valuesAreUniformInSimClrRangesAndOrdersUniform() {
        ColorJitter jitter = ColorJitter.simclr(1.0).optSeed(5).build();
        int n = 2400;
        double[] brightness = new double[n];
        double[] hue = new double[n];
        Map<List<ColorAdjustment>, Integer> orders = new HashMap<>();
        for (int i = 0; i < n; i++) {
            ColorJitterParameters p = jitter.draw(new ViewKey(0, i, 0), 8, 8);
            brightness[i] = p.brightness();
            hue[i] = p.hue();
            for (double f : new double[] {p.brightness(), p.contrast(), p.saturation()}) {
                assertTrue(f >= 0.2 && f <= 1.8, "factor " + f);
            }
            orders.merge(p.order(), 1, Integer::sum);
        }
        assertTrue(Frequencies.ksUniform(brightness, 0.2, 1.8) < Frequencies.ksCritical(n));
        assertTrue(Frequencies.ksUniform(hue, -0.2, 0.2) < Frequencies.ksCritical(n));
        assertEquals(24, orders.size());
        double chi2 = 0;
        for (int count : orders.values()) {
            chi2 += Math.pow(count - n / 24.0, 2) / (n / 24.0);
        }
        assertTrue(chi2 < 49.7, "chi-square over 24 orders " + chi2 + " (p = 0.001 critical value 49.7)");
    }

    @Test
    void appliesTheAdjustmentsInTheDrawnOrder() {
        float[] x = Images.random(8, 3, 5, 6, false);
        ColorJitterParameters p = new ColorJitterParameters(
                List.of(ColorAdjustment.HUE, ColorAdjustment.CONTRAST, ColorAdjustment.BRIGHTNESS, ColorAdjustment.SATURATION),
                1.3, 0.6, 1.7, -0.15);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray image = Images.array(m, x, 3, 5, 6);
            NDArray expected = ImageOps.adjustSaturation(ImageOps.adjustBrightness(ImageOps.adjustContrast(
                    ImageOps.adjustHue(image, -0.15), 0.6), 1.3), 1.7);
            // the jitter runs these calls in this order: identical
            ImageOpsTest.check(ColorJitter.builder().build().apply(image, p), expected, 0);
        }
    }

    @Test
    void zeroAmountsGiveIdentityValues() {
        ColorJitterParameters p = ColorJitter.builder().optContrast(0.5).build().draw(new ViewKey(0, 1, 0), 4, 4);
        assertEquals(1.0, p.brightness());
        assertEquals(1.0, p.saturation());
        assertEquals(0.0, p.hue());
        assertTrue(p.contrast() >= 0.5 && p.contrast() <= 1.5);
    }

    @Test
    void badSettingsAndParametersAreRejected() {
        ImageOpsTest.assertMessage("brightness", () -> ColorJitter.builder().optBrightness(-1).build());
        ImageOpsTest.assertMessage("hue jitter amount", () -> ColorJitter.builder().optHue(0.6).build());
        ImageOpsTest.assertMessage("order", () -> new ColorJitterParameters(
                List.of(ColorAdjustment.HUE, ColorAdjustment.HUE, ColorAdjustment.BRIGHTNESS, ColorAdjustment.SATURATION),
                1, 1, 1, 0));
        ImageOpsTest.assertMessage("hue delta", () -> new ColorJitterParameters(
                List.of(ColorAdjustment.values()), 1, 1, 1, 0.7));
        ImageOpsTest.assertMessage("contrast factor", () -> new ColorJitterParameters(
                List.of(ColorAdjustment.values()), 1, -1, 1, 0));
    }
}
