package org.suncet.models.translate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import javax.imageio.ImageIO;

/** Pixels from image files: the unit range, channel order, resizing rules and arguments. */
class ImagePreprocessingTest {

    private static BufferedImage gray(int width, int height, long seed) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        Random random = new Random(seed);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.getRaster().setSample(x, y, 0, random.nextInt(256));
            }
        }
        return image;
    }

    private static Image written(BufferedImage image, Path folder, String name) throws Exception {
        Path file = folder.resolve(name);
        ImageIO.write(image, "png", file.toFile());
        return ImageFactory.getInstance().fromFile(file);
    }

    @Test
    void aGrayscalePngGivesItsBytesOver255AsOneChannel(@TempDir Path folder) throws Exception {
        BufferedImage source = gray(28, 28, 1);
        Image image = written(source, folder, "gray.png");
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray input = new ImagePreprocessing(1, 28, 28, false).toInput(manager, image);
            assertEquals(new Shape(1, 28, 28), input.getShape());
            assertEquals(DataType.FLOAT32, input.getDataType());
            float[] values = input.toFloatArray();
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    int expected = source.getRaster().getSample(x, y, 0);
                    assertEquals(expected / 255f, values[y * 28 + x], 0f, "pixel " + x + "," + y);
                }
            }
        }
    }

    @Test
    void aColourImageGivesRgbPlanes(@TempDir Path folder) throws Exception {
        BufferedImage source = new BufferedImage(4, 3, BufferedImage.TYPE_INT_RGB);
        source.setRGB(1, 2, 0x336699);
        Image image = written(source, folder, "colour.png");
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray input = new ImagePreprocessing(3, 4, 3, false).toInput(manager, image);
            assertEquals(new Shape(3, 3, 4), input.getShape());
            assertEquals(0x33 / 255f, input.getFloat(0, 2, 1), 0f);
            assertEquals(0x66 / 255f, input.getFloat(1, 2, 1), 0f);
            assertEquals(0x99 / 255f, input.getFloat(2, 2, 1), 0f);
            assertEquals(0f, input.getFloat(0, 0, 0), 0f);
        }
    }

    @Test
    void anImageOfAnotherSizeIsResizedToTheTrainingSize(@TempDir Path folder) throws Exception {
        Image image = written(gray(56, 40, 2), folder, "large.png");
        Image exact = written(gray(28, 28, 3), folder, "exact.png");
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray resized = new ImagePreprocessing(1, 28, 28, false).toInput(manager, image);
            assertEquals(new Shape(1, 28, 28), resized.getShape());
            assertTrue(resized.min().getFloat() >= 0 && resized.max().getFloat() <= 1);
            // "always" resizes even an image of the training size; bilinear at scale 1 is the identity
            NDArray same = new ImagePreprocessing(1, 28, 28, false).toInput(manager, exact);
            NDArray always = new ImagePreprocessing(1, 28, 28, true).toInput(manager, exact);
            assertArrayEquals(same.toFloatArray(), always.toFloatArray(), 0f);
        }
    }

    @Test
    void argumentsRoundTripAndBadOnesAreRefusedNamingTheKey() {
        ImagePreprocessing preprocessing = new ImagePreprocessing(3, 32, 24, true);
        Map<String, String> arguments = preprocessing.toArguments();
        assertEquals(Map.of("inputChannels", "3", "imageWidth", "32", "imageHeight", "24", "resize", "always"), arguments);
        ImagePreprocessing back = ImagePreprocessing.fromArguments(arguments);
        assertEquals(3, back.getChannels());
        assertEquals(32, back.getWidth());
        assertEquals(24, back.getHeight());
        assertTrue(back.isAlwaysResize());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ImagePreprocessing.fromArguments(Map.of("imageWidth", "28"))).getMessage().contains("imageHeight"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ImagePreprocessing.fromArguments(Map.of("imageWidth", "28", "imageHeight", "28", "resize", "never")))
                .getMessage().contains("resize must be"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ImagePreprocessing.fromArguments(Map.of("imageWidth", "x", "imageHeight", "28")))
                .getMessage().contains("'imageWidth' must be an integer"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ImagePreprocessing(2, 28, 28, false))
                .getMessage().contains("inputChannels must be 1"));
        assertThrows(IllegalArgumentException.class, () -> new ImagePreprocessing(1, 0, 28, false));
    }
}
