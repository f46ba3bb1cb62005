package org.suncet.benchmarks;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.suncet.models.ContrastiveModel;
import org.suncet.models.MemoryLayout;
import org.suncet.ndarray.MallocTuning;

/**
 * A diagnostic, not a benchmark: forward + backward of the pre-training network alone (ResNet-18
 * with the CIFAR stem and SimCLR's v1 head, the sum of the projections as the loss, no optimizer),
 * printing each step's milliseconds, the process's minor page faults during the step and its
 * resident size; optionally PyTorch's profiler trace of the last three steps (a Chrome trace
 * JSON, per op with input shapes). {@code benchmarks/peer/profile_step.py} is the same network in
 * the peer's PyTorch. Together they found that the convolution gap of {@link
 * PretrainingStepBenchmark} was page faults from glibc's per-thread arenas, not slower kernels
 * (docs/benchmarks.md, "Where the convolution gap came from"; {@link MallocTuning}).
 *
 * <p>Usage: {@code java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -cp
 * "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)"
 * org.suncet.benchmarks.EncoderStepProfile WIDTH PX ROWS STEPS [TRACE.json]}, e.g. {@code 0.125 28
 * 256 16}. PX is 28 (one channel) or 32 (three). {@link MallocTuning} is applied first, as the
 * library's own training steps do; {@code -Dorg.suncet.mallocTuning=false} measures glibc's
 * defaults. {@code -Dlayout=AS_GIVEN} runs the encoder on plain NCHW feature maps instead of the
 * default channels-last ({@link MemoryLayout}).
 */
public final class EncoderStepProfile {

    private EncoderStepProfile() {}

    /**
     * Runs the profile.
     *
     * @param args WIDTH PX ROWS STEPS [TRACE]
     * @throws IllegalArgumentException for a wrong argument count or value
     */
    public static void main(String[] args) {
        if (args.length < 4 || args.length > 5) {
            throw new IllegalArgumentException(
                    "usage: EncoderStepProfile WIDTH PX ROWS STEPS [TRACE.json], got " + args.length + " arguments");
        }
        float width = Float.parseFloat(args[0]);
        int size = Integer.parseInt(args[1]);
        int rows = Integer.parseInt(args[2]);
        int steps = Integer.parseInt(args[3]);
        if (size != 28 && size != 32) {
            throw new IllegalArgumentException("PX must be 28 or 32, got " + size);
        }
        if (rows < 2 || steps < 1 || !(width > 0)) {
            throw new IllegalArgumentException(
                    "need WIDTH > 0, ROWS >= 2 and STEPS >= 1, got " + width + ", " + rows + ", " + steps);
        }
        String trace = args.length == 5 ? args[4] : null;
        System.out.println("malloc tuning: " + MallocTuning.ensureApplied());
        int channels = size == 28 ? 1 : 3;
        MemoryLayout layout = MemoryLayout.valueOf(System.getProperty("layout", MemoryLayout.AUTO.name()));
        System.out.println("memory layout: " + layout);
        ContrastiveModel network = CifarPretrainingNetwork.build(width, channels, layout);
        Shape shape = new Shape(rows, channels, size, size);
        try (Model model = Model.newInstance("encoder-step-profile")) {
            model.setBlock(network);
            model.getNDManager().getEngine().setRandomSeed(42);
            try (Trainer trainer = model.newTrainer(new DefaultTrainingConfig(Loss.l2Loss()))) {
                trainer.initialize(shape);
                NDManager manager = model.getNDManager();
                NDArray images = manager.randomUniform(0f, 1f, shape);
                for (int step = 0; step < steps; step++) {
                    boolean profiled = trace != null && step == Math.max(0, steps - 3);
                    if (profiled) {
                        JniUtils.startProfile(false, true, false);
                    }
                    long faults = minorFaults();
                    long start = System.nanoTime();
                    long forward;
                    try (NDManager scope = manager.newSubManager();
                            GradientCollector collector = trainer.newGradientCollector()) {
                        NDArray input = images.duplicate();
                        input.attach(scope); // the step's outputs land in the scope and close with it
                        NDList outputs = trainer.forward(new NDList(input));
                        forward = System.nanoTime();
                        collector.backward(outputs.get(1).sum());
                    }
                    System.out.printf(
                            Locale.ROOT,
                            "step %d forward %.1f ms total %.1f ms minor faults %d %s%n",
                            step, (forward - start) / 1e6, (System.nanoTime() - start) / 1e6,
                            minorFaults() - faults, residentSize());
                }
                if (trace != null) {
                    JniUtils.stopProfile(trace);
                }
            }
        }
    }

    private static long minorFaults() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            return Long.parseLong(stat.substring(stat.lastIndexOf(") ") + 2).split(" ")[7]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String residentSize() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(line -> line.startsWith("VmRSS"))
                    .findFirst()
                    .orElse("VmRSS: ?")
                    .replaceAll("\\s+", " ");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
