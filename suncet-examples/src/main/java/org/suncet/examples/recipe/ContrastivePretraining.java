package org.suncet.examples.recipe;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.metric.Metrics;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListener;
import java.util.Iterator;
import java.util.List;
import java.util.function.ToLongFunction;
import org.suncet.augment.MultiViewTransform;
import org.suncet.augment.SeededPermutation;
import org.suncet.augment.SimClrAugmentation;
import org.suncet.examples.data.ImageData;
import org.suncet.loss.NtXentLoss;
import org.suncet.loss.SuNCEtLoss;
import org.suncet.loss.SuNCEtPretrainingLoss;
import org.suncet.models.ContrastiveModel;
import org.suncet.models.ProjectionHead;
import org.suncet.models.ResNet;
import org.suncet.train.BatchProgress;
import org.suncet.train.ClassBalancedSampler;
import org.suncet.train.LabelSplit;
import org.suncet.train.Lars;
import org.suncet.train.LearningRateScaling;
import org.suncet.train.NonFiniteTrainingException;
import org.suncet.train.PretrainingStep;
import org.suncet.train.WarmupCosineSchedule;

/**
 * SimCLR or SimCLR + SuNCEt pre-training of a ResNet on an {@link ImageData} set, assembled from the
 * library's parts: the CIFAR-strength SimCLR augmentation applied batched on the device, two views
 * of n unlabeled images per step plus, for SuNCEt, a C × K labeled support from a {@link
 * ClassBalancedSampler} over the {@link LabelSplit}, one forward pass ({@link PretrainingStep}),
 * LARS with warm-up and cosine decay.
 *
 * <p>Every random choice derives from the configuration's seed: the model's initialisation, the
 * order of the unlabeled images in each epoch, the support batches and the augmentations (a pure
 * function of seed, epoch and image index for the unlabeled views; of seed, epoch and draw — step
 * and position — for the support, so that a labeled image drawn again gets a fresh view: see
 * {@code supportViews}). The compute of the run is counted in rows forwarded.
 *
 * <p>A step whose objective or gradients are non-finite updates nothing and ends the epoch with a
 * {@link NonFiniteTrainingException} that says where: {@code "... at epoch 2 step 3 of 4"} (1-based,
 * as the progress output counts). The losses' own value checks are off, so that non-finite
 * projections are reported the same way.
 *
 * <p><b>DJL training listeners</b> given to the constructor are the trainer's: it tells them {@code
 * onTrainingBegin} when it is made, each step tells them {@code onTrainingBatch} (through {@link
 * PretrainingStep}: the batch's progress counts unlabeled images, its size the rows forwarded),
 * each completed {@link #runEpoch} ends with {@code onEpoch}, and {@link #close} tells them {@code
 * onTrainingEnd}. With listeners the trainer records DJL {@link Metrics}. They only read: a run
 * with listeners computes what the same run without them does, bit for bit.
 */
public final class ContrastivePretraining implements AutoCloseable {

    /** Receives the result of every epoch. */
    @FunctionalInterface
    public interface EpochListener {
        /**
         * Called after an epoch.
         *
         * @param epoch the 0-based epoch
         * @param step the steps done in the epoch so far
         * @param steps the steps of an epoch
         * @param meanLoss the mean objective over the epoch's steps so far
         * @param rowsForwarded the rows forwarded since the run started
         */
        void onStep(int epoch, int step, int steps, double meanLoss, long rowsForwarded);
    }

    private final PretrainConfig config;
    private final ImageData data;
    private final LabelSplit split;
    private final Model model;
    private final ContrastiveModel network;
    private final Trainer trainer;
    private final Lars optimizer;
    private final PretrainingStep step;
    private final MultiViewTransform views;
    private final MultiViewTransform supportView;
    private final ClassBalancedSampler sampler;
    private final int stepsPerEpoch;
    private long rowsForwarded;
    private PretrainingStep.Terms epochTerms;

    /**
     * Builds the model and its trainer.
     *
     * @param config the settings
     * @param data the training images (all of them are unlabeled images)
     * @param split the labeled subset (used only with SuNCEt)
     */
    public ContrastivePretraining(PretrainConfig config, ImageData data, LabelSplit split) {
        this(config, data, split, null);
    }

