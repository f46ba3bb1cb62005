package org.suncet.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * {@link SeededPermutation} gives the orders that suncet-examples' {@code recipe.SeededPermutation}
 * and {@code MultiViewDataset.permutation} gave before the two were merged into this class (the
 * values below were printed by that code), so every run's image order is unchanged.
 */
class SeededPermutationTest {

    @Test
    void givesTheOrdersTheOldCodeGave() {
        assertArrayEquals(new long[0], SeededPermutation.of(0, 0));
        assertArrayEquals(new long[] {0}, SeededPermutation.of(1, 5));
        assertArrayEquals(new long[] {4, 8, 9, 6, 3, 5, 2, 1, 7, 0}, SeededPermutation.of(10, 0));
        assertArrayEquals(new long[] {4, 6, 2, 1, 7, 9, 8, 5, 3, 0}, SeededPermutation.of(10, 42));
        // a recipe's epoch seed, seed·1000003 + epoch (seed 7, epoch 3)
        assertArrayEquals(new long[] {9, 11, 2, 6, 4, 8, 3, 0, 1, 5, 7, 10},
                SeededPermutation.of(12, 7L * 1_000_003L + 3));
        assertArrayEquals(new long[] {5, 11, 14, 17, 6, 4, 7, 15, 2, 16, 0, 18, 12, 19, 3, 10, 8, 9, 1, 13},
                SeededPermutation.of(20, -1));
        // Fashion-MNIST's 60,000 training images, seed 3, epoch 2
        long[] big = SeededPermutation.of(60_000, 3L * 1_000_003L + 2);
        assertArrayEquals(new long[] {51979, 58779, 34139, 32764, 39072}, Arrays.copyOf(big, 5));
        assertEquals(53900, big[59_999]);
        long hash = 0;
        for (long value : big) {
            hash = hash * 31 + value;
        }
        assertEquals(877147145472840870L, hash);
    }

    @Property(tries = 50)
    void isAPermutationAndTheSameSeedGivesTheSameOrder(
            @ForAll @IntRange(min = 0, max = 500) int size, @ForAll long seed) {
        long[] order = SeededPermutation.of(size, seed);
        long[] sorted = order.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < size; i++) {
            assertEquals(i, sorted[i]);
        }
        assertArrayEquals(order, SeededPermutation.of(size, seed));
    }

    @Test
    void aNegativeSizeIsRejected() {
        ImageOpsTest.assertMessage("size must be >= 0, got -1", () -> SeededPermutation.of(-1, 0));
    }
}
