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
            check(ImageOps.adjustBrightness(image, factor), Reference.brightness(x, factor), TOL);
            check(ImageOps.adjustContrast(image, factor), Reference.contrast(x, c, h, w, factor), TOL);
            check(ImageOps.adjustSaturation(image, factor), Reference.saturation(x, c, h, w, factor), TOL);
            check(ImageOps.adjustHue(image, delta), Reference.hue(x, c, h, w, delta), 1e-5);
            check(ImageOps.toGrayscale(image), Reference.grayscale(x, c, h, w), TOL);
            check(ImageOps.solarize(image, factor / 2.5), Reference.solarize(x, factor / 2.5), TOL);
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
            check(ImageOps.gaussianBlur(Images.array(m, x, c, h, w), k, sigma),
                    Reference.gaussianBlur(x, c, h, w, k, sigma), TOL);
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
                check(contrast.get(i), ImageOps.adjustContrast(one, factor), TOL);
                check(blur.get(i), ImageOps.gaussianBlur(one, 3, factor + 0.1), TOL);
                check(crop.get(i), ImageOps.resizedCrop(one, 1, 2, 4, 5, 5, 3), TOL);
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
            assertArrayEquals(x, ImageOps.hflip(ImageOps.hflip(image)).toFloatArray());
            assertArrayEquals(x, ImageOps.adjustBrightness(image, 1).toFloatArray());
            assertArrayEquals(x, ImageOps.adjustContrast(image, 1).toFloatArray());
            assertArrayEquals(x, ImageOps.adjustSaturation(image, 1).toFloatArray());
            assertArrayEquals(x, ImageOps.resize(image, h, 5).toFloatArray());
            assertTrue(Images.maxAbsDiff(ImageOps.adjustHue(image, 0).toFloatArray(), x) < 1e-6);
            float[] gray = ImageOps.toGrayscale(image).toFloatArray();
            int plane = h * 5;
            for (int ch = 1; ch < c; ch++) {
                for (int p = 0; p < plane; p++) {
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
            float[] out = ImageOps.gaussianBlur(image, 2 * (h / 2) + 1 - (h % 2 == 0 ? 2 : 0) , sigma)
                    .toFloatArray();
            for (float v : out) {
                assertEquals(level, v, 1e-6);
            }
        }
    }

    @Test
    void centerCropAndResizeFollowTorchvision() {
        float[] x = Images.random(3, 3, 7, 8, false);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray image = Images.array(m, x, 3, 7, 8);
            // round((7 - 4) / 2) = 2 (half to even), round((8 - 3) / 2) = 2
            check(ImageOps.centerCrop(image, 4, 3), Reference.resizedCrop(x, 3, 7, 8, 2, 2, 4, 3, 4, 3), 0);
            check(ImageOps.resize(image, 5, 11), Reference.resizedCrop(x, 3, 7, 8, 0, 0, 7, 8, 5, 11), TOL);
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
