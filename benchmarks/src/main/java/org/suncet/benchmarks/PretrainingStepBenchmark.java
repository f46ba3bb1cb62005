package org.suncet.benchmarks;

import ai.djl.Model;
import ai.djl.metric.Metric;
import ai.djl.metric.Metrics;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;
import org.suncet.augment.MultiViewTransform;
import org.suncet.augment.SimClrAugmentation;
import org.suncet.loss.NtXentLoss;
import org.suncet.loss.SuNCEtLoss;
import org.suncet.loss.SuNCEtPretrainingLoss;
import org.suncet.models.ContrastiveModel;
import org.suncet.models.MemoryLayout;
import org.suncet.train.BatchProgress;
import org.suncet.train.Lars;
import org.suncet.train.LearningRateScaling;
import org.suncet.train.PretrainingStep;
import org.suncet.train.WarmupCosineSchedule;

/**
 * One SimCLR + SuNCEt pre-training step as the project's recipe ({@code ContrastivePretraining} in
 * suncet-examples, {@code PretrainConfig.recipe}) runs it, built from the same library parts: the
 * step's images gathered from a pool on the device, SimCLR's CIFAR-strength view (crop scale [0.08,
 * 1]) applied batched on the device ({@link MultiViewTransform#transformBatch}) twice to the n
 * unlabeled images and once to the C·K labeled support images, one {@link PretrainingStep} (one
 * forward of {@code [2n views; C·K support]} through a ResNet-18 with the CIFAR stem and SimCLR's
 * v1 head, NT-Xent + λ·SuNCEt with τ = 0.1 and λ = 1, backward, the finite check, LARS with the
 * warm-up cosine schedule at base rate 0.075·√n), then the two host reads the recipe makes (the
 * loss and the step's terms).
 *
 * <p>{@code stepRows} rows are forwarded per step, of which {@code classes · imagesPerClass} are
 * the support and the rest two views of {@code n = (stepRows − C·K) / 2} images (the recipe: 256 =
 * 2·88 + 10·8). The score is milliseconds per step, the mean over the steps of 5 measured
 * iterations of 3 s each, after 3 warm-up iterations of 3 s (at least one step per iteration, so a
 * width-1 step of several seconds is one step per iteration); images per second are {@code n +
 * C·K} (each unlabeled image giving two views, each support image one) divided by it; {@code benchmarks/peer/peer.py pretrain} runs the same step in PyTorch and {@code
 * bin/bench-compare} does the division. {@code imageSize} 28 gives one channel (Fashion-MNIST, the
 * recipe's data), 32 three (CIFAR-10); the images are seeded uniform noise in [0, 1], which costs
 * the augmentation the same as real images.
 *
 * <p><b>Steady state.</b> A training run is thousands of steps, so the score is the steady state.
 * The first version ran 2 warm-up and 5 measured single-shot steps: the JIT compiler was then still
 * compiling DJL's per-op Java code, and at 2 intra-op threads on a 2-core machine its threads took a
 * core from libtorch's OpenMP workers, so single steps ran 2–3× slow and dominated the mean
 * (docs/benchmarks.md, "Pre-training at steady state"). {@code peer.py pretrain} times its step
 * the same way (3 × 3 s warm-up, 5 × 3 s measured).
 *
 * <p><b>Per-phase breakdown.</b> The measured steps report, as JMH secondary results (aux counters
 * summed over the iteration's steps, in milliseconds, and {@code steps}, the number of steps; JMH
 * sums both over the iterations, so a phase's mean per step is its score over that of {@code
 * steps}): {@code dataMs} (gathering the images and making the labels on the device), {@code augmentMs} (both augmentations and the concatenation of the views), and
 * from the trainer's DJL {@code Metrics} (recorded by the trainer and by {@link PretrainingStep},
 * see its javadoc): {@code forwardMs}, {@code objectiveMs} (the loss forward), {@code backwardMs}
 * (the loss's backward and the network's), {@code diagnosticsMs}, {@code finiteCheckMs} (including
 * its host read), {@code updateMs} (LARS), and {@code hostReadMs} (the recipe's two reads of the
 * loss and terms) and {@code otherMs} (what is left: listeners, closing the step's arrays). The
 * tear-down prints their means over the measured steps. On the CPU every op is synchronous, so each phase is its own time.
 *
 * <p>The thread count is the {@code threads} parameter (0: the JVM's {@code
 * -Dai.djl.pytorch.num_threads}, i.e. {@code TORCH_THREADS} of {@code bin/bench}). One step runs in
 * the set-up so that LARS's momentum exists before the measured steps; each step closes its own
 * arrays (a sub-manager per step, as the recipe), and the tear-down prints the open-array counts
 * after the first step and at the end, which must be equal.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class PretrainingStepBenchmark {

    /** Intra-op threads of libtorch; 0 keeps the JVM's setting. */
    @Param({"0"})
    public int threads;

    /** ResNet width multiplier (the recipe: 1/8; SimCLR's CIFAR ResNet-18: 1). */
    @Param({"0.125", "1"})
    public float width;

    /** Image side in pixels: 28 (one channel, Fashion-MNIST) or 32 (three, CIFAR-10). */
    @Param({"28", "32"})
    public int imageSize;

    /** Rows forwarded per step: 2n views plus C·K support rows (the recipe: 256). */
    @Param({"256"})
    public int stepRows;

    /** C, classes of the labeled support per step (the recipe: 10). */
    @Param({"10"})
    public int classes;

    /** K, labeled images per class per step (the recipe: 8). */
    @Param({"8"})
    public int imagesPerClass;

    /**
     * How the encoder stores its feature maps ({@link MemoryLayout}): AUTO (the library's default:
     * channels-last on the CPU, with several threads from the first stage of 16 channels on),
     * CHANNELS_LAST (throughout) or AS_GIVEN (plain NCHW, as before 2026-12-07).
     */
    @Param({"AUTO"})
    public MemoryLayout layout;

    private static final long SEED = 1;

    private Model model;
    private Trainer trainer;
    private PretrainingStep step;
    private MultiViewTransform views;
    private MultiViewTransform supportView;
    private NDManager data;
    private NDArray pool;
    private long[] supportLabels;
    private int images;
    private int supportRows;
    private long stepIndex;
    private int openArraysAfterFirstStep;
    private final double[] phaseTotals = new double[PHASES.length];
    private int measuredSteps;
    private boolean measuring;

    private static final String[] PHASES = {
        "data", "augment", "forward", "objective", "backward", "diagnostics", "finiteCheck",
        "update", "hostRead", "other"
    };

    /** The iteration's phases in milliseconds, summed over its steps, and its step count. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Phases {
        /** Gathering the step's images from the pool and making the support labels. */
        public double dataMs;
        /** Both batched augmentations and the concatenation of the two views. */
        public double augmentMs;
        /** The network's forward ({@code Trainer.forward}). */
        public double forwardMs;
        /** The objective's forward on the projections. */
        public double objectiveMs;
        /** Backward through the objective and the network. */
        public double backwardMs;
        /** The step's diagnostics on the device. */
        public double diagnosticsMs;
        /** The finite check with its host read. */
        public double finiteCheckMs;
        /** The LARS update ({@code Trainer.step}). */
        public double updateMs;
        /** The recipe's host reads of the loss and the terms. */
        public double hostReadMs;
        /** The rest of the step (listeners, concatenation of views and support, closing). */
        public double otherMs;
        /** The whole step as measured here (JMH's score adds the call itself). */
        public double stepMs;
        /** Steps of the iteration: divide a phase's score by this one's for its mean per step. */
        public long steps;

        /** Zeroes the sums at the start of every iteration. */
        @Setup(Level.Iteration)
        public void reset() {
            dataMs = 0;
            augmentMs = 0;
            forwardMs = 0;
            objectiveMs = 0;
            backwardMs = 0;
            diagnosticsMs = 0;
            finiteCheckMs = 0;
            updateMs = 0;
            hostReadMs = 0;
            otherMs = 0;
            stepMs = 0;
            steps = 0;
        }
    }

    /** Builds the network, the trainer, the augmentations and the image pool; runs the first step. */
    @Setup(Level.Trial)
    public void setUp() {
        int intraOpThreads = EngineThreads.start(threads);
        supportRows = classes * imagesPerClass;
        if (imagesPerClass < 2 || stepRows <= supportRows || (stepRows - supportRows) % 2 != 0) {
            throw new IllegalArgumentException(
                    "need imagesPerClass >= 2 and an even stepRows - classes·imagesPerClass > 0, got stepRows "
                            + stepRows + ", classes " + classes + ", imagesPerClass " + imagesPerClass);
        }
        images = (stepRows - supportRows) / 2;
        int channels;
        switch (imageSize) {
            case 28:
                channels = 1;
                break;
            case 32:
                channels = 3;
                break;
            default:
                throw new IllegalArgumentException("imageSize must be 28 or 32, got " + imageSize);
        }
        ContrastiveModel network = CifarPretrainingNetwork.build(width, channels, layout);
        SuNCEtPretrainingLoss objective =
                SuNCEtPretrainingLoss.builder()
                        .optContrastiveLoss(
                                NtXentLoss.builder().optTemperature(0.1f).optCheckValues(false).build())
                        .optSupervisedLoss(
                                SuNCEtLoss.builder().optTemperature(0.1f).optCheckValues(false).build())
                        .optSupervisedWeight(1f)
                        .optSupervisedEpochs(Integer.MAX_VALUE)
                        .build();
        step = new PretrainingStep(objective, 1);
        Lars optimizer =
                Lars.builder()
                        .setLearningRateTracker(
                                WarmupCosineSchedule.builder()
                                        .setPeakValue(LearningRateScaling.squareRoot(0.075, images))
                                        .setTotalSteps(100_000)
                                        .optWarmupFraction(0.1)
                                        .build())
                        .setParameters(network)
                        .optWeightDecays(1e-6f)
                        .build();
        model = Model.newInstance("pretraining-step-benchmark");
        model.setBlock(network);
        model.getNDManager().getEngine().setRandomSeed(42);
        trainer = model.newTrainer(new DefaultTrainingConfig(objective).optOptimizer(optimizer));
        trainer.initialize(new Shape(stepRows, channels, imageSize, imageSize));
        views =
                MultiViewTransform.repeat(
                        SimClrAugmentation.cifar(imageSize).optCropScale(0.08, 1).optSeed(SEED).build(), 2);
        supportView =
                MultiViewTransform.repeat(
                        SimClrAugmentation.cifar(imageSize).optCropScale(0.08, 1).optSeed(SEED + 1).build(), 1);
        data = model.getNDManager().newSubManager();
        // a pool of 4 steps' worth of images, cycled through
        pool = data.randomUniform(0f, 1f, new Shape(4L * (images + supportRows), channels, imageSize, imageSize));
        supportLabels = new long[supportRows];
        for (int i = 0; i < supportRows; i++) {
            supportLabels[i] = i / imagesPerClass;
        }
        stepOnce(null); // LARS's momentum buffers, outside any step's manager
        openArraysAfterFirstStep = openArrays();
        System.out.printf(
                Locale.ROOT,
                "# intra-op threads: %d, ResNet-18 CIFAR stem width %s, %d px x %d channel(s), %d rows a step"
                        + " (2 x %d views + %d x %d support), SimCLR + SuNCEt, LARS%n",
                intraOpThreads, width, imageSize, channels, stepRows, images, classes, imagesPerClass);
    }

    /**
     * Notes whether the coming iteration is measured, so that the printed means leave out warm-up.
     *
     * @param iteration JMH's description of the iteration
     */
    @Setup(Level.Iteration)
    public void startIteration(IterationParams iteration) {
        measuring = iteration.getType() == IterationType.MEASUREMENT;
    }

    /**
     * One pre-training step.
     *
     * @param phases where the step's phase times go
     * @return the loss value, so that the JIT cannot drop the work
     */
    @Benchmark
    public float step(Phases phases) {
        return stepOnce(phases);
    }

    private float stepOnce(Phases phases) {
        Metrics metrics = new Metrics();
        trainer.setMetrics(metrics);
        long begin = System.nanoTime();
        long poolSize = pool.getShape().get(0);
        long first = (stepIndex * (images + supportRows)) % poolSize;
        long[] unlabeled = new long[images];
        for (int i = 0; i < images; i++) {
            unlabeled[i] = (first + i) % poolSize;
        }
        long[] support = new long[supportRows];
        long[] drawKeys = new long[supportRows];
        for (int i = 0; i < supportRows; i++) {
            support[i] = (first + images + i) % poolSize;
            drawKeys[i] = stepIndex * supportRows + i;
        }
        float value;
        double dataMs;
        double augmentMs;
        double hostReadMs;
        long stepStart = begin;
        try (NDManager stepManager = data.newSubManager()) {
            NDArray unlabeledImages = gather(stepManager, unlabeled);
            NDArray supportImages = gather(stepManager, support);
            NDArray labels = stepManager.create(supportLabels).toDevice(pool.getDevice(), false);
            long mark = System.nanoTime();
            dataMs = (mark - begin) / 1e6;
            begin = mark;
            NDArray viewRows = NDArrays.concat(views.transformBatch(unlabeledImages, 0, unlabeled)); // [2n, C, H, W]
            NDArray supportRowsArray = supportView.transformBatch(supportImages, 0, drawKeys).head();
            mark = System.nanoTime();
            augmentMs = (mark - begin) / 1e6;
            PretrainingStep.Result result =
                    step.run(trainer, viewRows, supportRowsArray, labels, 0, BatchProgress.SINGLE);
            begin = System.nanoTime();
            value = result.loss().getFloat();
            result.readTerms();
            hostReadMs = (System.nanoTime() - begin) / 1e6;
        }
        double stepMs = (System.nanoTime() - stepStart) / 1e6;
        stepIndex++;
        trainer.setMetrics(null);
        if (phases != null) {
            double[] values = {
                dataMs,
                augmentMs,
                milliseconds(metrics, "forward"),
                milliseconds(metrics, PretrainingStep.METRIC_OBJECTIVE),
                milliseconds(metrics, PretrainingStep.METRIC_BACKWARD),
                milliseconds(metrics, PretrainingStep.METRIC_DIAGNOSTICS),
                milliseconds(metrics, PretrainingStep.METRIC_FINITE_CHECK),
                milliseconds(metrics, "step"),
                hostReadMs,
                0
            };
            double known = 0;
            for (int i = 0; i < values.length - 1; i++) {
                known += values[i];
            }
            values[values.length - 1] = stepMs - known;
            phases.dataMs += values[0];
            phases.augmentMs += values[1];
            phases.forwardMs += values[2];
            phases.objectiveMs += values[3];
            phases.backwardMs += values[4];
            phases.diagnosticsMs += values[5];
            phases.finiteCheckMs += values[6];
            phases.updateMs += values[7];
            phases.hostReadMs += values[8];
            phases.otherMs += values[9];
            phases.stepMs += stepMs;
            phases.steps++;
            if (measuring) {
                for (int i = 0; i < values.length; i++) {
                    phaseTotals[i] += values[i];
                }
                measuredSteps++;
            }
        }
        return value;
    }

    private NDArray gather(NDManager manager, long[] indices) {
        NDArray index = manager.create(indices).toDevice(pool.getDevice(), false);
        NDArray rows = pool.get(new NDIndex("{}", index));
        rows.attach(manager);
        return rows;
    }

    /** The sum of a trainer metric's values (nanoseconds) in milliseconds; 0 when absent. */
    private static double milliseconds(Metrics metrics, String name) {
        if (!metrics.hasMetric(name)) {
            return 0;
        }
        List<Metric> values = metrics.getMetric(name);
        double total = 0;
        for (Metric metric : values) {
            total += metric.getValue().doubleValue();
        }
        return total / 1e6;
    }

    private int openArrays() {
        NDManager root = model.getNDManager();
        return root instanceof BaseNDManager ? ((BaseNDManager) root).getManagedArrays().size() : -1;
    }

    /** Prints the mean phase breakdown and the open-array counts, and frees everything. */
    @TearDown(Level.Trial)
    public void tearDown() {
        StringBuilder line = new StringBuilder("# phases, mean ms per step over ");
        line.append(measuredSteps).append(" measured step(s):");
        double total = 0;
        for (double t : phaseTotals) {
            total += t;
        }
        for (int i = 0; i < PHASES.length; i++) {
            double mean = measuredSteps == 0 ? Double.NaN : phaseTotals[i] / measuredSteps;
            line.append(String.format(Locale.ROOT, " %s %.1f (%.0f%%)", PHASES[i], mean,
                    100 * phaseTotals[i] / total));
        }
        System.out.println(line);
        System.out.println(
                "# open arrays after the first step: " + openArraysAfterFirstStep + ", at the end: " + openArrays());
        trainer.close();
        data.close();
        model.close();
    }
}
