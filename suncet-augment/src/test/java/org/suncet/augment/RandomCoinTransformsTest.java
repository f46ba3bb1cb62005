package org.suncet.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

/** The transforms whose parameter is one coin: flip, grayscale, solarize, and {@link RandomApply}. */
class RandomCoinTransformsTest {

    private static final int DRAWS = 2000;

    @Test
    void coinsLandWithTheirProbability() {
        for (double p : new double[] {0.2, 0.5, 0.8}) {
            Frequencies.assertWithin3Se(Frequencies.count(new RandomHorizontalFlip(p, 1), DRAWS, b -> b), DRAWS, p);
            Frequencies.assertWithin3Se(Frequencies.count(new RandomGrayscale(p, 2), DRAWS, b -> b), DRAWS, p);
            Frequencies.assertWithin3Se(Frequencies.count(new RandomSolarize(0.5, p, 3), DRAWS, b -> b), DRAWS, p);
            RandomApply<Boolean> apply = new RandomApply<>(new RandomGrayscale(1), p, 4);
            Frequencies.assertWithin3Se(Frequencies.count(apply, DRAWS, Applied::applied), DRAWS, p);
        }
        assertEquals(0, Frequencies.count(new RandomHorizontalFlip(0), DRAWS, b -> b));
        assertEquals(DRAWS, Frequencies.count(new RandomHorizontalFlip(1), DRAWS, b -> b));
    }

    @Test
    void applyRunsTheDrawnOp() {
        float[] x = Images.random(5, 3, 4, 6, false);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray image = Images.array(m, x, 3, 4, 6);
            // exact equalities: each random wrapper calls the same deterministic op (or returns its input)
            assertArrayEquals(ImageOps.hflip(image).toFloatArray(),
                    new RandomHorizontalFlip(0.5).apply(image, true).toFloatArray());
            assertArrayEquals(x, new RandomHorizontalFlip(0.5).apply(image, false).toFloatArray());
            assertArrayEquals(ImageOps.toGrayscale(image).toFloatArray(),
                    new RandomGrayscale(0.5).apply(image, true).toFloatArray());
            assertArrayEquals(ImageOps.solarize(image, 0.3).toFloatArray(),
                    new RandomSolarize(0.3, 0.5).apply(image, true).toFloatArray());
            RandomApply<Boolean> apply = new RandomApply<>(new RandomHorizontalFlip(1), 0.5);
            assertArrayEquals(x, apply.apply(image, new Applied<>(false, true)).toFloatArray());
            assertArrayEquals(ImageOps.hflip(image).toFloatArray(),
                    apply.apply(image, new Applied<>(true, true)).toFloatArray());
        }
    }

    @Test
    void sameSeedSameCoinsOtherSeedOtherCoins() {
        int same = 0;
        for (int i = 0; i < 200; i++) {
            ViewKey key = new ViewKey(0, i, 0);
            assertEquals(new RandomHorizontalFlip(0.5, 11).draw(key, 8, 8), new RandomHorizontalFlip(0.5, 11).draw(key, 8, 8));
            same += new RandomHorizontalFlip(0.5, 11).draw(key, 8, 8).equals(new RandomHorizontalFlip(0.5, 12).draw(key, 8, 8)) ? 1 : 0;
        }
        Frequencies.assertWithin3Se(same, 200, 0.5);
    }

    @Test
    void badProbabilitiesAreRejected() {
        ImageOpsTest.assertMessage("flip probability", () -> new RandomHorizontalFlip(1.5));
        ImageOpsTest.assertMessage("grayscale probability", () -> new RandomGrayscale(-0.1));
        ImageOpsTest.assertMessage("solarize probability", () -> new RandomSolarize(0.5, Double.NaN));
        ImageOpsTest.assertMessage("apply probability", () -> new RandomApply<>(new RandomGrayscale(1), 2));
        ImageOpsTest.assertMessage("must not be null", () -> new RandomApply<>(null, 0.5));
    }
}