    /**
     * Builds the model and its trainer, first letting {@code restore} load a checkpoint into the
     * freshly built (uninitialised) network, before the trainer exists (a DJL trainer keeps the
     * parameter arrays it saw first, so loading must come before it). The optimizer then starts at
     * the update count {@code restore} returns, so the learning-rate schedule continues where the
     * checkpoint left off; restore the momentum with {@code getOptimizer().loadMomentumState}.
     *
     * @param config the settings
     * @param data the training images (all of them are unlabeled images)
     * @param split the labeled subset (used only with SuNCEt)
     * @param restore loads saved parameters into the network and returns the optimizer updates
     *     already done; null for a fresh run
     */
    public ContrastivePretraining(
            PretrainConfig config, ImageData data, LabelSplit split, ToLongFunction<ContrastiveModel> restore) {
        this(config, data, split, restore, List.of());
    }

    /**
     * Builds the model and its trainer, as {@link #ContrastivePretraining(PretrainConfig, ImageData,
     * LabelSplit, ToLongFunction)}, with DJL training listeners on the trainer (see the class
     * javadoc for when each is told).
     *
     * @param config the settings
     * @param data the training images (all of them are unlabeled images)
     * @param split the labeled subset (used only with SuNCEt)
     * @param restore loads saved parameters into the network and returns the optimizer updates
     *     already done; null for a fresh run
     * @param listeners the trainer's listeners, in the order they are told; empty for none
     */
    public ContrastivePretraining(
            PretrainConfig config,
            ImageData data,
            LabelSplit split,
            ToLongFunction<ContrastiveModel> restore,
            List<TrainingListener> listeners) {
        if (listeners == null) {
            throw new IllegalArgumentException("listeners must not be null (List.of() for none)");
        }
        this.config = config;
        this.data = data;
        this.split = split;
        if (data.size() < config.unlabeledImages()) {
            throw new IllegalArgumentException(
                    "unlabeledImages " + config.unlabeledImages() + " exceeds the " + data.size() + " training images");
        }
        int fullSteps = data.size() / config.unlabeledImages();
        if (config.stepsPerEpoch() > fullSteps) {
            throw new IllegalArgumentException(
                    "stepsPerEpoch " + config.stepsPerEpoch() + " needs more than the " + data.size()
                            + " training images at " + config.unlabeledImages() + " per step");
        }
        stepsPerEpoch = config.stepsPerEpoch() == 0 ? fullSteps : config.stepsPerEpoch();
        Shape imageShape = data.images().getShape().slice(1);
        network = network(config.depth(), config.width(), Math.toIntExact(imageShape.get(0)));
        long updatesDone = restore == null ? 0 : restore.applyAsLong(network);
        // the model and its trainer live where the data does (the CLI's --device)
        Device device = data.images().getDevice();
        model = Model.newInstance("pretrain", device);
        model.setBlock(network);
        SuNCEtPretrainingLoss objective =
                SuNCEtPretrainingLoss.builder()
                        // value checks off: the step's finite check reports non-finite projections
                        // with the epoch and step, and the sampler guarantees positives
                        .optContrastiveLoss(
                                NtXentLoss.builder()
                                        .optTemperature(config.temperature())
                                        .optCheckValues(false)
                                        .build())
                        .optSupervisedLoss(
                                SuNCEtLoss.builder()
                                        .optTemperature(config.supervisedTemperature())
                                        .optCheckValues(false)
                                        .build())
                        .optSupervisedWeight(config.suncet() ? config.supervisedWeight() : 0f)
                        .optSupervisedEpochs(config.supervisedEpochs())
                        .build();
        step = new PretrainingStep(objective, 1);
        int totalSteps = stepsPerEpoch * config.epochs();
        float peak = LearningRateScaling.squareRoot(config.baseLearningRate(), config.unlabeledImages());
        optimizer =
                Lars.builder()
                        .setLearningRateTracker(
                                WarmupCosineSchedule.builder()
                                        .setPeakValue(peak)
                                        .setTotalSteps(totalSteps)
                                        .optWarmupFraction(config.warmupFraction())
                                        .build())
                        .setParameters(network)
                        .optWeightDecays(config.weightDecay())
                        .optBeginNumUpdate(Math.toIntExact(updatesDone))
                        .build();
        model.getNDManager().getEngine().setRandomSeed(Math.toIntExact(config.seed() & 0x7fffffff));
        trainer =
                model.newTrainer(
                        new DefaultTrainingConfig(objective)
                                .optDevices(new Device[] {device})
                                .optOptimizer(optimizer)
                                .addTrainingListeners(listeners.toArray(new TrainingListener[0])));
        if (!listeners.isEmpty()) {
            trainer.setMetrics(new Metrics());
        }
        trainer.initialize(new Shape(2L * config.unlabeledImages()).addAll(imageShape));
        int side = Math.toIntExact(imageShape.get(1));
        views =
                MultiViewTransform.repeat(
                        SimClrAugmentation.cifar(side).optCropScale(config.cropScaleMin(), 1).optSeed(config.seed()).build(), 2);
        supportView =
                MultiViewTransform.repeat(
                        config.supportView().builder(side, config.cropScaleMin()).optSeed(config.seed() + 1).build(), 1);
        sampler =
                config.suncet()
                        ? ClassBalancedSampler.builder()
                                .setLabeledSplit(split)
                                .setClassesPerBatch(config.classesPerStep())
                                .setImagesPerClass(config.imagesPerClass())
                                .setSeed(config.seed())
                                .optStepsPerEpoch(stepsPerEpoch)
                                .build()
                        : null;
    }

