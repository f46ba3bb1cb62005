package org.suncet.examples.study;

import java.util.List;

/**
 * What the SuNCEt study runs: the data sizes, label fractions, pre-training budgets and seeds, and
 * the fine-tuning and distillation settings. Pre-training itself uses {@link
 * org.suncet.examples.recipe.PretrainConfig#recipe} (ResNet-18 at width 1/8, 256 rows a step, one
 * τ = 0.1, SuNCEt's support C = 10 × K = 8 with n = 88 unlabeled images, LARS 0.075·√n).
 *
 * <p>Fine-tuning chooses on validation, as the supervised baseline needs (issue 15): every network
 * is fine-tuned once per {@link FineTuneRecipe} of {@code finetuneRecipes}, each from the same
 * starting weights, its validation top-1 is measured every {@code evaluateEvery} steps and at the
 * end, and the weights at the best validation point over all recipes and evaluations are the
 * result (its test top-1 is the number reported; the test images never choose).
 *
 * @param trainImages how many of the training images left after the validation hold-out form the
 *     unlabeled set (a seeded subset; all of them when at least their number); the labeled
 *     fractions are drawn from it
 * @param validationImages a seeded, class-balanced hold-out of Fashion-MNIST's 60,000 training
 *     images ({@link org.suncet.examples.data.HeldOutSplit}), with labels, for every choice (the
 *     recipe, the fine-tuning point, the distillation teacher); the test images serve only the
 *     final numbers
 * @param testImages test images evaluated (0: all 10,000)
 * @param fractions the labeled fractions, in (0, 1]
 * @param budgets the pre-training budgets in epochs; each is a separate run with its own schedule
 * @param seeds the seeds; each gives its own label split, initialisation and augmentation
 * @param finetuneSteps the fine-tuning steps at a recipe's full length, one per fraction (more
 *     labeled images need more steps); a fraction not listed takes the nearest listed one's
 * @param finetuneBatch the fine-tuning batch (lowered to the labeled count when that is smaller)
 * @param finetuneRecipes the fine-tunings tried on every network, chosen among on validation
 * @param evaluateEvery fine-tuning steps between two validation evaluations
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
        List<Integer> finetuneSteps,
        int finetuneBatch,
        List<FineTuneRecipe> finetuneRecipes,
        int evaluateEvery,
        int distillEpochs,
        int distillImages,
        float studentWidth,
        float distillRate,
        int distillBatch,
        int pretrainStepsPerEpoch) {

    /**
     * One fine-tuning tried on every network: Nesterov SGD at {@code baseRate}·B/256 with cosine
     * decay, for {@code stepShare} of the fraction's {@code finetuneSteps}.
     *
     * @param baseRate the base learning rate, &gt; 0
     * @param stepShare the share of the fraction's steps, in (0, 1]
     */
    public record FineTuneRecipe(float baseRate, double stepShare) {

        /** Checks the values. */
        public FineTuneRecipe {
            if (!(baseRate > 0) || !(stepShare > 0 && stepShare <= 1)) {
                throw new IllegalArgumentException(
                        "a fine-tuning recipe needs baseRate > 0 and stepShare in (0, 1], got " + baseRate + ", " + stepShare);
            }
        }

        /**
         * Returns its steps for a fraction whose full length is {@code steps}.
         *
         * @param steps the fraction's fine-tuning steps
         * @return ⌈stepShare·steps⌉, at least 1
         */
        public int steps(int steps) {
            return Math.max(1, (int) Math.ceil(stepShare * steps));
        }
    }

    /** Checks the values. */
    public StudyConfig {
        fractions = List.copyOf(fractions);
        budgets = List.copyOf(budgets).stream().sorted().toList();
        seeds = List.copyOf(seeds);
        finetuneSteps = List.copyOf(finetuneSteps);
        finetuneRecipes = List.copyOf(finetuneRecipes);
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
        if (finetuneSteps.size() != fractions.size() || finetuneSteps.stream().anyMatch(s -> s < 1)) {
            throw new IllegalArgumentException(
                    "finetuneSteps needs one count >= 1 per fraction " + fractions + ", got " + finetuneSteps);
        }
        if (finetuneBatch < 1 || finetuneRecipes.isEmpty() || evaluateEvery < 1) {
            throw new IllegalArgumentException(
                    "finetuneBatch and evaluateEvery must be >= 1 and finetuneRecipes not empty, got "
                            + finetuneBatch + ", " + evaluateEvery + ", " + finetuneRecipes);
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
     * 10 % of them labeled (550 and 5,500, class-balanced), pre-training budgets of 4, 8 and 16
     * epochs of 93 steps (256 rows a step; SimCLR's frozen features stop improving after about 12
     * epochs and its fine-tuned accuracy is flat from 8 to 32, docs/study/notes.md), seeds 0, 1, 2;
     * fine-tuning in batches of 64 for
     * 2,000 steps (1 %) and 4,000 steps (10 %) at base rate 0.4, and for half as long at 0.1,
     * validation every 500 steps; 4 epochs of distillation over 12,000 unlabeled images into a
     * ResNet-18 at width 1/16.
     *
     * @return the configuration
     */
    public static StudyConfig full() {
        return new StudyConfig(
                55_000, 5_000, 0, List.of(0.01, 0.1), List.of(4, 8, 16), List.of(0L, 1L, 2L),
                List.of(2_000, 4_000), 64, List.of(new FineTuneRecipe(0.4f, 1), new FineTuneRecipe(0.1f, 0.5)), 500,
                4, 12_000, 0.0625f, 0.075f, 128, 93);
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
                List.of(10, 10), 64, List.of(new FineTuneRecipe(0.4f, 1), new FineTuneRecipe(0.1f, 0.5)), 4,
                1, 256, 0.0625f, 0.075f, 64, 2);
    }

    /**
     * Returns the fine-tuning steps of a fraction: its own entry of {@code finetuneSteps}, or the
     * entry of the nearest listed fraction (on a log scale) for one not listed.
     *
     * @param fraction a labeled fraction
     * @return the steps at a recipe's full length
     */
    public int finetuneStepsFor(double fraction) {
        int nearest = 0;
        for (int i = 1; i < fractions.size(); i++) {
            if (Math.abs(Math.log(fractions.get(i) / fraction)) < Math.abs(Math.log(fractions.get(nearest) / fraction))) {
                nearest = i;
            }
        }
        return finetuneSteps.get(nearest);
    }

    /**
     * Returns a copy with other fractions, budgets and seeds, and the unlabeled set's size; each new
     * fraction takes the fine-tuning steps of the nearest fraction of this configuration.
     *
     * @param trainImages the unlabeled set's size
     * @param fractions the labeled fractions
     * @param budgets the budgets in epochs
     * @param seeds the seeds
     * @return the configuration
     */
    public StudyConfig with(int trainImages, List<Double> fractions, List<Integer> budgets, List<Long> seeds) {
        return new StudyConfig(
                trainImages, validationImages, testImages, fractions, budgets, seeds,
                fractions.stream().map(this::finetuneStepsFor).toList(), finetuneBatch, finetuneRecipes, evaluateEvery,
                distillEpochs, distillImages, studentWidth, distillRate, distillBatch, pretrainStepsPerEpoch);
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
