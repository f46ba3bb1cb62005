package org.suncet.augment;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Pipeline;
import ai.djl.ndarray.NDList;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class ImageTensorsTest {

    @Property(tries = 50)
    void hwcBytesBecomeChwUnitFloats(@ForAll @IntRange(min = 0, max = 1) int rgb, @ForAll @IntRange(min = 1, max = 6) int h,
            @ForAll @IntRange(min = 1, max = 6) int w, @ForAll long seed) {
        int c = rgb == 1 ? 3 : 1;
        java.util.Random random = new java.util.Random(seed);
        byte[] hwc = new byte[h * w * c];
        random.nextBytes(hwc);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray image = m.create(hwc, new Shape(h, w, c)).toType(DataType.UINT8, false);
            NDArray out = ImageTensors.toFloatChw(image);
            assertEquals(new Shape(c, h, w), out.getShape());
            assertEquals(DataType.FLOAT32, out.getDataType());
            float[] values = out.toFloatArray();
            for (int k = 0; k < c; k++) {
                for (int i = 0; i < h; i++) {
                    for (int j = 0; j < w; j++) {
                        // one correctly rounded float32 division on each side: equal (1e-7 < 2 ulps of 1)
                        assertEquals((hwc[(i * w + j) * c + k] & 0xFF) / 255f, values[(k * h + i) * w + j], 1e-7);
                    }
                }
            }
            NDArray batch = ImageTensors.toFloatChw(image.toType(DataType.FLOAT32, false).expandDims(0));
            assertEquals(new Shape(1, c, h, w), batch.getShape());
            // uint8 and float32 inputs take the same division: identical
            ImageOpsTest.check(batch.get(0), out, 0);
        }
    }

    @Test
    void grayscaleDataWorksThroughAPipeline() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray mnist = m.arange(0f, 28 * 28f).reshape(28, 28).mod(256f);
            Pipeline pipeline = new Pipeline().add(ImageTensors::toFloatChw).add(ImageTensors::toRgb);
            NDArray out = pipeline.transform(new NDList(mnist)).singletonOrThrow();
            assertEquals(new Shape(3, 28, 28), out.getShape());
            // channel copies: identical; 255 / 255 is exactly 1
            ImageOpsTest.check(out.get(2), out.get(0), 0);
            assertEquals(255 / 255f, out.max().getFloat(), 1e-7);
        }
    }

    @Test
    void badInputIsRejected() {
        try (NDManager m = NDManager.newBaseManager()) {
            ImageOpsTest.assertMessage("channels last", () -> ImageTensors.toFloatChw(m.zeros(new Shape(4, 4, 4))));
            ImageOpsTest.assertMessage("channels last", () -> ImageTensors.toFloatChw(m.zeros(new Shape(4))));
            ImageOpsTest.assertMessage("dtype boolean",
                    () -> ImageTensors.toFloatChw(m.zeros(new Shape(4, 4)).toType(DataType.BOOLEAN, false)));
            ImageOpsTest.assertMessage("got 2", () -> ImageTensors.toRgb(m.zeros(new Shape(2, 4, 4))));
        }
    }
}