    /**
     * Returns a new, uninitialised network of the shape this recipe trains: a ResNet with the CIFAR
     * stem (3×3 stem, no max-pool) and zero-initialised last BN of each block, and SimCLR's v1
     * projection head. Build from this whatever must load this recipe's weights (fine-tuning,
     * evaluation, the demo, the study), so the shapes cannot drift apart.
     *
     * @param depth ResNet depth (18, 34, 50, 101, 152 or 200)
     * @param width the width multiplier, &gt; 0
     * @param channels input channels, ≥ 1
     * @return the contrastive model
     * @throws IllegalArgumentException from the ResNet builder for a bad depth, width or channel count
     */
    public static ContrastiveModel network(int depth, float width, int channels) {
        ResNet encoder =
                ResNet.builder()
                        .setDepth(depth)
                        .optWidthMultiplier(width)
                        .optCifarStem(true)
                        .optInputChannels(channels)
                        .optZeroInitResidual(true)
                        .build();
        return ContrastiveModel.builder()
                .setEncoder(encoder)
                .setHead(ProjectionHead.simclrV1(encoder.getFeatureSize()))
                .build();
    }

    /**
     * Returns the network being trained.
     *
     * @return the contrastive model
     */
    public ContrastiveModel getNetwork() {
        return network;
    }

    /**
     * Returns the LARS optimizer, whose momentum a checkpoint saves.
     *
     * @return the optimizer
     */
    public Lars getOptimizer() {
        return optimizer;
    }

    /**
     * Returns the DJL trainer of the network: its listeners, its {@link Metrics} (recorded when the
     * run has listeners) and {@code getTrainingResult()}.
     *
     * @return the trainer
     */
    public Trainer getTrainer() {
        return trainer;
    }

