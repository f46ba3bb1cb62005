package org.suncet.quickstart;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.listener.EvaluatorTrainingListener;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.suncet.augment.MultiViewDataset;
import org.suncet.augment.MultiViewTransform;
import org.suncet.augment.SimClrAugmentation;
import org.suncet.loss.NtXentLoss;
import org.suncet.loss.SuNCEtLoss;
import org.suncet.loss.SuNCEtPretrainingLoss;
import org.suncet.models.ContrastiveModel;
import org.suncet.models.ProjectionHead;
import org.suncet.models.ResNet;
import org.suncet.ndarray.MallocTuning;
import org.suncet.train.ClassBalancedSampler;
import org.suncet.train.LabelSplit;

/**
 * The README's quickstart: pre-trains a small ResNet (ResNet-18 at width 1/8) on Fashion-MNIST with
 * SimCLR + SuNCEt through DJL's {@code EasyTrain.fit}, 1 % of the labels feeding SuNCEt, and prints
 * the loss per epoch. Arguments: {@code [epochs (5)] [steps per epoch (100)]}. The data are the IDX
 * files of Debian's package {@code dataset-fashion-mnist}; run with {@code -Dai.djl.offline=true}.
 */
public final class Quickstart {

    public static void main(String[] args) throws Exception {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        MallocTuning.ensureApplied(); // first: libtorch reads its huge-page switch at its first tensor
        Engine.getInstance().setRandomSeed(0);
        try (NDManager manager = NDManager.newBaseManager(); Model model = Model.newInstance("quickstart")) {
            // Fashion-MNIST: 60,000 images [1, 28, 28] in [0, 1] and their classes 0..9
            NDArray images = idx(manager, "train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28).div(255);
            long[] labels = idx(manager, "train-labels-idx1-ubyte.gz", 8).toType(DataType.INT64, false).toLongArray();
            ArrayDataset source = new ArrayDataset.Builder().setData(images).optLabels(manager.create(labels))
                    .setSampling(1, false).build();
            // SuNCEt sees the labels of 1 % of the images (600): 10 classes × 4 images a step
            ClassBalancedSampler support = ClassBalancedSampler.builder()
                    .setLabeledSplit(LabelSplit.balanced(labels, 0.01, 0)).setClassesPerBatch(10)
                    .setImagesPerClass(4).optStepsPerEpoch(steps).setSeed(0).build();
            // a step: 2 SimCLR views of 64 images, then the 40 labeled support images = 168 rows
            MultiViewDataset data = MultiViewDataset.builder().setSource(source).setImagesPerBatch(64)
                    .setViews(MultiViewTransform.repeat(SimClrAugmentation.cifar(28).optSeed(0).build(), 2))
                    .optSupport(support::batchesOfEpoch, SimClrAugmentation.cifar(28).optSeed(1).build())
                    .optStepsPerEpoch(steps).setSeed(0).build();
            ResNet encoder = ResNet.builder().setDepth(18).optWidthMultiplier(0.125f).optCifarStem(true)
                    .optInputChannels(1).build();
            model.setBlock(ContrastiveModel.builder().setEncoder(encoder) // outputs NDList(h, z)
                    .setHead(ProjectionHead.simclrV1(encoder.getFeatureSize())).build());
            SuNCEtPretrainingLoss loss = SuNCEtPretrainingLoss.builder()
                    .optContrastiveLoss(NtXentLoss.builder().optTemperature(0.1f).build()) // SimCLR
                    .optSupervisedLoss(SuNCEtLoss.builder().optTemperature(0.1f).build())  // SuNCEt
                    .build();
            TrainingListener printer = new TrainingListenerAdapter() {
                @Override
                public void onEpoch(Trainer trainer) {
                    float value = trainer.getTrainingResult().getTrainLoss();
                    System.out.printf("epoch %d/%d: loss %.4f%n", loss.getEpoch(), epochs, value);
                }
            };
            DefaultTrainingConfig config = new DefaultTrainingConfig(loss)
                    .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(1e-3f)).build())
                    .addTrainingListeners(loss.epochListener(), new EvaluatorTrainingListener(), printer);
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(2 * 64 + 40, 1, 28, 28));
                EasyTrain.fit(trainer, epochs, data, null);
            }
        }
    }

    /** One gzipped IDX file of Debian's dataset-fashion-mnist, its header skipped, as float32. */
    private static NDArray idx(NDManager manager, String file, int header) throws IOException {
        Path path = Path.of("/usr/share/datasets/fashion-mnist", file);
        try (InputStream in = new GZIPInputStream(Files.newInputStream(path))) {
            byte[] bytes = in.readAllBytes();
            ByteBuffer body = ByteBuffer.wrap(bytes, header, bytes.length - header).slice();
            return manager.create(body, new Shape(body.remaining()), DataType.UINT8).toType(DataType.FLOAT32, false);
        }
    }
}
