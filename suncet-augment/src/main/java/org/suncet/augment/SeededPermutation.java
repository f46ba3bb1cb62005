package org.suncet.augment;

import java.util.Random;

/**
 * A Fisher–Yates permutation of {@code 0 .. size − 1} drawn from {@link java.util.Random}, whose
 * algorithm Java specifies: the same seed gives the same order on every JVM.
 *
 * <p>{@link MultiViewDataset} orders each epoch's unlabeled images with it ({@code seed·1000003 +
 * epoch}), as the recipes of suncet-examples do, so a DJL loop over the dataset and a recipe see
 * the images in the same order.
 */
public final class SeededPermutation {

    private SeededPermutation() {}

    /**
     * Returns a random order of {@code 0 .. size − 1}.
     *
     * @param size the number of indices, ≥ 0
     * @param seed the seed
     * @return the permuted indices
     * @throws IllegalArgumentException if {@code size} is negative
     */
    public static long[] of(int size, long seed) {
        if (size < 0) {
            throw new IllegalArgumentException("size must be >= 0, got " + size);
        }
        long[] order = new long[size];
        for (int i = 0; i < size; i++) {
            order[i] = i;
        }
        Random random = new Random(seed);
        for (int i = size - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            long keep = order[i];
            order[i] = order[j];
            order[j] = keep;
        }
        return order;
    }
}