    /**
     * Returns the DJL model holding the network.
     *
     * @return the model
     */
    public Model getModel() {
        return model;
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
     * Returns the rows forwarded so far.
     *
     * @return the compute spent
     */
    public long getRowsForwarded() {
        return rowsForwarded;
    }

    /**
     * Runs one epoch.
     *
     * @param epoch the 0-based epoch
     * @param listener told after every step
     * @return the mean objective of the epoch; the trainer's listeners were told {@code onEpoch}
     * @throws NonFiniteTrainingException at the first step whose objective or gradients are not
     *     finite, before it updates anything; its message ends with the epoch and step
     */
    public double runEpoch(int epoch, EpochListener listener) {
        int n = config.unlabeledImages();
        long[] order = SeededPermutation.of(data.size(), config.seed() * 1_000_003L + epoch);
        Iterator<List<Long>> support =
                sampler != null && step.needsSupport(epoch) ? sampler.batchesOfEpoch(epoch) : null;
        double total = 0;
        double[] termTotals = new double[6];
        NDManager base = data.images().getManager();
        int poisoned = InjectedNaN.stepOf("pretraining", epoch);
        for (int s = 0; s < stepsPerEpoch; s++) {
            long[] indices = java.util.Arrays.copyOfRange(order, s * n, (s + 1) * n);
            try (NDManager stepManager = base.newSubManager()) {
                NDArray images = data.imagesAt(stepManager, indices);
                NDList twoViews = views.transformBatch(images, epoch, indices);
                NDArray viewRows = NDArrays.concat(twoViews); // [2n, C, H, W], view-major
                if (s == poisoned) {
                    viewRows = InjectedNaN.poison(viewRows);
                }
                NDArray supportRows = null;
                NDArray supportLabels = null;
                if (support != null) {
                    long[] supportIndices = support.next().stream().mapToLong(Long::longValue).toArray();
                    supportRows = supportViews(stepManager, epoch, s, supportIndices);
                    supportLabels =
                            stepManager
                                    .create(data.labelsAt(supportIndices))
                                    .toDevice(viewRows.getDevice(), false);
                }
                PretrainingStep.Result result;
                try {
                    result =
                            step.run(
                                    trainer, viewRows, supportRows, supportLabels, epoch,
                                    BatchProgress.ofStep(s, stepsPerEpoch, n));
                } catch (NonFiniteTrainingException e) {
                    throw StepLocation.located(e, epoch, s, stepsPerEpoch);
                }
                rowsForwarded += result.rowsForwarded();
                total += result.loss().getFloat();
                PretrainingStep.Terms terms = result.readTerms();
                double[] values = {
                    terms.ntXent(), terms.suncet(), terms.supervisedWeight(),
                    terms.ntXentGradientNorm(), terms.suncetGradientNorm(), terms.meanFeatureNorm()
                };
                for (int t = 0; t < values.length; t++) {
                    termTotals[t] += values[t];
                }
            }
            int done = s + 1;
            epochTerms =
                    new PretrainingStep.Terms(
                            termTotals[0] / done, termTotals[1] / done, termTotals[2] / done,
                            termTotals[3] / done, termTotals[4] / done, termTotals[5] / done);
            if (listener != null) {
                listener.onStep(epoch, done, stepsPerEpoch, total / done, rowsForwarded);
            }
        }
        trainer.notifyListeners(trainingListener -> trainingListener.onEpoch(trainer));
        return total / stepsPerEpoch;
    }

    /**
     * Returns the augmented support batch of one step: each draw of a labeled image gets a view of
     * its own. The view of the support row at {@code position} of step {@code step} is keyed by
     * {@code (seed + 1, epoch, step·S + position)} instead of the image's index, so an image drawn
     * again in the same epoch (about 15 times an epoch at 1 % labels) gets a fresh view, as the
     * official code's data loader gives, and the run stays replayable from its seed: the key depends
     * only on the epoch and the step, which a resumed run reaches the same way.
     *
     * @param manager the step's manager
     * @param epoch the 0-based epoch
     * @param step the 0-based step within the epoch
     * @param supportIndices the S dataset indices of the step's support, from the sampler
     * @return {@code [S, C, H, W]} views, one per draw
     */
    NDArray supportViews(NDManager manager, int epoch, int step, long[] supportIndices) {
        long[] drawKeys = new long[supportIndices.length];
        for (int p = 0; p < drawKeys.length; p++) {
            drawKeys[p] = (long) step * supportIndices.length + p;
        }
        return supportView.transformBatch(data.imagesAt(manager, supportIndices), epoch, drawKeys).head();
    }

    /**
     * Returns the means over the steps of the last (or current) {@link #runEpoch} of each step's
     * terms ({@link PretrainingStep.Result#readTerms()}): NT-Xent, SuNCEt without λ (NaN in an
     * epoch where SuNCEt is off), λ as applied, ‖∂L_ntxent/∂z‖, ‖λ·∂L_suncet/∂z‖ and mean ‖h‖. A
     * user tuning λ compares the two gradient norms; a growing ‖h‖ shows the supervised term
     * inflating the features.
     *
     * @return the epoch's mean terms; null before the first step
     */
    public PretrainingStep.Terms getEpochTerms() {
        return epochTerms;
    }

    /** Closes the trainer and the model. */
    @Override
    public void close() {
        trainer.close();
        model.close();
    }
}
