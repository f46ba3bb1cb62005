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
import ai.djl.training.loss.Loss;
import java.util.Arrays;
import java.util.List;
import org.suncet.augment.MultiViewTransform;
import org.suncet.augment.SeededPermutation;
import org.suncet.augment.SimClrAugmentation;
import org.suncet.examples.data.ImageData;
import org.suncet.train.BatchProgress;
import org.suncet.train.ClassifierEvaluation;
import org.suncet.train.LearningRateScaling;
import org.suncet.train.NesterovSgd;
import org.suncet.train.NonFiniteTrainingException;
import org.suncet.train.SupervisedStep;
import org.suncet.train.WarmupCosineSchedule;

/**
 * Supervised training of a classifier block on the labeled images: fine-tuning after pre-training
 * (SimCLR Appendix B.5, SuNCEt), a linear probe, or the supervised-only baseline. Each step takes a
 * batch of labeled images, applies SimCLR's crop + flip view (SPEC §4) batched on the device, and
 * runs a {@link SupervisedStep} with Nesterov SGD (m = 0.9, lr = base·B/256 with base 0.05, no
 * weight decay; SPEC §6) under a cosine decay to 0.
 *
 * <p>Every random choice comes from the seed: the order of the labeled images per epoch and the
 * augmentation (a pure function of seed, epoch and image index). Compute is counted in rows
 * forwarded.
 *
 * <p>A step whose loss or gradients are non-finite updates nothing and ends the epoch with a
 * {@link NonFiniteTrainingException} that says where: {@code "... at epoch 2 step 3 of 4"}.
 *
 * <p><b>DJL training listeners</b> given to the constructor are the trainer's: it tells them {@code
 * onTrainingBegin} when it is made, each step tells them {@code onTrainingBatch} (through {@link
 * SupervisedStep}: progress and size count images), each completed {@link #runEpoch} ends with
 * {@code onEpoch}, and {@link #close} tells them {@code onTrainingEnd}. With listeners the trainer
 * records DJL {@link Metrics}. They only read: a run with listeners computes what the same run
 * without them does, bit for bit.
 */
public final class SupervisedTraining implements AutoCloseable {

    private final ImageData labeled;
    private final int batchSize;
    private final long seed;
    private final Model model;
    private final Trainer trainer;
    private final NesterovSgd optimizer;
    private final SupervisedStep step = new SupervisedStep();
    private final MultiViewTransform view;
    private final int stepsPerEpoch;
    private long rowsForwarded;

    /**
     * Builds the trainer of a classifier.
     *
     * @param classifier the block mapping images to logits (initialised or not)
     * @param labeled the labeled training images
     * @param epochs the number of epochs (sets the length of the cosine decay)
     * @param batchSize images per step
     * @param baseLearningRate the base rate, scaled by B/256 (SimCLR fine-tuning: 0.05)
     * @param seed the seed
     */
    public SupervisedTraining(
            Block classifier, ImageData labeled, int epochs, int batchSize, float baseLearningRate, long seed) {
        this(classifier, labeled, epochs, batchSize, baseLearningRate, seed, 0);
    }

    /**
     * Builds the trainer of a classifier whose optimizer has already done {@code updatesDone}
     * updates (a resumed run: the cosine schedule continues from there). Load the checkpoint's
     * parameters into {@code classifier} before calling this (a DJL trainer keeps the parameter
     * arrays it saw first), and its momentum with {@code getOptimizer().loadMomentumState}.
     *
     * @param classifier the block mapping images to logits (initialised or not)
     * @param labeled the labeled training images
     * @param epochs the number of epochs (sets the length of the cosine decay)
     * @param batchSize images per step
     * @param baseLearningRate the base rate, scaled by B/256 (SimCLR fine-tuning: 0.05)
     * @param seed the seed
     * @param updatesDone optimizer updates already done, ≥ 0
     */
    public SupervisedTraining(
            Block classifier,
            ImageData labeled,
            int epochs,
            int batchSize,
            float baseLearningRate,
            long seed,
            long updatesDone) {
        this(classifier, labeled, epochs, batchSize, baseLearningRate, seed, updatesDone, cropAndFlip(labeled, seed));
    }

