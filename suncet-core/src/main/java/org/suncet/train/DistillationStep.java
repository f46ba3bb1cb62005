package org.suncet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.util.Pair;
import org.suncet.loss.DistillationLoss;

import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import org.suncet.ndarray.MallocTuning;
import org.suncet.ndarray.Scalars;

/**
 * One SimCLRv2 distillation step (Chen et al. 2020, "Big Self-Supervised Models are Strong
 * Semi-Supervised Learners", arXiv 2006.10029, §2 and SPEC §2.5): a fixed teacher labels unlabeled
 * images with its logits, and the student, trained by its {@link Trainer}, fits them with {@link
 * DistillationLoss}, optionally mixed with a supervised cross-entropy on labeled images:
 *
 * <pre>
 *   t = teacher(x_u)                      inference mode, no gradient         [n, C]
 *   u = student([x_u; x_l])               training mode, one pass             [n + m, C]
 *   L_distill = mean_b [ − Σ_c softmax(t_b / T)_c · log softmax(u_b / T)_c ]   (rows of x_u)
 *   CE        = mean_b [ − log softmax(u_b)_{y_b} ]                            (rows of x_l)
 *   L = α · L_distill + (1 − α) · CE                                         (α = 1: L_distill)
 * </pre>
 *
 * <p>Defaults: α = 1 (SimCLRv2 distils on unlabeled images only), T = 1 and no T² factor (the
 * {@link DistillationLoss} defaults). With α = 1 the labeled images are neither needed nor
 * forwarded; with α &lt; 1 the student forwards {@code [x_u; x_l]} in one pass, so batch norm sees
 * every row (as the pre-training step does).
 *
 * <p><b>The teacher is fixed.</b> It runs as {@code teacher.forward(parameterStore, x, training =
 * false)} on a fresh {@code ParameterStore}, outside the student's gradient collector, and its
 * logits are detached with {@code stopGradient}: batch norm uses (and never updates) its running
 * statistics, dropout is off, no graph is recorded through the teacher and no optimizer ever sees
 * its parameters. This needs no second {@code Trainer} (whose forward is always in training mode)
 * and no {@code Predictor} (whose translator and batchifier add nothing for an NDArray in, NDArray
 * out). A teacher that shares a parameter with the student would still be changed by the student's
 * optimizer, so the step rejects that.
 *
 * <p>Like {@link SupervisedStep} the step reads back to the host only for its finite check (the
 * default loss is built with value checks off; a loss passed with {@code optLoss} keeps its own
 * setting) and, when the trainer has metrics, for {@link StepMetrics}. Results are owned by the unlabeled images' manager; every other array the step makes is
 * closed, and {@code trainer.step()} runs outside the step's scope.
 *
 * <p><b>Non-finite values.</b> By default the step checks, after backward and before {@code
 * trainer.step()}, that the loss and the gradient of every trainable parameter of the student are
 * finite ({@link FiniteCheck}: one host read per step); if not, it zeroes the student's gradients
 * and throws {@link NonFiniteTrainingException}, so the student and its optimizer keep the last
 * good step's state. {@code optCheckFinite(false)} switches the check off.
 *
 * <p>Bad input ({@link IllegalArgumentException}): at build time, a missing or uninitialised
 * teacher, α outside (0, 1], an output index &lt; −1; at run time, images of rank 0 or with no
 * rows, missing labeled images or labels when α &lt; 1, labeled images of another per-image shape
 * than the unlabeled ones, labels of another shape or a non-numeric dtype, teacher or student
 * logits that are not {@code [rows, C]} or whose C differ, a teacher that shares a parameter with
 * the student.
 *
 * <p><b>Training listeners.</b> After backward and the finite check, before {@code
 * student.step()} (where DJL's {@code EasyTrain} tells them), the step calls {@code
 * onTrainingBatch} on the student trainer's listeners with a {@code BatchData} as EasyTrain builds
 * it: the batch holds {@code NDList(rows the student forwarded)} and its size is their number;
 * labels {@code NDList(t)}, the teacher's logits, with the labeled images' class ids as a second
 * array when α &lt; 1; predictions the student's outputs (over {@code [x_u; x_l]} when α &lt; 1).
 * With α = 1 a trainer whose loss is the step's {@link DistillationLoss} thus reports the
 * distillation loss through DJL's evaluator listeners. The loop fires {@code onEpoch} (the trainer
 * fires {@code onTrainingBegin} and {@code onTrainingEnd}). A step that fails its finite check
 * tells no listener. Listeners only read: the arithmetic is the same with and without them. When
 * the student's trainer has DJL {@code Metrics}, the step first records its loss there ({@link
 * StepMetrics#LOSS}: one more read to the host), for the listeners to read.
 */
