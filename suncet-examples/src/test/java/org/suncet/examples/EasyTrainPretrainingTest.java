package org.suncet.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.TrainingResult;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.Batchifier;
import ai.djl.util.Progress;
import ai.djl.util.RandomUtils;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.suncet.loss.ContrastiveAccuracy;
import org.suncet.loss.NtXentLoss;
import org.suncet.loss.SuNCEtLoss;
import org.suncet.loss.SuNCEtPretrainingLoss;
import org.suncet.models.ContrastiveModel;
import org.suncet.models.ProjectionHead;
import org.suncet.models.ResNet;

/**
 * DJL's own loop, {@code EasyTrain.fit}, pre-trains a tiny {@link ContrastiveModel} with our losses:
 * the model's {@code NDList(h, z)} goes to the loss and the evaluator as it is, and each picks z
 * (the last array). Seeded data and parameters, one CPU device (EasyTrain would split a batch
 * across devices, and a contrastive loss would then see only its split's negatives).
 */
class EasyTrainPretrainingTest {

    private static final long SEED = 16;
    private static final int IMAGES = 24;
    private static final int BATCH = 8; // images per step: 2·8 view rows
    private static final int EPOCHS = 3;
    private static final int STEPS_PER_EPOCH = IMAGES / BATCH;
    private static final Shape IMAGE = new Shape(1, 8, 8);

