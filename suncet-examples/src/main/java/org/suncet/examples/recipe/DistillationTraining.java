package org.suncet.examples.recipe;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.metric.Metrics;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListener;
import java.util.Arrays;
import java.util.List;
import org.suncet.augment.MultiViewTransform;
import org.suncet.augment.SeededPermutation;
import org.suncet.augment.SimClrAugmentation;
import org.suncet.examples.data.ImageData;
import org.suncet.loss.DistillationLoss;
import org.suncet.train.BatchProgress;
import org.suncet.train.ClassifierEvaluation;
import org.suncet.train.DistillationStep;
import org.suncet.train.Lars;
import org.suncet.train.LearningRateScaling;
import org.suncet.train.NonFiniteTrainingException;
import org.suncet.train.WarmupCosineSchedule;

/**
 * SimCLRv2 self-distillation (Chen et al. 2020, arXiv 2006.10029, §2.3): a fine-tuned teacher,
 * fixed and in inference mode, labels the unlabeled training images with its logits, and a student
 * classifier learns to match them with {@link DistillationStep} (α = 1, T = 1: no labels used).
 * Each step takes n images in a seeded order, applies SimCLR's crop + flip view batched on the
 * device (the same view for teacher and student), and updates the student with LARS (base rate
 * scaled by √n, 10 % linear warm-up, cosine decay to 0, weight decay 1e-6; SimCLRv2 distils with its
 * pre-training optimizer).
 *
 * <p>Every random choice comes from the seed: the order of the images per epoch and the
 * augmentation (a pure function of seed, epoch and image index). Compute is counted in rows the
 * student forwarded.
 *
 * <p>A step whose loss or gradients are non-finite updates nothing and ends the epoch with a
 * {@link NonFiniteTrainingException} that says where: {@code "... at epoch 2 step 3 of 4"}.
 *
 * <p><b>DJL training listeners</b> given to the constructor are the student trainer's: it tells
 * them {@code onTrainingBegin} when it is made, each step tells them {@code onTrainingBatch}
 * (through {@link DistillationStep}: labels the teacher's logits, progress and size count images),
 * each completed {@link #runEpoch} ends with {@code onEpoch}, and {@link #close} tells them {@code
 * onTrainingEnd}. The trainer's loss is the step's {@link DistillationLoss}, so DJL's evaluator
 * listeners report the distillation loss. With listeners the trainer records DJL {@link Metrics}.
 * They only read: a run with listeners computes what the same run without them does, bit for bit.
 */
public final class DistillationTraining implements AutoCloseable {

    private final ImageData unlabeled;
    private final int batchSize;
    private final long seed;
    private final Model model;
    private final Trainer trainer;
    private final Lars optimizer;
    private final DistillationStep step;
    private final MultiViewTransform view;
    private final int stepsPerEpoch;
    private long rowsForwarded;

    /**
     * Builds the student's trainer. Load a checkpoint into {@code student} before calling this when
     * resuming (a DJL trainer keeps the parameter arrays it saw first), and pass the updates it had
     * done.
     *
     * @param teacher the fine-tuned classifier, initialised; never changed
     * @param student the student classifier (initialised or not), sharing no parameter with the
     *     teacher
     * @param unlabeled the training images (labels unused)
     * @param epochs the number of epochs (sets the length of the schedule)
     * @param batchSize images per step n
     * @param baseLearningRate the LARS base rate, scaled by √n
     * @param seed the seed
     * @param updatesDone optimizer updates already done, ≥ 0
     */
    public DistillationTraining(
            Block teacher,
            Block student,
            ImageData unlabeled,
            int epochs,
            int batchSize,
            float baseLearningRate,
            long seed,
            long updatesDone) {
        this(teacher, student, unlabeled, epochs, batchSize, baseLearningRate, seed, updatesDone, List.of());
    }

