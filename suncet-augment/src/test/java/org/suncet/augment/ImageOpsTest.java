package org.suncet.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class ImageOpsTest {

    private static final double TOL = 1e-5;

    @Property(tries = 60)
    void resizedCropMatchesReference(@ForAll @IntRange(min = 0, max = 1) int rgb,
            @ForAll @IntRange(min = 1, max = 12) int h, @ForAll @IntRange(min = 1, max = 12) int w,
            @ForAll @IntRange(min = 1, max = 15) int oh, @ForAll @IntRange(min = 1, max = 15) int ow,
            @ForAll long seed) {
        int c = rgb == 1 ? 3 : 1;
        java.util.Random random = new java.util.Random(seed);
        int bh = 1 + random.nextInt(h);
        int bw = 1 + random.nextInt(w);
        int top = random.nextInt(h - bh + 1);
        int left = random.nextInt(w - bw + 1);
        float[] x = Images.random(seed, c, h, w, false);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray out = ImageOps.resizedCrop(Images.array(m, x, c, h, w), top, left, bh, bw, oh, ow);
            assertEquals(new Shape(c, oh, ow), out.getShape());
            double[] ref = Reference.resizedCrop(x, c, h, w, top, left, bh, bw, oh, ow);
            // double reference: the float32 source position s = (d + 0.5) * (size / n) - 0.5 < 16 takes
            // three roundings, each at most u times a value below 16 (9.5e-7), into a weight, times
            // |a - b| <= 1, plus the blend's 3u on values <= 1: < 3.1e-6, inside TOL = 1e-5
            assertTrue(Images.maxAbsDiff(out.toFloatArray(), ref) < TOL);
        }
    }

    @Property(tries = 60)
    void colourOpsMatchReference(@ForAll @IntRange(min = 0, max = 1) int rgb,
            @ForAll @IntRange(min = 1, max = 9) int h, @ForAll @IntRange(min = 1, max = 9) int w,
            @ForAll @DoubleRange(min = 0, max = 2.5) double factor,
            @ForAll @DoubleRange(min = -0.5, max = 0.5) double delta,
            @ForAll boolean ties, @ForAll long seed) {
        int c = rgb == 1 ? 3 : 1;
        float[] x = Images.random(seed, c, h, w, ties);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray image = Images.array(m, x, c, h, w);
            // Double references; ours rounds factor and weights to float32 and each product and sum once
            // (u = 6e-8 relative). Brightness (f <= 2.5): <= 2 * 2.5 u. Gray, grayscale: <= 8u.
            // Saturation: < 30u. Contrast: the mean of up to 81 values adds at most 80u (any summation
            // order), times |1 - f| <= 1.5, plus the rest: < 130u = 7.7e-6. All inside TOL = 1e-5.
            check(ImageOps.adjustBrightness(image, factor), Reference.brightness(x, factor), TOL);
            check(ImageOps.adjustContrast(image, factor), Reference.contrast(x, c, h, w, factor), TOL);
            check(ImageOps.adjustSaturation(image, factor), Reference.saturation(x, c, h, w, factor), TOL);
            // hue: 6h in [-1, 5] and the triangle's few steps each round by at most half an ulp of 6
            // (2.4e-7), scaled by the chroma (<= 1), plus a division: < 2e-6, inside 1e-5
            check(ImageOps.adjustHue(image, delta), Reference.hue(x, c, h, w, delta), 1e-5);
            check(ImageOps.toGrayscale(image), Reference.grayscale(x, c, h, w), TOL);
            // solarize: both sides compare with the float32 threshold, then one rounding of 1 - x
            float threshold = (float) (factor / 2.5);
            check(ImageOps.solarize(image, threshold), Reference.solarize(x, threshold), TOL);
            // a copy
            check(ImageOps.hflip(image), Reference.hflip(x, c, h, w), 0);
        }
    }

    @Property(tries = 50)
    void blurMatchesReference(@ForAll @IntRange(min = 0, max = 1) int rgb,
            @ForAll @IntRange(min = 1, max = 10) int h, @ForAll @IntRange(min = 1, max = 10) int w,
            @ForAll @IntRange(min = 0, max = 4) int radius,
            @ForAll @DoubleRange(min = 0.05, max = 3) double sigma, @ForAll long seed) {
        int c = rgb == 1 ? 3 : 1;
        int k = 2 * Math.min(radius, Math.min(h, w) - 1) + 1;
        float[] x = Images.random(seed, c, h, w, false);
        try (NDManager m = NDManager.newBaseManager()) {
            // double reference: at most 2.01 (k + 1) u = 1.2e-6 for k <= 9 (FloatBounds.blurFromExact)
            check(ImageOps.gaussianBlur(Images.array(m, x, c, h, w), k, sigma),
                    Reference.gaussianBlur(x, c, h, w, k, sigma), FloatBounds.blurFromExact(k));
        }
    }

    @Property(tries = 40)
    void batchOfImagesEqualsImageByImage(@ForAll @IntRange(min = 1, max = 4) int b,
            @ForAll @DoubleRange(min = 0, max = 2) double factor, @ForAll long seed) {
        int h = 6;
        int w = 7;
        float[] x = Images.random(seed, b * 3, h, w, false);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray batch = Images.array(m, x, b, 3, h, w);
            NDArray contrast = ImageOps.adjustContrast(batch, factor);
            NDArray blur = ImageOps.gaussianBlur(batch, 3, factor + 0.1);
            NDArray crop = ImageOps.resizedCrop(batch, 1, 2, 4, 5, 5, 3);
            for (int i = 0; i < b; i++) {
                NDArray one = batch.get(i);
                // contrast and crop: bit-identical by construction (element-wise ops, per-row means, copies)
                check(contrast.get(i), ImageOps.adjustContrast(one, factor), 0);
                // blur: BLAS products over b vs 1 samples may sum in other orders (FloatBounds.blurOrders)
                check(blur.get(i), ImageOps.gaussianBlur(one, 3, factor + 0.1), FloatBounds.blurOrders(3));
                check(crop.get(i), ImageOps.resizedCrop(one, 1, 2, 4, 5, 5, 3), 0);
            }
        }
    }

    @Property(tries = 50)
    void outputsStayInRangeWithTheInputShape(@ForAll @IntRange(min = 2, max = 8) int h,
            @ForAll @DoubleRange(min = 0, max = 3) double factor,
            @ForAll @DoubleRange(min = -0.5, max = 0.5) double delta, @ForAll long seed) {
        float[] x = Images.random(seed, 3, h, h + 1, true);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray image = Images.array(m, x, 3, h, h + 1);
            NDArray[] outs = {ImageOps.adjustBrightness(image, factor), ImageOps.adjustContrast(image, factor),
                ImageOps.adjustSaturation(image, factor), ImageOps.adjustHue(image, delta),
                ImageOps.gaussianBlur(image, 3, factor + 0.01), ImageOps.solarize(image, 0.5),
                ImageOps.toGrayscale(image), ImageOps.hflip(image)};
            for (NDArray out : outs) {
                assertEquals(image.getShape(), out.getShape());
                float[] values = out.toFloatArray();
                // every op but hue ends in a clamp (hflip copies); hue's m + c t stays in [0, 1] in float
                // (HueRotation: c = v - m rounds to at most v, t <= 1)
                for (float v : values) {
                    assertTrue(v >= 0f && v <= 1f, "value " + v + " outside [0, 1]");
                }
            }
        }
    }

    @Property(tries = 40)
    void identitiesHold(@ForAll @IntRange(min = 0, max = 1) int rgb, @ForAll @IntRange(min = 1, max = 8) int h,
            @ForAll long seed) {
        int c = rgb == 1 ? 3 : 1;
        float[] x = Images.random(seed, c, h, 5, true);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray image = Images.array(m, x, c, h, 5);
            // exact identities: copies, x * 1 plus exact zeros, and weights 1 and 0 for the same size
            assertArrayEquals(x, ImageOps.hflip(ImageOps.hflip(image)).toFloatArray());
            assertArrayEquals(x, ImageOps.adjustBrightness(image, 1).toFloatArray());
            assertArrayEquals(x, ImageOps.adjustContrast(image, 1).toFloatArray());
            assertArrayEquals(x, ImageOps.adjustSaturation(image, 1).toFloatArray());
            assertArrayEquals(x, ImageOps.resize(image, h, 5).toFloatArray());
            // hue 0 on quantised inputs (multiples of 1/4): 6h is a ratio of small integers rounded once
            // (<= 2.4e-7), the triangle adds at most three roundings below 3 (<= 2.4e-7 + 2 * 1.2e-7),
            // times the chroma (<= 1), plus m + c t (<= 9e-8): < 8e-7
            assertTrue(Images.maxAbsDiff(ImageOps.adjustHue(image, 0).toFloatArray(), x) < 1e-6);
            float[] gray = ImageOps.toGrayscale(image).toFloatArray();
            int plane = h * 5;
            for (int ch = 1; ch < c; ch++) {
                for (int p = 0; p < plane; p++) {
                    // one gray plane broadcast: identical
                    assertEquals(gray[p], gray[ch * plane + p]);
                }
            }
        }
    }

    @Property(tries = 40)
    void blurKeepsConstantImagesConstant(@ForAll @DoubleRange(min = 0, max = 1) double level,
            @ForAll @IntRange(min = 3, max = 9) int h, @ForAll @DoubleRange(min = 0.1, max = 4) double sigma) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray image = m.full(new Shape(3, h, 2 * h), (float) level);
            int k = 2 * (h / 2) + 1 - (h % 2 == 0 ? 2 : 0);
            float[] out = ImageOps.gaussianBlur(image, k, sigma).toFloatArray();
            // exact value: the level; float32 weights and sums: at most 2.01 (k + 1) u times the level
            // (<= 1.2e-6 for k = 9, more than the 1e-6 this used to assert; FloatBounds.blurFromExact)
            for (float v : out) {
                assertEquals(level, v, FloatBounds.blurFromExact(k) * Math.max(level, 1e-30));
            }
        }
    }

    @Test
    void centerCropAndResizeFollowTorchvision() {
        float[] x = Images.random(3, 3, 7, 8, false);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray image = Images.array(m, x, 3, 7, 8);
            // round((7 - 4) / 2) = 2 (half to even), round((8 - 3) / 2) = 2; a crop is a copy: exact
            check(ImageOps.centerCrop(image, 4, 3), Reference.resizedCrop(x, 3, 7, 8, 2, 2, 4, 3, 4, 3), 0);
            // resize: resizedCropMatchesReference's bound (< 3.1e-6)
            check(ImageOps.resize(image, 5, 11), Reference.resizedCrop(x, 3, 7, 8, 0, 0, 7, 8, 5, 11), TOL);
        }
    }
    @Test
    void solarizeIsTheSelectionBitForBitAtItsEdges() {
        // ColorOps.solarize selects with float arithmetic instead of a comparison: values at, just
        // below and just above each threshold, zeros, the unit interval's ends, values outside it,
        // infinities and NaN must give clamp(x >= t ? 1 - x : x, 0, 1) exactly
        float[] thresholds = {0.5f, 0.3f, 0f, 1f, -0.25f};
        for (float t : thresholds) {
            float[] x = {t, Math.nextDown(t), Math.nextUp(t), 0f, -0f, 1f, Math.nextDown(1f), Float.MIN_VALUE,
                -Float.MIN_VALUE, 1.5f, -0.5f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, Float.NaN};
            try (NDManager m = NDManager.newBaseManager()) {
                float[] out = ImageOps.solarize(Images.array(m, x, 1, 1, x.length), t).toFloatArray();
                for (int i = 0; i < x.length; i++) {
                    float selected = x[i] >= t ? 1f - x[i] : x[i];
                    float expected = Float.isNaN(selected) ? selected : Math.max(0f, Math.min(1f, selected));
                    // delta 0: equal values (either zero's sign) or both NaN
                    assertEquals(expected, out[i], 0f, "solarize(" + x[i] + ", threshold " + t + ")");
                }
            }
        }
    }


    @Test
    void badInputIsRejectedWithTheReason() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray image = m.zeros(new Shape(3, 8, 8));
            assertMessage("rank 2", () -> ImageOps.hflip(m.zeros(new Shape(8, 8))));
            assertMessage("got 2", () -> ImageOps.adjustBrightness(m.zeros(new Shape(2, 8, 8)), 1));
            assertMessage("float32", () -> ImageOps.hflip(m.zeros(new Shape(3, 4, 4), DataType.UINT8)));
            assertMessage("brightness factor", () -> ImageOps.adjustBrightness(image, -0.1));
            assertMessage("contrast factor", () -> ImageOps.adjustContrast(image, Double.NaN));
            assertMessage("hue delta", () -> ImageOps.adjustHue(image, 0.6));
            assertMessage("odd", () -> ImageOps.gaussianBlur(image, 4, 1));
            assertMessage("odd", () -> ImageOps.gaussianBlur(image, 0, 1));
            assertMessage("odd", () -> ImageOps.gaussianBlur(image, -3, 1));
            assertMessage("padding 8", () -> ImageOps.gaussianBlur(image, 17, 1));
            assertMessage("sigma", () -> ImageOps.gaussianBlur(image, 3, 0));
            assertMessage("outside", () -> ImageOps.resizedCrop(image, 4, 0, 5, 8, 4, 4));
            assertMessage("outside", () -> ImageOps.resizedCrop(image, 0, 1, 8, 8, 4, 4));
            assertMessage("top >= 0", () -> ImageOps.resizedCrop(image, -1, 0, 5, 5, 4, 4));
            assertMessage("height >= 1", () -> ImageOps.resizedCrop(image, 0, 0, 0, 5, 4, 4));
            assertMessage("output size", () -> ImageOps.resizedCrop(image, 0, 0, 5, 5, 0, 4));
            assertMessage("larger than the image", () -> ImageOps.centerCrop(image, 9, 4));
            assertMessage("threshold", () -> ImageOps.solarize(image, Double.POSITIVE_INFINITY));
        }
    }

    static void assertMessage(String part, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' lacks '" + part + "'");
    }

    static void check(NDArray actual, double[] expected, double tol) {
        double diff = Images.maxAbsDiff(actual.toFloatArray(), expected);
        assertTrue(diff <= tol, "max |difference| " + diff + " > " + tol);
    }

    static void check(NDArray actual, NDArray expected, double tol) {
        assertEquals(expected.getShape(), actual.getShape());
        double diff = Images.maxAbsDiff(actual.toFloatArray(), expected.toFloatArray());
        assertTrue(diff <= tol, "max |difference| " + diff + " > " + tol);
    }
}
