package org.suncet.examples.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Dataset;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageDataTest {

    @Test
    void fashionMnistTestSplitIsOneTensorInTheUnitRangeWithBalancedLabels(@TempDir Path scratch)
            throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ImageData data =
                    ImageData.fashionMnist(
                            DebianFashionMnist.DEFAULT_FOLDER, Dataset.Usage.TEST, manager, scratch);
            assertEquals(new Shape(10_000, 1, 28, 28), data.images().getShape());
            assertEquals(10, data.numClasses());
            assertTrue(data.images().min().getFloat() >= 0f && data.images().max().getFloat() <= 1f);
            long[] counts = new long[10];
            Arrays.stream(data.labels()).forEach(y -> counts[(int) y]++);
            // the official test split holds 1,000 images of each class
            assertTrue(Arrays.stream(counts).allMatch(c -> c == 1000), Arrays.toString(counts));
            assertEquals(9, data.labels()[0]);
        }
    }

    @Test
    void imageFolderGivesOneClassPerSubFolder(@TempDir Path root) throws Exception {
        for (String cls : new String[] {"cat", "dog"}) {
            Files.createDirectories(root.resolve(cls));
            for (int i = 0; i < 3; i++) {
                BufferedImage image = new BufferedImage(20, 12, BufferedImage.TYPE_INT_RGB);
                image.setRGB(i, i, 0xff8040);
                ImageIO.write(image, "png", root.resolve(cls).resolve(i + ".png").toFile());
            }
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            ImageData data = ImageData.imageFolder(root, 16, manager);
            assertEquals(new Shape(6, 3, 16, 16), data.images().getShape());
            assertEquals(2, data.numClasses());
            assertEquals(3, Arrays.stream(data.labels()).filter(y -> y == 1).count());
            assertThrows(
                    IllegalArgumentException.class,
                    () -> ImageData.imageFolder(root.resolve("missing"), 16, manager));
        }
    }
}
