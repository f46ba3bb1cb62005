package org.suncet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.loss.SoftmaxCrossEntropyLoss;
import org.suncet.ndarray.MallocTuning;

/**
 * One supervised step on labeled images: forward the trainer's classifier in training mode, softmax
 * cross-entropy on integer labels, backward, {@code trainer.step()}. This is the step of SimCLR's
 * fine-tuning (Chen et al. 2020, arXiv 2002.05709, Appendix B.5; SuNCEt, Assran et al. 2020, arXiv
 * 2006.10803), of its linear evaluation (a classifier on the frozen encoder, §B.6) and of a
 * supervised-only baseline; which parameters train is the block's business (a fine-tuning block
 * trains its encoder and kept head layers, a linear probe freezes its encoder). With logits {@code
 * u [B, C]} and labels {@code y [B]}:
 *
 * <pre>
 *   L       = mean_b [ − log softmax(u_b)_{y_b} ]
 *   correct = Σ_b [ argmax_c u_bc = y_b ]          (ties: the lowest class)
 * </pre>
 *
 * <p>Pair it with {@link NesterovSgd} (m = 0.9, lr = 0.05·B/256, no weight decay: SPEC §6). The
 * loss and the count of correct top-1 predictions come back as NDArrays owned by the images'
 * manager, for the caller to read (or not) when it likes; every other array the step makes is
 * closed. {@code trainer.step()} runs outside the step's scope, so optimizer state created there
 * survives.
 *
 * <p><b>Non-finite values.</b> By default the step checks, after backward and before {@code
 * trainer.step()}, that the loss and every trainable parameter's gradient are finite ({@link
 * FiniteCheck}); if not, it zeroes the gradients and throws {@link NonFiniteTrainingException}, so
 * the parameters and the optimizer keep the last good step's state. That check is the step's only
 * read back to the host (one small array); {@code new SupervisedStep(index, false)} switches it
 * off, and then the step reads nothing back (unless the trainer has metrics: {@link StepMetrics}).
 *
 * <p>Input: {@code images [B, ...]} (B ≥ 1) in whatever layout the block takes; {@code labels [B]}
 * class ids of any numeric dtype holding integers (DJL's Fashion-MNIST gives float32; they are cast
 * to int64). The block's output at {@code logitsIndex} (default the last) must be {@code [B, C]}.
 *
 * <p>Bad input ({@link IllegalArgumentException}): images of rank 0 or with no rows, labels of
 * another shape or a non-numeric dtype, logits that are not {@code [B, C]}. Label values are not
 * checked (that would read back to the host); a class id outside [0, C) fails in the engine.
 *
 * <p><b>Training listeners.</b> After backward and the finite check, before {@code
 * trainer.step()} (where DJL's {@code EasyTrain} tells them), the step calls {@code
 * onTrainingBatch} on the trainer's listeners with a {@code BatchData} as EasyTrain builds it:
 * the batch holds {@code NDList(images)} and its size is B; labels {@code NDList(labels)} as given;
 * predictions the block's outputs. The loop fires {@code onEpoch} (the trainer fires {@code
 * onTrainingBegin} when it is made and {@code onTrainingEnd} when it is closed). A step that fails
 * its finite check tells no listener. Listeners only read: the arithmetic is the same with and
 * without them. When the trainer has DJL {@code Metrics}, the step first records its loss and
 * training accuracy there ({@link StepMetrics}: one more read of each to the host), for the
 * listeners to read.
 */
public final class SupervisedStep {

    private static final Loss CROSS_ENTROPY = new SoftmaxCrossEntropyLoss("CrossEntropy");

    private final int logitsIndex;
    private final boolean checkFinite;

    /**
     * Creates a step that takes the block's last output as the logits and checks the loss and
     * gradients are finite before each update.
     */
    public SupervisedStep() {
        this(-1);
    }

    /**
     * Creates a step that checks the loss and gradients are finite before each update.
     *
     * @param logitsIndex which output of the block holds the logits; −1 for the last
     */
    public SupervisedStep(int logitsIndex) {
        this(logitsIndex, true);
    }

    /**
     * Creates a step.
     *
     * @param logitsIndex which output of the block holds the logits; −1 for the last
     * @param checkFinite whether to run {@link FiniteCheck} before each update (default true)
     */
    public SupervisedStep(int logitsIndex, boolean checkFinite) {
        MallocTuning.ensureApplied();
        if (logitsIndex < -1) {
            throw new IllegalArgumentException(
                    "logitsIndex must be >= 0, or -1 for the last output; got " + logitsIndex);
        }
        this.logitsIndex = logitsIndex;
        this.checkFinite = checkFinite;
    }

    /**
     * Runs one step: forward (training mode), cross-entropy, backward, finite check, optimizer
     * update.
     *
     * @param trainer the trainer of the classifier (its optimizer is applied)
     * @param images {@code [B, ...]} labeled images
     * @param labels {@code [B]} their class ids
     * @return the loss and the number of correct top-1 predictions, owned by the images' manager
     * @throws IllegalArgumentException for bad input (see {@link SupervisedStep})
     * @throws NonFiniteTrainingException if the check is on and the loss or a gradient is
     *     non-finite; nothing was updated and the gradients are zeroed
     */
    public Result run(Trainer trainer, NDArray images, NDArray labels) {
        return run(trainer, images, labels, BatchProgress.SINGLE);
    }

