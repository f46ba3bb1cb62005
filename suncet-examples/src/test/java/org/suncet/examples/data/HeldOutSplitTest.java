package org.suncet.examples.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HeldOutSplitTest {

    /** 3 classes × 20 images; image i is filled with the value i, so a part names its sources. */
    private static ImageData numbered(NDManager manager) {
        long[] labels = new long[60];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % 3;
        }
        NDArray images =
                manager.arange(0f, 60f).reshape(60, 1, 1, 1).broadcast(new Shape(60, 1, 2, 2)).toType(DataType.FLOAT32, false);
        return new ImageData(images, labels, 3);
    }

    private static long[] sources(ImageData part) {
        float[] values = part.images().get(":, 0, 0, 0").toFloatArray();
        long[] out = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (long) values[i];
        }
        return out;
    }

    @Test
    void partsAreDisjointCoverEveryImageAndTheValidationIsClassBalanced() {
        try (NDManager manager = NDManager.newBaseManager()) {
            HeldOutSplit split = HeldOutSplit.of(numbered(manager), 15, 4, manager);
            assertEquals(45, split.train().size());
            assertEquals(15, split.validation().size());
            Set<Long> seen = new HashSet<>();
            long[] perClass = new long[3];
            for (ImageData part : new ImageData[] {split.train(), split.validation()}) {
                long[] from = sources(part);
                for (int i = 0; i < from.length; i++) {
                    assertTrue(seen.add(from[i]), "image " + from[i] + " in both parts");
                    assertEquals(from[i] % 3, part.labels()[i], "labels follow their images");
                }
            }
            assertEquals(60, seen.size());
            for (long y : split.validation().labels()) {
                perClass[(int) y]++;
            }
            assertArrayEquals(new long[] {5, 5, 5}, perClass);
        }
    }

    @Test
    void theSeedFixesTheDivision() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ImageData data = numbered(manager);
            long[] first = sources(HeldOutSplit.of(data, 15, 4, manager).validation());
            assertArrayEquals(first, sources(HeldOutSplit.of(data, 15, 4, manager).validation()));
            boolean differs = false;
            for (long seed = 5; seed < 9 && !differs; seed++) {
                differs = !java.util.Arrays.equals(first, sources(HeldOutSplit.of(data, 15, seed, manager).validation()));
            }
            assertTrue(differs, "another seed holds out other images");
        }
    }

    @Test
    void badSizesAreRejected() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ImageData data = numbered(manager);
            for (int bad : new int[] {0, 60, -3}) {
                IllegalArgumentException e =
                        assertThrows(IllegalArgumentException.class, () -> HeldOutSplit.of(data, bad, 0, manager));
                assertTrue(e.getMessage().contains("validationImages"), e.getMessage());
            }
        }
    }
}
