package org.suncet.examples.study;

import java.util.List;

/**
 * What the SuNCEt study runs: the data sizes, label fractions, pre-training budgets and seeds, and
 * the fine-tuning and distillation settings. Pre-training itself uses {@link
 * org.suncet.examples.recipe.PretrainConfig#defaults} (ResNet-18 at width 1/8, n = 128, C = 10 ×
 * K = 2, τ = 0.5 / 0.1, LARS 0.075·√n), with SuNCEt's n lowered so both methods forward the same
 * rows per step.
 *
 * @param trainImages how many of the training images left after the validation hold-out form the
 *     unlabeled set (a seeded subset; all of them when at least their number); the labeled
 *     fractions are drawn from it
 * @param validationImages a seeded, class-balanced hold-out of Fashion-MNIST's 60,000 training
 *     images ({@link org.suncet.examples.data.HeldOutSplit}), with labels, for every choice (the
 *     recipe, the distillation teacher); the test images serve only the final numbers
 * @param testImages test images evaluated (0: all 10,000)
 * @param fractions the labeled fractions, in (0, 1]
 * @param budgets the pre-training budgets in epochs; each is a separate run with its own schedule
 * @param seeds the seeds; each gives its own label split, initialisation and augmentation
 * @param finetuneRows rows each fine-tuning forwards (the same for every method and fraction)
 * @param finetuneBatch the fine-tuning batch (lowered to the labeled count when that is smaller)
 * @param finetuneRate the fine-tuning base rate, scaled by B/256
 * @param distillEpochs epochs of distillation over the unlabeled images
 * @param distillImages unlabeled images distilled on (0: all of {@code trainImages})
 * @param studentWidth the student's ResNet-18 width multiplier (the teacher's is 1/8)
 * @param distillRate the distillation LARS base rate, scaled by √n
 * @param distillBatch the distillation batch n
 * @param pretrainStepsPerEpoch steps per pre-training epoch (0: ⌊trainImages / 128⌋)
 */
public record StudyConfig(
        int trainImages,
        int validationImages,
        int testImages,
        List<Double> fractions,
        List<Integer> budgets,
        List<Long> seeds,
        long finetuneRows,
        int finetuneBatch,
        float finetuneRate,
        int distillEpochs,
        int distillImages,
        float studentWidth,
        float distillRate,
        int distillBatch,
        int pretrainStepsPerEpoch) {

    /** Checks the values. */
    public StudyConfig {
        fractions = List.copyOf(fractions);
        budgets = List.copyOf(budgets).stream().sorted().toList();
        seeds = List.copyOf(seeds);
        if (trainImages < 200 || validationImages < 1 || testImages < 0) {
            throw new IllegalArgumentException(
                    "trainImages must be >= 200 and validationImages >= 1, testImages >= 0, got "
                            + trainImages + ", " + validationImages + ", " + testImages);
        }
        if (trainImages + validationImages > 60_000) {
            throw new IllegalArgumentException(
                    "trainImages + validationImages must be <= 60000, got " + (trainImages + validationImages));
        }
        for (double f : fractions) {
            if (!(f > 0 && f <= 1)) {
                throw new IllegalArgumentException("label fractions must be in (0, 1], got " + f);
            }
        }
        if (fractions.isEmpty() || budgets.isEmpty() || seeds.isEmpty()) {
            throw new IllegalArgumentException(
                    "fractions, budgets and seeds must not be empty, got " + fractions + ", " + budgets + ", " + seeds);
        }
        for (int b : budgets) {
            if (b < 1) {
                throw new IllegalArgumentException("budgets must be >= 1 epoch, got " + b);
            }
        }
        if (finetuneRows < 1 || finetuneBatch < 1 || !(finetuneRate > 0)) {
            throw new IllegalArgumentException(
                    "finetuneRows, finetuneBatch and finetuneRate must be positive, got "
                            + finetuneRows + ", " + finetuneBatch + ", " + finetuneRate);
        }
        if (distillEpochs < 1 || distillImages < 0 || !(studentWidth > 0) || !(distillRate > 0) || distillBatch < 1) {
            throw new IllegalArgumentException("distillation settings must be positive");
        }
        if (pretrainStepsPerEpoch < 0) {
            throw new IllegalArgumentException(
                    "pretrainStepsPerEpoch must be >= 0 (0: all images), got " + pretrainStepsPerEpoch);
        }
    }

    /**
     * The committed study: 5,000 validation images held out, the other 55,000 unlabeled, 1 % and
     * 10 % of them labeled (550 and 5,500, class-balanced), pre-training budgets of 4, 8, 16 and
     * 32 epochs of 93 steps (256 rows a step), seeds 0, 1, 2, fine-tuning for 2,000 steps of 64
     * (128,000 rows) at 0.4·B/256, and 4 epochs of distillation over 12,000 unlabeled images into
     * a ResNet-18 at width 1/16.
     *
     * @return the configuration
     */
    public static StudyConfig full() {
        return new StudyConfig(
                55_000, 5_000, 0, List.of(0.01, 0.1), List.of(4, 8, 16, 32), List.of(0L, 1L, 2L),
                128_000, 64, 0.4f, 4, 12_000, 0.0625f, 0.075f, 128, 93);
    }

    /**
     * The {@code --quick} study a test runs: the same pipeline on 2,000 training images (5 % and 10 %
     * labeled: the recipe's support needs 8 labeled images of each class), 500 test
     * images, one seed, budgets of 1 and 2 epochs of 2 steps each, short fine-tuning and
     * distillation. Its numbers mean nothing; it checks the machinery in about a minute.
     *
     * @return the configuration
     */
    public static StudyConfig quick() {
        return new StudyConfig(
                2_000, 200, 500, List.of(0.05, 0.1), List.of(1, 2), List.of(0L),
                640, 64, 0.4f, 1, 256, 0.0625f, 0.075f, 64, 2);
    }

    /**
     * Returns the largest budget, at which the distillation teachers are taken.
     *
     * @return the largest pre-training budget in epochs
     */
    public int maxBudget() {
        return budgets.get(budgets.size() - 1);
    }
}
