package org.suncet.augment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class RandomResizedCropTest {

    @Test
    void areaFractionAndLogRatioAreUniform() {
        // scale up to 0.5 keeps every attempt inside the image, so no draw is rejected.
        RandomResizedCrop crop = RandomResizedCrop.builder().setSize(8).optScale(0.1, 0.5).optSeed(3).build();
        int n = 2000;
        long side = 4000;
        double[] areas = new double[n];
        double[] logRatios = new double[n];
        for (int i = 0; i < n; i++) {
            CropBox box = crop.draw(new ViewKey(0, i, 0), side, side);
            areas[i] = (double) box.height() * box.width() / (side * side);
            logRatios[i] = Math.log((double) box.width() / box.height());
            // w and h are rounded to whole pixels (<= 0.5 each, sides <= 4000 * sqrt(0.5 * 4 / 3)): the
            // area moves by at most 0.5 (w + h) + 0.25 < 3300 px of 1.6e7, 2.1e-4, inside 1e-3
            assertTrue(areas[i] >= 0.1 - 1e-3 && areas[i] <= 0.5 + 1e-3, "area fraction " + areas[i]);
        }
        assertTrue(Frequencies.ksUniform(areas, 0.1, 0.5) < Frequencies.ksCritical(n));
        assertTrue(Frequencies.ksUniform(logRatios, Math.log(0.75), Math.log(4 / 3.0)) < Frequencies.ksCritical(n));
    }

    @Property(tries = 200)
    void boxesLieInsideTheImageWithinTheRanges(@ForAll @IntRange(min = 1, max = 300) int h,
            @ForAll @IntRange(min = 1, max = 300) int w, @ForAll @IntRange(min = 0, max = 10000) int index) {
        RandomResizedCrop crop = RandomResizedCrop.builder().setSize(4).build();
        CropBox box = crop.draw(new ViewKey(1, index, 0), h, w);
        box.requireInside(h, w);
    }

    @Test
    void fallsBackToTheCentreCropClampedToTheRatioRange() {
        // Scale 1 with ratio 2..3 cannot fit a 10x10 image: centre crop with ratio 2.
        RandomResizedCrop crop = RandomResizedCrop.builder().setSize(4).optScale(1, 1).optRatio(2, 3).build();
        assertEquals(new CropBox(2, 0, 5, 10), crop.draw(new ViewKey(0, 0, 0), 10, 10));
        RandomResizedCrop tall = RandomResizedCrop.builder().setSize(4).optScale(1, 1).optRatio(0.2, 0.25).build();
        assertEquals(new CropBox(0, 4, 12, 3), tall.draw(new ViewKey(0, 0, 0), 12, 12));
    }

    @Test
    void appliesTheDrawnBox() {
        RandomResizedCrop crop = RandomResizedCrop.builder().setSize(5, 6).optSeed(9).build();
        float[] x = Images.random(1, 3, 20, 17, false);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray image = Images.array(m, x, 3, 20, 17);
            ViewKey key = new ViewKey(2, 5, 1);
            CropBox box = crop.draw(key, 20, 17);
            NDArray out = crop.transform(image, key);
            assertEquals(new Shape(3, 5, 6), out.getShape());
            // double reference: the float32 source position s = (d + 0.5) * (size / n) - 0.5 < 32 takes
            // three roundings, each at most u times a value below 32 (1.9e-6), into a weight, times
            // |a - b| <= 1, plus the blend's 3u: < 6e-6, inside 1e-5
            ImageOpsTest.check(out, Reference.resizedCrop(x, 3, 20, 17, (int) box.top(), (int) box.left(),
                    (int) box.height(), (int) box.width(), 5, 6), 1e-5);
        }
    }

    @Test
    void badSettingsAreRejected() {
        ImageOpsTest.assertMessage("output size", () -> RandomResizedCrop.builder().build());
        ImageOpsTest.assertMessage("0 < min <= max <= 1",
                () -> RandomResizedCrop.builder().setSize(4).optScale(0.5, 0.2).build());
        ImageOpsTest.assertMessage("0 < min <= max <= 1",
                () -> RandomResizedCrop.builder().setSize(4).optScale(0, 0.2).build());
        ImageOpsTest.assertMessage("0 < min <= max <= 1",
                () -> RandomResizedCrop.builder().setSize(4).optScale(0.1, 1.5).build());
        ImageOpsTest.assertMessage("ratio", () -> RandomResizedCrop.builder().setSize(4).optRatio(2, 1).build());
        ImageOpsTest.assertMessage("ratio", () -> RandomResizedCrop.builder().setSize(4).optRatio(-1, 1).build());
        ImageOpsTest.assertMessage("attempts", () -> RandomResizedCrop.builder().setSize(4).optAttempts(0).build());
        ImageOpsTest.assertMessage("top >= 0", () -> new CropBox(-1, 0, 1, 1));
    }
}