    /**
     * Returns the default view of the labeled images: SimCLR's crop + flip (SPEC §4) at their size,
     * seeded with the run's seed, what the constructors without an augmentation use.
     *
     * @param labeled the labeled images {@code [N, C, H, W]}
     * @param seed the run's seed
     * @return the augmentation
     */
    public static SimClrAugmentation cropAndFlip(ImageData labeled, long seed) {
        return SimClrAugmentation.cropAndFlip(Math.toIntExact(labeled.images().getShape().get(2))).optSeed(seed).build();
    }

    /**
     * Builds the trainer with a given augmentation of the labeled images; the other parameters are
     * those of {@link #SupervisedTraining(Block, ImageData, int, int, float, long, long)}.
     *
     * @param classifier the classifier
     * @param labeled the labeled images
     * @param epochs the epochs
     * @param batchSize images per step
     * @param baseLearningRate the base rate
     * @param seed the seed
     * @param updatesDone optimizer updates already done
     * @param augmentation the view of each labeled image, a pure function of (epoch, index); null
     *     for the images as they are
     */
    public SupervisedTraining(
            Block classifier,
            ImageData labeled,
            int epochs,
            int batchSize,
            float baseLearningRate,
            long seed,
            long updatesDone,
            SimClrAugmentation augmentation) {
        this(classifier, labeled, epochs, batchSize, baseLearningRate, seed, updatesDone, augmentation, List.of());
    }

