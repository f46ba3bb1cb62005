package org.suncet.benchmarks;

import ai.djl.Model;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.suncet.loss.NtXentLoss;
import org.suncet.models.ContrastiveModel;
import org.suncet.train.Lars;

/**
 * One SimCLR pre-training step, the unit of cost of {@code bin/suncet pretrain}: forward of
 * {@code 2 · batch} view rows of {@code size} px through a ResNet-18 with the CIFAR stem (3×3 conv,
 * stride 1, no max-pool) and SimCLR's v1 projection head (512 → 512 → 128), NT-Xent (τ = 0.5,
 * SimCLR's CIFAR value), backward, and one optimizer update: our {@link Lars} (momentum 0.9, η =
 * 0.001, weight decay 1e-6, batch norm and biases excluded) or DJL's momentum SGD. The views are
 * fixed seeded uniform images (augmentation is measured by {@link AugmentationBenchmark}); the
 * parameters come from the engine's generator seeded with 42.
 *
 * <p>{@code benchmarks/peer/peer.py train} runs the same step in PyTorch eager (torchvision's
 * resnet18 with the same stem, the same head, NT-Xent and LARS written out), and {@code
 * bin/bench-compare} puts the two side by side. The score is milliseconds per step (single shot:
 * one step per iteration, as a step takes seconds on a CPU); images per second are {@code batch}
 * (images of two views) divided by it.
 *
 * <p>Run with {@code -Dai.djl.pytorch.num_threads=N} ({@code TORCH_THREADS=N bin/bench}); the
 * set-up prints the thread count. One step runs in the set-up, outside any scope, so that the
 * optimizer's momentum buffers exist before the measured steps; every array a measured step makes
 * is closed by its {@link NDScope}, and the tear-down prints the count of open arrays after the
 * first step and at the end, which must be equal.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(1)
public class TrainingStepBenchmark {

    /** Images per step; each gives two views, so the network forwards {@code 2 · batch} rows. */
    @Param({"128"})
    public int batch;

    /** Image side in pixels. */
    @Param({"32"})
    public int size;

    /** The optimizer: {@code Lars} (ours, SimCLR's) or {@code Sgd} (DJL's, momentum 0.9). */
    @Param({"Lars"})
    public String optimizer;

    private Model model;
    private Trainer trainer;
    private NDManager inputs;
    private NDArray views;
    private NtXentLoss loss;
    private int openArraysAfterFirstStep;

    /** Builds the network, the trainer and the views, and runs the first step. */
    @Setup(Level.Trial)
    public void setUp() {
        ContrastiveModel network = CifarPretrainingNetwork.build(1f, 3);
        model = Model.newInstance("training-step-benchmark");
        model.setBlock(network);
        model.getNDManager().getEngine().setRandomSeed(42);
        float learningRate = 0.3f * batch / 256f; // SimCLR's linear scaling, base 0.3
        Optimizer update;
        switch (optimizer) {
            case "Lars":
                update =
                        Lars.builder()
                                .setLearningRateTracker(Tracker.fixed(learningRate))
                                .setParameters(network)
                                .build();
                break;
            case "Sgd":
                update =
                        Optimizer.sgd()
                                .setLearningRateTracker(Tracker.fixed(learningRate))
                                .optMomentum(0.9f)
                                .optWeightDecays(1e-6f)
                                .build();
                break;
            default:
                throw new IllegalArgumentException("unknown optimizer " + optimizer);
        }
        loss = NtXentLoss.builder().optTemperature(0.5f).build();
        trainer = model.newTrainer(new DefaultTrainingConfig(loss).optOptimizer(update));
        Shape shape = new Shape(2L * batch, 3, size, size);
        trainer.initialize(shape);
        inputs = model.getNDManager().newSubManager();
        views = inputs.randomUniform(0f, 1f, shape); // [2B, 3, H, W], view-major
        stepOnce(); // creates the optimizer's momentum buffers outside any scope
        openArraysAfterFirstStep = openArrays();
        System.out.println(
                "# intra-op threads: "
                        + System.getProperty("ai.djl.pytorch.num_threads", "(default)")
                        + ", ResNet-18 CIFAR stem, "
                        + (2 * batch)
                        + " rows of "
                        + size
                        + " px, "
                        + optimizer);
    }

    /**
     * One training step.
     *
     * @return the loss value, so that the JIT cannot drop the work
     */
    @Benchmark
    public float step() {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            return stepOnce();
        }
    }

    private float stepOnce() {
        float value;
        try (GradientCollector collector = trainer.newGradientCollector()) {
            NDList outputs = trainer.forward(new NDList(views)); // (h [2B, 512], z [2B, 128])
            NDArray objective = loss.evaluate(new NDList(), new NDList(outputs.get(1)));
            collector.backward(objective);
            value = objective.getFloat();
            objective.close();
            outputs.close();
        }
        trainer.step();
        return value;
    }

    private int openArrays() {
        NDManager root = model.getNDManager();
        return root instanceof BaseNDManager ? ((BaseNDManager) root).getManagedArrays().size() : -1;
    }

    /** Reports the open-array counts and frees everything. */
    @TearDown(Level.Trial)
    public void tearDown() {
        System.out.println(
                "# open arrays after the first step: "
                        + openArraysAfterFirstStep
                        + ", at the end: "
                        + openArrays());
        trainer.close();
        inputs.close();
        model.close();
    }
}