    /**
     * Runs one step, as {@link #run(Trainer, NDArray, NDArray)}, telling the trainer's listeners
     * where the batch stands in its epoch.
     *
     * @param trainer the trainer of the classifier (its optimizer is applied, its listeners told)
     * @param images {@code [B, ...]} labeled images
     * @param labels {@code [B]} their class ids
     * @param progress the batch's place in its epoch, reported to the listeners
     * @return the loss and the number of correct top-1 predictions, owned by the images' manager
     * @throws IllegalArgumentException for bad input (see {@link SupervisedStep})
     * @throws NonFiniteTrainingException if the check is on and the loss or a gradient is
     *     non-finite; nothing was updated, the gradients are zeroed and no listener was told
     */
    public Result run(Trainer trainer, NDArray images, NDArray labels, BatchProgress progress) {
        if (progress == null) {
            throw new IllegalArgumentException(
                    "progress must not be null (BatchProgress.SINGLE for none)");
        }
        long rows = checkImages(images, "images");
        checkLabels(labels, rows, "labels");
        NDArray loss;
        NDArray correct;
        NDList outputs;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray logits;
            NDArray classIds;
            try (GradientCollector collector = trainer.newGradientCollector()) {
                outputs = trainer.forward(new NDList(images));
                logits = checkLogits(InferenceForward.select(outputs, logitsIndex, "logits"), rows);
                classIds = classIds(labels, logits);
                loss = crossEntropy(logits, classIds);
                collector.backward(loss);
            }
            correct = correctTop1(logits, classIds);
            NDScope.unregister(loss, correct);
            NDScope.unregister(outputs); // the listeners read them; closed below
        }
        try {
            loss.attach(images.getManager());
            correct.attach(images.getManager());
            if (checkFinite) {
                FiniteCheck.checkBeforeUpdate(loss, trainer);
            }
            StepMetrics.recordLoss(trainer, loss);
            StepMetrics.recordAccuracy(trainer, correct, rows);
            TrainingBatchEvent.notify(
                    trainer, new NDList(images), new NDList(labels), outputs, rows, progress);
        } finally {
            closeOutputs(outputs, images);
        }
        trainer.step();
        return new Result(loss, correct, rows);
    }

    /** Closes a block's outputs, except an input handed back by an identity block. */
    static void closeOutputs(NDList outputs, NDArray input) {
        for (NDArray output : outputs) {
            if (output != input) {
                output.close();
            }
        }
    }

    /** {@code mean_b −log softmax(u_b)_{y_b}}: a scalar in the logits' dtype. */
    static NDArray crossEntropy(NDArray logits, NDArray classIds) {
        return CROSS_ENTROPY.evaluate(new NDList(classIds), new NDList(logits));
    }

    /** The number of rows whose argmax (lowest class on ties) is the label: an int64 scalar. */
    static NDArray correctTop1(NDArray logits, NDArray classIds) {
        return logits.argMax(1).eq(classIds).sum().toType(DataType.INT64, false);
    }

    /** The labels as int64 class ids on the logits' device. */
    static NDArray classIds(NDArray labels, NDArray logits) {
        return labels.toType(DataType.INT64, false).toDevice(logits.getDevice(), false);
    }

    /** Checks {@code images [B, ...]} with B ≥ 1 and returns B. */
    static long checkImages(NDArray images, String name) {
        if (images == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        Shape shape = images.getShape();
        if (shape.dimension() < 1 || shape.get(0) < 1) {
            throw new IllegalArgumentException(
                    name + " must have shape [B, ...] with B >= 1, got " + shape);
        }
        return shape.get(0);
    }

    /** Checks {@code labels [rows]} of a numeric dtype. */
    static void checkLabels(NDArray labels, long rows, String name) {
        if (labels == null) {
            throw new IllegalArgumentException(name + " must have shape [" + rows + "], got null");
        }
        if (labels.getShape().dimension() != 1 || labels.getShape().get(0) != rows) {
            throw new IllegalArgumentException(
                    name + " must have shape [" + rows + "], got " + labels.getShape());
        }
        DataType type = labels.getDataType();
        if (!type.isFloating() && !type.isInteger()) {
            throw new IllegalArgumentException(
                    name + " must hold numeric class ids, got dtype " + type);
        }
    }

    /** Checks that the model's logits are {@code [rows, C]} with C ≥ 1. */
    static NDArray checkLogits(NDArray logits, long rows) {
        Shape shape = logits.getShape();
        if (shape.dimension() != 2 || shape.get(0) != rows || shape.get(1) < 1) {
            throw new IllegalArgumentException(
                    "logits (the block's output) must have shape ["
                            + rows
                            + ", C] with C >= 1, got "
                            + shape);
        }
        return logits;
    }

    /**
     * What a step did.
     *
     * @param loss the scalar mean cross-entropy of the step, in the logits' dtype
     * @param correct an int64 scalar: how many of the {@code rows} top-1 predictions (made in the
     *     training forward pass, before the update) were right
     * @param rows the number of images forwarded, B
     */
    public record Result(NDArray loss, NDArray correct, long rows) {

        /**
         * Reads the top-1 accuracy of the step's training forward pass back to the host.
         *
         * @return {@code correct / rows}, in [0, 1]
         */
        public double accuracy() {
            return (double) correct.getLong() / rows;
        }
    }
}