    /**
     * Builds the student's trainer, as {@link #DistillationTraining(Block, Block, ImageData, int,
     * int, float, long, long)}, with DJL training listeners on it (see the class javadoc for when
     * each is told).
     *
     * @param teacher the fine-tuned classifier, initialised; never changed
     * @param student the student classifier, sharing no parameter with the teacher
     * @param unlabeled the training images (labels unused)
     * @param epochs the number of epochs (sets the length of the schedule)
     * @param batchSize images per step n
     * @param baseLearningRate the LARS base rate, scaled by √n
     * @param seed the seed
     * @param updatesDone optimizer updates already done, ≥ 0
     * @param listeners the trainer's listeners, in the order they are told; empty for none
     */
    public DistillationTraining(
            Block teacher,
            Block student,
            ImageData unlabeled,
            int epochs,
            int batchSize,
            float baseLearningRate,
            long seed,
            long updatesDone,
            List<TrainingListener> listeners) {
        if (listeners == null) {
            throw new IllegalArgumentException("listeners must not be null (List.of() for none)");
        }
        if (batchSize < 1 || batchSize > unlabeled.size()) {
            throw new IllegalArgumentException(
                    "batchSize must be in [1, " + unlabeled.size() + "] (the training images), got " + batchSize);
        }
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        }
        this.unlabeled = unlabeled;
        this.batchSize = batchSize;
        this.seed = seed;
        this.stepsPerEpoch = unlabeled.size() / batchSize;
        int totalSteps = Math.max(1, epochs * stepsPerEpoch);
        optimizer =
                Lars.builder()
                        .setLearningRateTracker(
                                WarmupCosineSchedule.builder()
                                        .setPeakValue(LearningRateScaling.squareRoot(baseLearningRate, batchSize))
                                        .setTotalSteps(totalSteps)
                                        .optWarmupFraction(0.1f)
                                        .build())
                        .setParameters(student)
                        .optBeginNumUpdate(Math.toIntExact(updatesDone))
                        .build();
        // the step's default loss, named here so that the trainer's evaluators report it
        DistillationLoss distillation = DistillationLoss.builder().optCheckValues(false).build();
        step = DistillationStep.builder().setTeacher(teacher).optLoss(distillation).build();
        // the model and its trainer live where the data does (the CLI's --device)
        Device device = unlabeled.images().getDevice();
        model = Model.newInstance("student", device);
        model.setBlock(student);
        model.getNDManager().getEngine().setRandomSeed(Math.toIntExact(seed & 0x7fffffff));
        // the step computes the loss; the trainer's evaluators (listeners) recompute it from the
        // teacher's logits and the student's outputs
        trainer =
                model.newTrainer(
                        new DefaultTrainingConfig(distillation)
                                .optDevices(new Device[] {device})
                                .optOptimizer(optimizer)
                                .addTrainingListeners(listeners.toArray(new TrainingListener[0])));
        if (!listeners.isEmpty()) {
            trainer.setMetrics(new Metrics());
        }
        Shape imageShape = unlabeled.images().getShape().slice(1);
        trainer.initialize(new Shape(batchSize).addAll(imageShape));
        view =
                MultiViewTransform.repeat(
                        SimClrAugmentation.cropAndFlip(Math.toIntExact(imageShape.get(1))).optSeed(seed).build(), 1);
    }

    /**
     * Runs one epoch.
     *
     * @param epoch the 0-based epoch
     * @param listener told after every step with the images of the step and its loss; may be null
     * @return the mean distillation loss of the epoch
     * @throws NonFiniteTrainingException at the first step whose loss or gradients are not finite,
     *     before it updates anything; its message ends with the epoch and step
     */
    public double runEpoch(int epoch, java.util.function.ObjDoubleConsumer<Integer> listener) {
        long[] order = SeededPermutation.of(unlabeled.size(), seed * 1_000_003L + epoch);
        double total = 0;
        NDManager base = unlabeled.images().getManager();
        int poisoned = InjectedNaN.stepOf("distillation", epoch);
        for (int s = 0; s < stepsPerEpoch; s++) {
            long[] indices = Arrays.copyOfRange(order, s * batchSize, (s + 1) * batchSize);
            double loss;
            try (NDManager stepManager = base.newSubManager()) {
                NDArray images = unlabeled.imagesAt(stepManager, indices);
                NDArray augmented = view.transformBatch(images, epoch, indices).head();
                if (s == poisoned) {
                    augmented = InjectedNaN.poison(augmented);
                }
                DistillationStep.Result result;
                try {
                    result =
                            step.run(
                                    trainer, augmented, null, null,
                                    BatchProgress.ofStep(s, stepsPerEpoch, batchSize));
                } catch (NonFiniteTrainingException e) {
                    throw StepLocation.located(e, epoch, s, stepsPerEpoch);
                }
                rowsForwarded += result.rowsForwarded();
                loss = result.loss().getFloat();
            }
            total += loss;
            if (listener != null) {
                listener.accept(batchSize, loss);
            }
        }
        trainer.notifyListeners(trainingListener -> trainingListener.onEpoch(trainer));
        return total / stepsPerEpoch;
    }

    /**
     * Returns the student's test accuracy.
     *
     * @param test the test images
     * @return top-1 and top-5 accuracy
     */
    public ClassifierEvaluation.Result evaluate(ImageData test) {
        return test.accuracyOf(model.getBlock());
    }

    /**
     * Returns the student's DJL trainer: its listeners, its {@link Metrics} (recorded when the run
     * has listeners) and {@code getTrainingResult()}.
     *
     * @return the trainer
     */
    public Trainer getTrainer() {
        return trainer;
    }

    /**
     * Returns the student's LARS optimizer, whose momentum a checkpoint saves.
     *
     * @return the optimizer
     */
    public Lars getOptimizer() {
        return optimizer;
    }

    /**
     * Returns the steps of an epoch.
     *
     * @return ⌊N / n⌋
     */
    public int getStepsPerEpoch() {
        return stepsPerEpoch;
    }

    /**
     * Returns the rows the student forwarded so far.
     *
     * @return the compute spent
     */
    public long getRowsForwarded() {
        return rowsForwarded;
    }

    /** Closes the trainer and the student's model. */
    @Override
    public void close() {
        trainer.close();
        model.close();
    }
}
