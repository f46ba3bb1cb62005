package org.suncet.examples.study;

import java.util.List;

/**
 * One finished cell of the study: a method trained for one seed, label fraction and budget, with
 * its compute and accuracy. A row of {@code results.csv}.
 *
 * @param seed the seed
 * @param fraction the labeled fraction
 * @param method {@code supervised}, {@code simclr}, {@code suncet} or {@code distilled}
 * @param budget pre-training epochs (0 for supervised only; the teacher's for distilled)
 * @param stepsPerEpoch pre-training steps per epoch (0 without pre-training)
 * @param unlabeledRowsPerStep pre-training rows of augmented unlabeled views per step, 2n
 * @param supportRowsPerStep labeled support rows per step while SuNCEt is on, C·K (0 for SimCLR)
 * @param supervisedEpochs epochs with SuNCEt switched on (0 for SimCLR)
 * @param pretrainSteps pre-training steps run
 * @param pretrainRows rows forwarded in pre-training, summed over its steps
 * @param pretrainSeconds wall-clock seconds of pre-training
 * @param pretrainLoss the mean objective of the last pre-training epoch (NaN without one)
 * @param finetuneRows rows forwarded after pre-training (every fine-tuning tried; plus distillation)
 * @param finetuneSeconds wall-clock seconds after pre-training
 * @param validationTop1 top-1 on the validation images of the weights chosen (NaN for distilled)
 * @param top1 top-1 test accuracy
 * @param top5 top-5 test accuracy
 * @param teacher the teacher's method for distilled, else empty
 * @param parameters the classifier's parameter count
 * @param knnValidationTop1 soft-kNN top-1 on the validation images of the pre-trained encoder's
 *     frozen features, the labeled images as memory (NaN without pre-training)
 * @param knnTop1 the same on the test images
 * @param finetuneChoice the fine-tuning chosen on validation, {@code rate×steps@step} (the base
 *     rate, the recipe's steps, the step whose weights were kept); empty for distilled
 */
public record StudyRecord(
        long seed,
        double fraction,
        String method,
        int budget,
        int stepsPerEpoch,
        int unlabeledRowsPerStep,
        int supportRowsPerStep,
        int supervisedEpochs,
        long pretrainSteps,
        long pretrainRows,
        double pretrainSeconds,
        double pretrainLoss,
        long finetuneRows,
        double finetuneSeconds,
        double validationTop1,
        double top1,
        double top5,
        String teacher,
        long parameters,
        double knnValidationTop1,
        double knnTop1,
        String finetuneChoice) {

    /** The CSV columns after the leading row number. */
    public static final List<String> COLUMNS =
            List.of(
                    "row", "seed", "fraction", "method", "budget_epochs", "steps_per_epoch",
                    "unlabeled_rows_per_step", "support_rows_per_step", "supervised_epochs",
                    "pretrain_steps", "pretrain_rows", "pretrain_seconds", "pretrain_loss",
                    "finetune_rows", "finetune_seconds", "validation_top1", "top1", "top5",
                    "teacher", "parameters", "knn_validation_top1", "knn_top1", "finetune_choice");

    /**
     * Returns the values for {@link org.suncet.examples.run.MetricsCsv#append}.
     *
     * @param row the row number
     * @return the values, in {@link #COLUMNS} order
     */
    public Object[] values(long row) {
        return new Object[] {
            row, seed, fraction, method, budget, stepsPerEpoch, unlabeledRowsPerStep, supportRowsPerStep,
            supervisedEpochs, pretrainSteps, pretrainRows, pretrainSeconds, pretrainLoss, finetuneRows,
            finetuneSeconds, validationTop1, top1, top5, teacher, parameters, knnValidationTop1, knnTop1,
            finetuneChoice
        };
    }

    /**
     * Reads a CSV row written by {@link #values}.
     *
     * @param cells the cells, in {@link #COLUMNS} order
     * @return the record
     */
    public static StudyRecord parse(List<String> cells) {
        if (cells.size() != COLUMNS.size()) {
            throw new IllegalArgumentException(
                    "a study row needs " + COLUMNS.size() + " cells, got " + cells.size() + ": " + cells);
        }
        return new StudyRecord(
                Long.parseLong(cells.get(1)), Double.parseDouble(cells.get(2)), cells.get(3),
                Integer.parseInt(cells.get(4)), Integer.parseInt(cells.get(5)), Integer.parseInt(cells.get(6)),
                Integer.parseInt(cells.get(7)), Integer.parseInt(cells.get(8)), Long.parseLong(cells.get(9)),
                Long.parseLong(cells.get(10)), Double.parseDouble(cells.get(11)), Double.parseDouble(cells.get(12)),
                Long.parseLong(cells.get(13)), Double.parseDouble(cells.get(14)), Double.parseDouble(cells.get(15)),
                Double.parseDouble(cells.get(16)), Double.parseDouble(cells.get(17)), cells.get(18),
                Long.parseLong(cells.get(19)), Double.parseDouble(cells.get(20)), Double.parseDouble(cells.get(21)),
                cells.get(22));
    }

    /**
     * Returns whether this record is the cell named.
     *
     * @param seed the seed
     * @param fraction the labeled fraction
     * @param method the method
     * @param budget the budget
     * @return whether they match
     */
    public boolean is(long seed, double fraction, String method, int budget) {
        return this.seed == seed && this.fraction == fraction && this.method.equals(method) && this.budget == budget;
    }
}