    /**
     * Builds the trainer with a given augmentation and DJL training listeners on the trainer (see
     * the class javadoc for when each is told); the other parameters are those of {@link
     * #SupervisedTraining(Block, ImageData, int, int, float, long, long, SimClrAugmentation)}.
     *
     * @param classifier the classifier
     * @param labeled the labeled images
     * @param epochs the epochs
     * @param batchSize images per step
     * @param baseLearningRate the base rate
     * @param seed the seed
     * @param updatesDone optimizer updates already done
     * @param augmentation the view of each labeled image; null for the images as they are
     * @param listeners the trainer's listeners, in the order they are told; empty for none
     */
    public SupervisedTraining(
            Block classifier,
            ImageData labeled,
            int epochs,
            int batchSize,
            float baseLearningRate,
            long seed,
            long updatesDone,
            SimClrAugmentation augmentation,
            List<TrainingListener> listeners) {
        if (listeners == null) {
            throw new IllegalArgumentException("listeners must not be null (List.of() for none)");
        }
        if (batchSize < 1 || batchSize > labeled.size()) {
            throw new IllegalArgumentException(
                    "batchSize must be in [1, " + labeled.size() + "] (the labeled images), got " + batchSize);
        }
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        }
        this.labeled = labeled;
        this.batchSize = batchSize;
        this.seed = seed;
        this.stepsPerEpoch = labeled.size() / batchSize;
        float rate = LearningRateScaling.linear(baseLearningRate, batchSize);
        optimizer =
                NesterovSgd.builder()
                        .setLearningRateTracker(
                                WarmupCosineSchedule.builder()
                                        .setPeakValue(rate)
                                        .setTotalSteps(Math.max(1, epochs * stepsPerEpoch))
                                        .optWarmupSteps(0)
                                        .build())
                        .optParameters(classifier)
                        .optBeginNumUpdate(Math.toIntExact(updatesDone))
                        .build();
        // the model and its trainer live where the data does (the CLI's --device)
        Device device = labeled.images().getDevice();
        model = Model.newInstance("supervised", device);
        model.setBlock(classifier);
        model.getNDManager().getEngine().setRandomSeed(Math.toIntExact(seed & 0x7fffffff));
        trainer =
                model.newTrainer(
                        new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                                .optDevices(new Device[] {device})
                                .optOptimizer(optimizer)
                                .addTrainingListeners(listeners.toArray(new TrainingListener[0])));
        if (!listeners.isEmpty()) {
            trainer.setMetrics(new Metrics());
        }
        Shape imageShape = labeled.images().getShape().slice(1);
        trainer.initialize(new Shape(batchSize).addAll(imageShape));
        view = augmentation == null ? null : MultiViewTransform.repeat(augmentation, 1);
    }

    /**
     * Returns the epochs that give about {@code steps} optimizer steps on a labeled set: a budget
     * in steps fits the epochs to the split's size (550 images at batch 64: 8 steps an epoch, so
     * 2,000 steps are 250 epochs; 5,500 images: 24 epochs).
     *
     * @param steps the step budget, ≥ 1
     * @param labeledImages the labeled images, ≥ batchSize
     * @param batchSize images per step, ≥ 1
     * @return round(steps / ⌊labeledImages / batchSize⌋), at least 1
     */
    public static int epochsFor(int steps, int labeledImages, int batchSize) {
        if (steps < 1 || batchSize < 1 || labeledImages < batchSize) {
            throw new IllegalArgumentException(
                    "steps and batchSize must be >= 1 and labeledImages >= batchSize, got steps " + steps
                            + ", labeledImages " + labeledImages + ", batchSize " + batchSize);
        }
        int perEpoch = labeledImages / batchSize;
        return Math.max(1, Math.round((float) steps / perEpoch));
    }

    /**
     * Runs one epoch.
     *
     * @param epoch the 0-based epoch
     * @return the mean loss and the training accuracy of the epoch
     */
    public double[] runEpoch(int epoch) {
        return runEpoch(epoch, null);
    }

    /** Receives every step of an epoch. */
    @FunctionalInterface
    public interface StepListener {
        /**
         * Called after a step.
         *
         * @param images the images of the step
         * @param loss the step's loss
         * @param accuracy the step's training accuracy
         */
        void onStep(long images, double loss, double accuracy);
    }

    /**
     * Runs one epoch, telling {@code listener} after every step.
     *
     * @param epoch the 0-based epoch
     * @param listener told after every step; may be null
     * @return the mean loss and the training accuracy of the epoch
     * @throws NonFiniteTrainingException at the first step whose loss or gradients are not finite,
     *     before it updates anything; its message ends with the epoch and step
     */
    public double[] runEpoch(int epoch, StepListener listener) {
        long[] order = SeededPermutation.of(labeled.size(), seed * 1_000_003L + epoch);
        double loss = 0;
        double correct = 0;
        NDManager base = labeled.images().getManager();
        int poisoned = InjectedNaN.stepOf("supervised", epoch);
        for (int s = 0; s < stepsPerEpoch; s++) {
            long[] indices = Arrays.copyOfRange(order, s * batchSize, (s + 1) * batchSize);
            try (NDManager stepManager = base.newSubManager()) {
                NDArray images = labeled.imagesAt(stepManager, indices);
                NDArray labels =
                        stepManager.create(labeled.labelsAt(indices)).toDevice(images.getDevice(), false);
                NDArray augmented = view == null ? images : view.transformBatch(images, epoch, indices).head();
                if (s == poisoned) {
                    augmented = InjectedNaN.poison(augmented);
                }
                SupervisedStep.Result result;
                try {
                    result =
                            step.run(
                                    trainer, augmented, labels,
                                    BatchProgress.ofStep(s, stepsPerEpoch, batchSize));
                } catch (NonFiniteTrainingException e) {
                    throw StepLocation.located(e, epoch, s, stepsPerEpoch);
                }
                rowsForwarded += result.rows();
                float stepLoss = result.loss().getFloat();
                double stepAccuracy = result.accuracy();
                loss += stepLoss;
                correct += stepAccuracy;
                if (listener != null) {
                    listener.onStep(indices.length, stepLoss, stepAccuracy);
                }
            }
        }
        trainer.notifyListeners(trainingListener -> trainingListener.onEpoch(trainer));
        return new double[] {loss / stepsPerEpoch, correct / stepsPerEpoch};
    }

    /**
     * Returns the test accuracy of the classifier.
     *
     * @param test the test images
     * @return top-1 and top-5 accuracy
     */
    public ClassifierEvaluation.Result evaluate(ImageData test) {
        return test.accuracyOf(model.getBlock());
    }

    /**
     * Returns the DJL trainer of the classifier: its listeners, its {@link Metrics} (recorded when
     * the run has listeners) and {@code getTrainingResult()}.
     *
     * @return the trainer
     */
    public Trainer getTrainer() {
        return trainer;
    }

    /**
     * Returns the Nesterov SGD optimizer, whose momentum a checkpoint saves.
     *
     * @return the optimizer
     */
    public NesterovSgd getOptimizer() {
        return optimizer;
    }

    /**
     * Returns the steps of an epoch.
     *
     * @return ⌊N / B⌋
     */
    public int getStepsPerEpoch() {
        return stepsPerEpoch;
    }

    /**
     * Returns the rows forwarded so far.
     *
     * @return the compute spent
     */
    public long getRowsForwarded() {
        return rowsForwarded;
    }

    /** Closes the trainer and the model. */
    @Override
    public void close() {
        trainer.close();
        model.close();
    }
}
