package org.suncet.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.suncet.augment.MultiViewDataset;
import org.suncet.augment.MultiViewTransform;
import org.suncet.augment.SimClrAugmentation;
import org.suncet.loss.ContrastiveAccuracy;
import org.suncet.loss.NtXentLoss;
import org.suncet.loss.SuNCEtLoss;
import org.suncet.loss.SuNCEtPretrainingLoss;
import org.suncet.models.ContrastiveModel;
import org.suncet.models.ProjectionHead;
import org.suncet.models.ResNet;
import org.suncet.train.ClassBalancedSampler;

/**
 * {@code EasyTrain.fit} pre-trains a tiny {@link ContrastiveModel} from a {@link MultiViewDataset}
 * alone, no hand-made batches: SimCLR's two augmented views of each image with NT-Xent, and SimCLR +
 * SuNCEt with a class-balanced labeled support from a {@link ClassBalancedSampler}. Everything is
 * seeded (images, parameters, order, views, support), so two runs give the same losses and
 * parameters bit for bit.
 */
class EasyTrainMultiViewDatasetTest {

    private static final long SEED = 16;
    private static final int IMAGES = 24;
    private static final int CLASSES = 4;
    private static final int BATCH = 8; // images per step: 2·8 view rows
    private static final int EPOCHS = 8;
    /** Mild crops (SimCLR's CIFAR view otherwise): 8 epochs of 3 steps then learn visibly. */
    private static final double CROP_SCALE_MIN = 0.9;
    private static final int SIDE = 10;
    private static final int VIEW = 8;

    /** What a run left behind. */
    private record Run(List<Float> epochLosses, int batches, float[] weightBefore, float[] weightAfter, float accuracy) {

        void assertTrained(String what, int steps) {
            System.out.println("EasyTrain from MultiViewDataset, " + what + ": train loss per epoch " + epochLosses);
            assertEquals(EPOCHS * steps, batches, "onTrainingBatch calls");
            assertEquals(EPOCHS, epochLosses.size(), "onEpoch calls");
            for (float value : epochLosses) {
                assertTrue(Float.isFinite(value), "epoch losses " + epochLosses);
            }
            assertTrue(
                    epochLosses.get(EPOCHS - 1) < epochLosses.get(0),
                    "the loss should fall from the first epoch to the last: " + epochLosses);
            assertFalse(Arrays.equals(weightBefore, weightAfter), "the parameters should change");
        }

        void assertSameAs(Run other) {
            assertEquals(epochLosses, other.epochLosses, "same seeds, same losses");
            assertArrayEquals(weightAfter, other.weightAfter, "same seeds, same parameters");
        }
    }

    /**
     * 24 images {@code [1, 10, 10]} in [0, 1], class {@code i mod 4}: a coarse 5 × 5 pattern (2 × 2
     * pixel blocks, so crops and flips keep an image recognisable), half its class's template and
     * half its own.
     */
    private static ArrayDataset images(NDManager manager) {
        Random random = new Random(SEED);
        int coarse = SIDE / 2;
        float[][] templates = new float[CLASSES][coarse * coarse];
        for (float[] template : templates) {
            for (int p = 0; p < template.length; p++) {
                template[p] = random.nextFloat();
            }
        }
        float[] pixels = new float[IMAGES * SIDE * SIDE];
        float[] labels = new float[IMAGES];
        for (int i = 0; i < IMAGES; i++) {
            labels[i] = i % CLASSES;
            float[] own = new float[coarse * coarse];
            for (int p = 0; p < own.length; p++) {
                own[p] = 0.5f * templates[i % CLASSES][p] + 0.5f * random.nextFloat();
            }
            for (int y = 0; y < SIDE; y++) {
                for (int x = 0; x < SIDE; x++) {
                    pixels[(i * SIDE + y) * SIDE + x] = own[(y / 2) * coarse + x / 2];
                }
            }
        }
        return new ArrayDataset.Builder()
                .setData(manager.create(pixels, new Shape(IMAGES, 1, SIDE, SIDE)))
                .optLabels(manager.create(labels)) // float32, as DJL's Fashion-MNIST gives
                .setSampling(1, false)
                .build();
    }

    /** SimCLR's CIFAR view at 8 px with mild crops. */
    private static SimClrAugmentation view(long seed) {
        return SimClrAugmentation.cifar(VIEW).optCropScale(CROP_SCALE_MIN, 1).optSeed(seed).build();
    }

    private static MultiViewDataset.Builder dataset(ArrayDataset source) {
        return MultiViewDataset.builder()
                .setSource(source)
                .setViews(MultiViewTransform.repeat(view(SEED), 2))
                .setImagesPerBatch(BATCH)
                .setSeed(SEED);
    }

