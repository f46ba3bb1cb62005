package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class BatchImageOpsTest {

    @Property(tries = 40)
    void perSampleOpsEqualImageByImage(@ForAll @IntRange(min = 1, max = 5) int b,
            @ForAll @IntRange(min = 0, max = 1) int rgb, @ForAll long seed) {
        int c = rgb == 1 ? 3 : 1;
        int h = 7;
        int w = 8;
        Random random = new Random(seed);
        double[] factors = new double[b];
        double[] deltas = new double[b];
        double[] sigmas = new double[b];
        CropBox[] boxes = new CropBox[b];
        boolean[] flips = new boolean[b];
        for (int i = 0; i < b; i++) {
            factors[i] = 2 * random.nextDouble();
            deltas[i] = random.nextDouble() - 0.5;
            sigmas[i] = 0.1 + 2 * random.nextDouble();
            int bh = 1 + random.nextInt(h);
            int bw = 1 + random.nextInt(w);
            boxes[i] = new CropBox(random.nextInt(h - bh + 1), random.nextInt(w - bw + 1), bh, bw);
            flips[i] = random.nextBoolean();
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray batch = Images.array(m, Images.random(seed, b * c, h, w, true), b, c, h, w);
            NDArray brightness = BatchImageOps.adjustBrightness(batch, factors);
            NDArray contrast = BatchImageOps.adjustContrast(batch, factors);
            NDArray saturation = BatchImageOps.adjustSaturation(batch, factors);
            NDArray hue = BatchImageOps.adjustHue(batch, deltas);
            NDArray blur = BatchImageOps.gaussianBlur(batch, 5, sigmas);
            NDArray crops = BatchImageOps.resizedCrop(batch, boxes, flips, 5, 6);
            for (int i = 0; i < b; i++) {
                NDArray one = batch.get(i);
                // colour, hue and crop: bit-identical by construction (the same element-wise ops per
                // sample, a per-row mean, copies; the reversed column table equals the flip bit for bit)
                ImageOpsTest.check(brightness.get(i), ImageOps.adjustBrightness(one, factors[i]), 0);
                ImageOpsTest.check(contrast.get(i), ImageOps.adjustContrast(one, factors[i]), 0);
                ImageOpsTest.check(saturation.get(i), ImageOps.adjustSaturation(one, factors[i]), 0);
                ImageOpsTest.check(hue.get(i), ImageOps.adjustHue(one, deltas[i]), 0);
                // blur: BLAS banded products over a batch of b vs 1 may sum in other orders: 5 taps per
                // pass on [0, 1] values, at most 4.01 * 5 * u = 1.2e-6 (FloatBounds.blurOrders); the old
                // 1e-6 was under that bound
                ImageOpsTest.check(blur.get(i), ImageOps.gaussianBlur(one, 5, sigmas[i]), FloatBounds.blurOrders(5));
                NDArray crop = ImageOps.resizedCrop(one, boxes[i].top(), boxes[i].left(), boxes[i].height(),
                        boxes[i].width(), 5, 6);
                ImageOpsTest.check(crops.get(i), flips[i] ? ImageOps.hflip(crop) : crop, 0);
            }
        }
    }

    @Test
    void badInputIsRejected() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray batch = m.zeros(new ai.djl.ndarray.types.Shape(2, 3, 6, 6));
            ImageOpsTest.assertMessage("one entry per sample: batch has 2 samples, got 3",
                    () -> BatchImageOps.adjustBrightness(batch, new double[] {1, 1, 1}));
            ImageOpsTest.assertMessage("[B, C, H, W]",
                    () -> BatchImageOps.adjustBrightness(m.zeros(new ai.djl.ndarray.types.Shape(3, 6, 6)), new double[] {1}));
            ImageOpsTest.assertMessage("hue delta", () -> BatchImageOps.adjustHue(batch, new double[] {0, 0.9}));
            ImageOpsTest.assertMessage("sigma", () -> BatchImageOps.gaussianBlur(batch, 3, new double[] {1, 0}));
            ImageOpsTest.assertMessage("outside", () -> BatchImageOps.resizedCrop(batch,
                    new CropBox[] {new CropBox(0, 0, 6, 6), new CropBox(1, 0, 6, 6)}, null, 4, 4));
        }
    }
}