public final class DistillationStep {

    private final Block teacher;
    private final DistillationLoss distillation;
    private final float distillationWeight;
    private final int teacherLogitsIndex;
    private final int studentLogitsIndex;
    private final Set<String> teacherParameterIds;
    private final boolean checkFinite;
    private Trainer checkedStudent;

    private DistillationStep(Builder builder) {
        MallocTuning.ensureApplied();
        if (builder.teacher == null) {
            throw new IllegalArgumentException("teacher must be set (setTeacher), got null");
        }
        if (!builder.teacher.isInitialized()) {
            throw new IllegalArgumentException(
                    "teacher must be initialised (trained or loaded) before distillation");
        }
        if (!(builder.distillationWeight > 0f && builder.distillationWeight <= 1f)) {
            throw new IllegalArgumentException(
                    "distillationWeight α must be in (0, 1] (use SupervisedStep for α = 0), got "
                            + builder.distillationWeight);
        }
        if (builder.teacherLogitsIndex < -1 || builder.studentLogitsIndex < -1) {
            throw new IllegalArgumentException(
                    "logits indices must be >= 0, or -1 for the last output; got teacher "
                            + builder.teacherLogitsIndex
                            + ", student "
                            + builder.studentLogitsIndex);
        }
        this.teacher = builder.teacher;
        this.distillation =
                builder.distillation != null
                        ? builder.distillation
                        : DistillationLoss.builder().optCheckValues(false).build();
        this.distillationWeight = builder.distillationWeight;
        this.teacherLogitsIndex = builder.teacherLogitsIndex;
        this.studentLogitsIndex = builder.studentLogitsIndex;
        this.checkFinite = builder.checkFinite;
        Set<String> ids = new HashSet<>();
        for (Pair<String, Parameter> entry : teacher.getParameters()) {
            ids.add(entry.getValue().getId());
        }
        this.teacherParameterIds = ids;
    }

    /**
     * Returns a builder with α = 1, the default {@link DistillationLoss} (T = 1, no T²) and the
     * last output of each block as its logits.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns α, the weight of the distillation term.
     *
     * @return α in (0, 1]
     */
    public float getDistillationWeight() {
        return distillationWeight;
    }

    /**
     * Returns whether a step needs labeled images, that is whether α &lt; 1.
     *
     * @return whether labeled images and labels are used
     */
    public boolean needsLabeled() {
        return distillationWeight < 1f;
    }

