package org.suncet.examples.data;

import ai.djl.ndarray.NDManager;
import org.suncet.train.LabelSplit;

/**
 * A training set divided into a seeded, class-balanced validation set and the images left to
 * train on, the protocol of the project's study (validation for every choice of a recipe, the test
 * set only for the final numbers).
 *
 * <p>The validation images are {@link LabelSplit#balanced(long[], double, long)} of the training
 * set with φ = {@code validationImages / N} (so {@code validationImages / C} images of each class,
 * rounded half up; Fashion-MNIST: 5,000 of 60,000 gives 500 per class) and the seed; the training
 * part is {@link LabelSplit#complement()}, in ascending index order. The same seed gives the same
 * division; the two parts are disjoint and together hold every image once.
 *
 * @param train the images left to train on (labeled and unlabeled parts are drawn from these)
 * @param validation the held-out validation images
 */
public record HeldOutSplit(ImageData train, ImageData validation) {

    /**
     * Holds out a class-balanced validation set.
     *
     * @param data the full training set
     * @param validationImages how many images to hold out, in [C, N − 1] (C the classes present)
     * @param seed the seed of the choice
     * @param manager the manager that owns both parts' images
     * @return the division
     * @throws IllegalArgumentException if {@code validationImages} is outside [1, N − 1] or gives
     *     fewer than 1 image per class (see {@link LabelSplit#balanced(long[], double, long)})
     */
    public static HeldOutSplit of(ImageData data, int validationImages, long seed, NDManager manager) {
        if (validationImages < 1 || validationImages >= data.size()) {
            throw new IllegalArgumentException(
                    "validationImages must be in [1, " + (data.size() - 1) + "] (the training set holds "
                            + data.size() + " images), got " + validationImages);
        }
        LabelSplit held = LabelSplit.balanced(data.labels(), (double) validationImages / data.size(), seed);
        return new HeldOutSplit(data.subset(held.complement(), manager), data.subset(held.indices(), manager));
    }
}