    @Test
    void ntXentPretrainsAContrastiveModelInEasyTrain() throws Exception {
        NtXentLoss loss = NtXentLoss.builder().optTemperature(0.5f).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            seed(manager);
            Random random = new Random(SEED);
            NDArray images = gaussian(manager, random, new Shape(IMAGES).addAll(IMAGE), 1f);
            // [IMAGES, 2, 1, 8, 8]: two noisy copies of each image
            NDArray pairs =
                    NDArrays.stack(
                            new NDList(
                                    images.add(gaussian(manager, random, images.getShape(), 0.3f)),
                                    images.add(gaussian(manager, random, images.getShape(), 0.3f))),
                            1);
            // the image ids as labels: NT-Xent ignores them, but EasyTrain needs a label array
            NDArray imageIds = manager.arange(IMAGES).toType(DataType.INT64, false);
            ArrayDataset dataset =
                    new ArrayDataset.Builder()
                            .setData(pairs)
                            .optLabels(imageIds)
                            .optDataBatchifier(new ViewMajor())
                            .optLabelBatchifier(new RepeatedPerView())
                            .setSampling(BATCH, false)
                            .build();
            Run run = fit(loss, dataset, new Shape(2 * BATCH).addAll(IMAGE), true);
            run.assertTrained("NT-Xent");
            TrainingResult result = run.result;
            float accuracy = result.getTrainEvaluation("ContrastiveAccuracy");
            assertTrue(accuracy >= 0 && accuracy <= 1, "contrastive accuracy " + accuracy);
        }
    }

    @Test
    void simclrPlusSuncetPretrainsAContrastiveModelInEasyTrain() throws Exception {
        SuNCEtPretrainingLoss loss =
                SuNCEtPretrainingLoss.builder()
                        .optContrastiveLoss(NtXentLoss.builder().optTemperature(0.5f).build())
                        .optSupervisedLoss(SuNCEtLoss.builder().optTemperature(0.5f).build())
                        .build();
        int classes = 4;
        int perClass = 2;
        try (NDManager manager = NDManager.newBaseManager()) {
            seed(manager);
            Random random = new Random(SEED);
            NDArray images = gaussian(manager, random, new Shape(IMAGES).addAll(IMAGE), 1f);
            NDArray view1 = images.add(gaussian(manager, random, images.getShape(), 0.3f));
            NDArray view2 = images.add(gaussian(manager, random, images.getShape(), 0.3f));
            // the labeled support: perClass noisy copies of one template per class, class-major
            NDArray templates = gaussian(manager, random, new Shape(classes).addAll(IMAGE), 1f);
            NDArray support =
                    templates
                            .repeat(0, perClass)
                            .add(gaussian(manager, random, new Shape(classes * perClass).addAll(IMAGE), 0.3f));
            NDArray supportLabels =
                    manager.arange(classes).toType(DataType.INT64, false).repeat(perClass);
            // each step: [view 1 of n images; view 2 of the same n; the support], labels y [S]
            List<NDList> data = new ArrayList<>();
            List<NDList> labels = new ArrayList<>();
            for (int step = 0; step < STEPS_PER_EPOCH; step++) {
                String rows = (step * BATCH) + ":" + ((step + 1) * BATCH);
                data.add(new NDList(NDArrays.concat(new NDList(view1.get(rows), view2.get(rows), support))));
                labels.add(new NDList(supportLabels));
            }
            Dataset dataset = new FixedBatches(data, labels);
            Shape rows = new Shape(2 * BATCH + classes * perClass).addAll(IMAGE);
            Run run = fit(loss, dataset, rows, false, loss.epochListener());
            run.assertTrained("SimCLR + SuNCEt");
            assertEquals(EPOCHS, loss.getEpoch(), "the epoch listener ran once per epoch");
        }
    }

    /** Seeds the engine (parameter initialisation) and DJL's own random source. */
    private static void seed(NDManager manager) {
        manager.getEngine().setRandomSeed((int) SEED);
        RandomUtils.RANDOM.setSeed(SEED);
    }

    private static NDArray gaussian(NDManager manager, Random random, Shape shape, float scale) {
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (scale * random.nextGaussian());
        }
        return manager.create(values, shape);
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

    /** What a run left behind: the listeners' records, the result and a parameter before and after. */
    private record Run(
            List<Float> epochLosses,
            int batches,
            TrainingResult result,
            float[] weightBefore,
            float[] weightAfter) {

        void assertTrained(String what) {
            System.out.println("EasyTrain " + what + ": train loss per epoch " + epochLosses);
            assertEquals(EPOCHS * STEPS_PER_EPOCH, batches, "onTrainingBatch calls");
            assertEquals(EPOCHS, epochLosses.size(), "onEpoch calls");
            assertEquals(EPOCHS, result.getEpoch());
            for (float value : epochLosses) {
                assertTrue(Float.isFinite(value), "epoch losses " + epochLosses);
            }
            assertEquals(epochLosses.get(EPOCHS - 1), result.getTrainLoss(), "TrainingResult's train loss");
            assertTrue(
                    epochLosses.get(EPOCHS - 1) < epochLosses.get(0),
                    "the loss should fall from the first epoch to the last: " + epochLosses);
            assertFalse(Arrays.equals(weightBefore, weightAfter), "the parameters should change");
        }
    }

    private static Run fit(
            Loss loss, Dataset dataset, Shape inputShape, boolean withAccuracy, TrainingListener... extra)
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
                        // runs after the default listeners, which have just closed the epoch
                        epochLosses.add(trainer.getTrainingResult().getTrainLoss());
                    }
                };
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(loss)
                        .optDevices(new Device[] {Device.cpu()})
                        .optOptimizer(
                                Optimizer.adam().optLearningRateTracker(Tracker.fixed(3e-3f)).build())
                        .addTrainingListeners(TrainingListener.Defaults.logging())
                        .addTrainingListeners(extra)
                        .addTrainingListeners(recorder);
        if (withAccuracy) {
            config.addEvaluator(new ContrastiveAccuracy());
        }
        try (Model model = Model.newInstance("easy-train-pretraining")) {
            model.setBlock(network());
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(inputShape);
                Parameter weight = model.getBlock().getParameters().valueAt(0);
                float[] before = weight.getArray().toFloatArray();
                EasyTrain.fit(trainer, EPOCHS, dataset, null);
                float[] after = weight.getArray().toFloatArray();
                return new Run(epochLosses, batches[0], trainer.getTrainingResult(), before, after);
            }
        }
    }

    /** Stacks {@code [2, C, H, W]} pairs into view-major rows: {@code [B, 2, …] -> [2B, …]}. */
    private static final class ViewMajor implements Batchifier {
        @Override
        public NDList batchify(NDList[] inputs) {
            NDArray pairs = Batchifier.STACK.batchify(inputs).singletonOrThrow(); // [B, 2, C, H, W]
            Shape shape = pairs.getShape();
            NDArray viewMajor = pairs.swapAxes(0, 1); // [2, B, C, H, W]
            return new NDList(viewMajor.reshape(new Shape(-1).addAll(shape.slice(2)))); // [2B, C, H, W]
        }

        @Override
        public NDList[] unbatchify(NDList inputs) {
            throw new UnsupportedOperationException("training only");
        }
    }

    /** Stacks per-image labels and repeats them for the second view: {@code [B] -> [2B]}. */
    private static final class RepeatedPerView implements Batchifier {
        @Override
        public NDList batchify(NDList[] inputs) {
            return new NDList(Batchifier.STACK.batchify(inputs).singletonOrThrow().tile(2));
        }

        @Override
        public NDList[] unbatchify(NDList inputs) {
            throw new UnsupportedOperationException("training only");
        }
    }

    /** The same prepared batches every epoch, each a fresh copy that EasyTrain may close. */
    private static final class FixedBatches implements Dataset {
        private final List<NDList> data;
        private final List<NDList> labels;

        FixedBatches(List<NDList> data, List<NDList> labels) {
            this.data = data;
            this.labels = labels;
        }

        @Override
        public Iterable<Batch> getData(NDManager manager) {
            List<Batch> batches = new ArrayList<>();
            for (int i = 0; i < data.size(); i++) {
                NDManager batchManager = manager.newSubManager();
                batches.add(
                        new Batch(
                                batchManager,
                                copy(data.get(i), batchManager),
                                copy(labels.get(i), batchManager),
                                Math.toIntExact(labels.get(i).head().getShape().get(0)),
                                Batchifier.STACK,
                                Batchifier.STACK,
                                i,
                                data.size()));
            }
            return batches;
        }

        private static NDList copy(NDList list, NDManager manager) {
            NDList copies = new NDList();
            for (NDArray array : list) {
                NDArray copy = array.duplicate();
                copy.attach(manager);
                copies.add(copy);
            }
            return copies;
        }

        @Override
        public void prepare(Progress progress) {}
    }
}