    /**
     * Returns the teacher's detached logits on {@code images}, computed in inference mode.
     *
     * @param images {@code [n, ...]} images
     * @return {@code [n, C]} logits owned by the images' manager
     * @throws IllegalArgumentException if the images have no rows or the logits are not {@code [n,
     *     C]}
     */
    public NDArray teacherLogits(NDArray images) {
        long rows = SupervisedStep.checkImages(images, "images");
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray logits = teacherLogitsIn(images, rows);
            NDScope.unregister(logits);
            logits.attach(images.getManager());
            return logits;
        }
    }

    /**
     * Runs one step with α = 1: distillation on unlabeled images only.
     *
     * @param student the trainer of the student (its optimizer is applied)
     * @param unlabeledImages {@code [n, ...]} images
     * @return the losses, owned by the images' manager
     * @throws IllegalArgumentException for bad input, or if α &lt; 1 (see {@link DistillationStep})
     * @throws NonFiniteTrainingException if the check is on and the loss or a gradient is
     *     non-finite; nothing was updated and the gradients are zeroed
     */
    public Result run(Trainer student, NDArray unlabeledImages) {
        return run(student, unlabeledImages, null, null);
    }

    /**
     * Runs one step: teacher logits, student forward (training mode), loss, backward, finite check,
     * optimizer update.
     *
     * @param student the trainer of the student (its optimizer is applied)
     * @param unlabeledImages {@code [n, ...]} images the teacher labels
     * @param labeledImages {@code [m, ...]} labeled images (used only when α &lt; 1; may be null
     *     otherwise)
     * @param labels {@code [m]} their class ids (used only when α &lt; 1)
     * @return the losses, owned by the unlabeled images' manager
     * @throws IllegalArgumentException for bad input (see {@link DistillationStep})
     * @throws NonFiniteTrainingException if the check is on and the loss or a gradient is
     *     non-finite; nothing was updated and the gradients are zeroed
     */
    public Result run(
            Trainer student, NDArray unlabeledImages, NDArray labeledImages, NDArray labels) {
        return run(student, unlabeledImages, labeledImages, labels, BatchProgress.SINGLE);
    }

    /**
     * Runs one step, as {@link #run(Trainer, NDArray, NDArray, NDArray)}, telling the student
     * trainer's listeners where the batch stands in its epoch.
     *
     * @param student the trainer of the student (its optimizer is applied, its listeners told)
     * @param unlabeledImages {@code [n, ...]} images the teacher labels
     * @param labeledImages {@code [m, ...]} labeled images (used only when α &lt; 1; may be null
     *     otherwise)
     * @param labels {@code [m]} their class ids (used only when α &lt; 1)
     * @param progress the batch's place in its epoch, reported to the listeners
     * @return the losses, owned by the unlabeled images' manager
     * @throws IllegalArgumentException for bad input (see {@link DistillationStep})
     * @throws NonFiniteTrainingException if the check is on and the loss or a gradient is
     *     non-finite; nothing was updated, the gradients are zeroed and no listener was told
     */
    public Result run(
            Trainer student,
            NDArray unlabeledImages,
            NDArray labeledImages,
            NDArray labels,
            BatchProgress progress) {
        if (progress == null) {
            throw new IllegalArgumentException(
                    "progress must not be null (BatchProgress.SINGLE for none)");
        }
        long unlabeledRows = SupervisedStep.checkImages(unlabeledImages, "unlabeledImages");
        boolean mixed = needsLabeled();
        long labeledRows = 0;
        if (mixed) {
            if (labeledImages == null) {
                throw new IllegalArgumentException(
                        "labeledImages must be given when α = " + distillationWeight + " < 1");
            }
            labeledRows = SupervisedStep.checkImages(labeledImages, "labeledImages");
            Shape perImage = unlabeledImages.getShape().slice(1);
            if (!labeledImages.getShape().slice(1).equals(perImage)) {
                throw new IllegalArgumentException(
                        "labeledImages must have the unlabeled images' per-image shape "
                                + perImage
                                + ", got "
                                + labeledImages.getShape());
            }
            SupervisedStep.checkLabels(labels, labeledRows, "labels");
        }
        checkTeacherIsApart(student);
        NDArray loss;
        NDArray distillationLoss;
        NDArray crossEntropy = null;
        NDArray target;
        NDArray batch;
        NDList outputs;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            target = teacherLogitsIn(unlabeledImages, unlabeledRows); // [n, C]
            try (GradientCollector collector = student.newGradientCollector()) {
                batch =
                        mixed
                                ? NDArrays.concat(new NDList(unlabeledImages, labeledImages))
                                : unlabeledImages;
                outputs = student.forward(new NDList(batch));
                NDArray logits =
                        SupervisedStep.checkLogits(
                                InferenceForward.select(
                                        outputs, studentLogitsIndex, "student logits"),
                                unlabeledRows + labeledRows); // [n + m, C]
                NDArray unlabeledLogits =
                        mixed ? logits.get(new NDIndex("0:{}", unlabeledRows)) : logits;
                distillationLoss =
                        distillation.evaluate(new NDList(target), new NDList(unlabeledLogits));
                if (mixed) {
                    NDArray labeledLogits = logits.get(new NDIndex("{}:", unlabeledRows));
                    crossEntropy =
                            SupervisedStep.crossEntropy(
                                    labeledLogits,
                                    SupervisedStep.classIds(labels, labeledLogits));
                    loss =
                            Scalars.mul(distillationLoss, distillationWeight)
                                    .add(Scalars.mul(crossEntropy, 1 - distillationWeight));
                } else {
                    loss = distillationLoss;
                }
                collector.backward(loss);
            }
            NDScope.unregister(loss, distillationLoss);
            if (crossEntropy != null) {
                NDScope.unregister(crossEntropy);
            }
            // the listeners read these; closed below
            NDScope.unregister(outputs);
            NDScope.unregister(target, batch);
        }
        try {
            NDManager owner = unlabeledImages.getManager();
            loss.attach(owner);
            distillationLoss.attach(owner);
            if (crossEntropy != null) {
                crossEntropy.attach(owner);
            }
            if (checkFinite) {
                FiniteCheck.checkBeforeUpdate(loss, student);
            }
            StepMetrics.recordLoss(student, loss);
            NDList targets = mixed ? new NDList(target, labels) : new NDList(target);
            TrainingBatchEvent.notify(
                    student,
                    new NDList(batch),
                    targets,
                    outputs,
                    unlabeledRows + labeledRows,
                    progress);
        } finally {
            SupervisedStep.closeOutputs(outputs, batch);
            target.close();
            if (batch != unlabeledImages) {
                batch.close();
            }
        }
        student.step();
        return new Result(loss, distillationLoss, crossEntropy, unlabeledRows + labeledRows);
    }

    /** The teacher's detached {@code [rows, C]} logits; temporaries are left to the open scope. */
    private NDArray teacherLogitsIn(NDArray images, long rows) {
        try (NDManager scratch = images.getManager().newSubManager()) {
            NDList outputs = InferenceForward.run(teacher, images, scratch);
            NDArray logits =
                    SupervisedStep.checkLogits(
                            InferenceForward.select(outputs, teacherLogitsIndex, "teacher logits"),
                            rows);
            // the scratch manager holds mirrored parameters only; the logits outlive it
            logits.attach(images.getManager());
            return logits;
        }
    }

    private void checkTeacherIsApart(Trainer student) {
        Objects.requireNonNull(student, "student");
        if (student == checkedStudent) {
            return;
        }
        for (Pair<String, Parameter> entry : student.getModel().getBlock().getParameters()) {
            if (teacherParameterIds.contains(entry.getValue().getId())) {
                throw new IllegalArgumentException(
                        "the teacher must be fixed, but it shares the student's parameter "
                                + entry.getKey()
                                + ": distil into a separate student model");
            }
        }
        checkedStudent = student;
    }

    /**
     * What a step did.
     *
     * @param loss the scalar objective {@code α·L_distill + (1−α)·CE}, detached after backward
     * @param distillationLoss the distillation term; the same array as {@code loss} when α = 1
     * @param crossEntropy the supervised term, or null when α = 1
     * @param rowsForwarded the number of image rows the student forwarded (the teacher forwards
     *     the unlabeled rows once more, in inference mode)
     */
    public record Result(
            NDArray loss, NDArray distillationLoss, NDArray crossEntropy, long rowsForwarded) {}

    /** Builds a {@link DistillationStep}. */
    public static final class Builder {
        Block teacher;
        DistillationLoss distillation;
        float distillationWeight = 1f;
        int teacherLogitsIndex = -1;
        int studentLogitsIndex = -1;
        boolean checkFinite = true;

        Builder() {}

        /**
         * Sets the teacher (required): an initialised classifier block, for example a fine-tuned
         * network loaded from its checkpoint. It is only ever run in inference mode.
         *
         * @param teacher the teacher block
         * @return this builder
         */
        public Builder setTeacher(Block teacher) {
            this.teacher = teacher;
            return this;
        }

        /**
         * Sets the distillation loss (default {@code DistillationLoss.builder().optCheckValues(
         * false).build()}: T = 1, no T², no host read).
         *
         * @param distillation the loss
         * @return this builder
         */
        public Builder optLoss(DistillationLoss distillation) {
            this.distillation = Objects.requireNonNull(distillation, "distillation");
            return this;
        }

        /**
         * Sets α, the weight of the distillation term (default 1, SimCLRv2; must be in (0, 1]);
         * {@code 1 − α} weighs the cross-entropy on labeled images.
         *
         * @param distillationWeight α
         * @return this builder
         */
        public Builder optDistillationWeight(float distillationWeight) {
            this.distillationWeight = distillationWeight;
            return this;
        }

        /**
         * Sets which output of the teacher holds its logits (default −1, the last).
         *
         * @param index the output index, or −1
         * @return this builder
         */
        public Builder optTeacherLogitsIndex(int index) {
            this.teacherLogitsIndex = index;
            return this;
        }

        /**
         * Sets which output of the student holds its logits (default −1, the last).
         *
         * @param index the output index, or −1
         * @return this builder
         */
        public Builder optStudentLogitsIndex(int index) {
            this.studentLogitsIndex = index;
            return this;
        }

        /**
         * Sets whether the step runs {@link FiniteCheck} on the loss and the student's gradients
         * before each update (default true), throwing {@link NonFiniteTrainingException} instead of
         * applying a NaN or an infinity.
         *
         * @param checkFinite whether to check
         * @return this builder
         */
        public Builder optCheckFinite(boolean checkFinite) {
            this.checkFinite = checkFinite;
            return this;
        }

        /**
         * Builds the step.
         *
         * @return the step
         * @throws IllegalArgumentException for bad settings (see {@link DistillationStep})
         */
        public DistillationStep build() {
            return new DistillationStep(this);
        }
    }
}