    private static ContrastiveModel network() {
        ResNet encoder =
                ResNet.builder()
                        .setDepth(18)
                        .optWidthMultiplier(0.125f)
                        .optCifarStem(true)
                        .optInputChannels(1)
                        .build();
        return ContrastiveModel.builder()
                .setEncoder(encoder)
                .setHead(ProjectionHead.simclrV1(encoder.getFeatureSize()))
                .build();
    }

    private static Run fit(Loss loss, MultiViewDataset dataset, long rows, boolean withAccuracy, TrainingListener... extra)
            throws Exception {
        List<Float> epochLosses = new ArrayList<>();
        int[] batches = {0};
        TrainingListener recorder =
                new TrainingListenerAdapter() {
                    @Override
                    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
                        batches[0]++;
                    }

                    @Override
                    public void onEpoch(Trainer trainer) {
                        epochLosses.add(trainer.getTrainingResult().getTrainLoss());
                    }
                };
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(loss)
                        .optDevices(new Device[] {Device.cpu()})
                        .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(3e-3f)).build())
                        .addTrainingListeners(TrainingListener.Defaults.logging())
                        .addTrainingListeners(extra)
                        .addTrainingListeners(recorder);
        if (withAccuracy) {
            config.addEvaluator(new ContrastiveAccuracy());
        }
        try (Model model = Model.newInstance("easy-train-multi-view")) {
            model.getNDManager().getEngine().setRandomSeed((int) SEED);
            model.setBlock(network());
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(rows, 1, VIEW, VIEW));
                Parameter weight = model.getBlock().getParameters().valueAt(0);
                float[] before = weight.getArray().toFloatArray();
                EasyTrain.fit(trainer, EPOCHS, dataset, null);
                float[] after = weight.getArray().toFloatArray();
                float accuracy =
                        withAccuracy ? trainer.getTrainingResult().getTrainEvaluation("ContrastiveAccuracy") : -1;
                return new Run(epochLosses, batches[0], before, after, accuracy);
            }
        }
    }

    @Test
    void ntXentPretrainsFromTheDatasetAlone() throws Exception {
        NtXentLoss loss = NtXentLoss.builder().optTemperature(0.5f).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            ArrayDataset source = images(manager);
            MultiViewDataset dataset = dataset(source).build();
            Run run = fit(loss, dataset, 2 * BATCH, true);
            run.assertTrained("NT-Xent", dataset.getStepsPerEpoch());
            assertEquals(EPOCHS, dataset.getNextEpoch(), "EasyTrain asked for one epoch at a time");
            assertTrue(run.accuracy() >= 0 && run.accuracy() <= 1, "contrastive accuracy " + run.accuracy());
            run.assertSameAs(fit(loss, dataset(source).build(), 2 * BATCH, true));
        }
    }

    @Test
    void simclrPlusSuncetPretrainsFromTheDatasetWithAClassBalancedSupport() throws Exception {
        int perClass = 2;
        try (NDManager manager = NDManager.newBaseManager()) {
            ArrayDataset source = images(manager);
            long[] labels = new long[IMAGES];
            for (int i = 0; i < IMAGES; i++) {
                labels[i] = i % CLASSES;
            }
            Run[] runs = new Run[2];
            for (int r = 0; r < 2; r++) {
                SuNCEtPretrainingLoss loss =
                        SuNCEtPretrainingLoss.builder()
                                .optContrastiveLoss(NtXentLoss.builder().optTemperature(0.5f).build())
                                .optSupervisedLoss(SuNCEtLoss.builder().optTemperature(0.5f).build())
                                .build();
                int steps = IMAGES / BATCH;
                ClassBalancedSampler sampler =
                        ClassBalancedSampler.builder()
                                .setLabels(labels)
                                .setClassesPerBatch(CLASSES)
                                .setImagesPerClass(perClass)
                                .setSeed(SEED)
                                .optStepsPerEpoch(steps)
                                .build();
                MultiViewDataset dataset =
                        dataset(source)
                                .optSupport(
                                        sampler::batchesOfEpoch,
                                        view(SEED + 1))
                                .build();
                runs[r] = fit(loss, dataset, 2 * BATCH + CLASSES * perClass, false, loss.epochListener());
                runs[r].assertTrained("SimCLR + SuNCEt", steps);
                assertEquals(EPOCHS, loss.getEpoch(), "the epoch listener ran once per epoch");
            }
            runs[0].assertSameAs(runs[1]);
        }
    }
}
