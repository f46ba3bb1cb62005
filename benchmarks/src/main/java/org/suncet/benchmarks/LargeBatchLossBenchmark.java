package org.suncet.benchmarks;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.Loss;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.suncet.loss.NtXentLoss;
import org.suncet.loss.SuNCEtLoss;
import org.suncet.ndarray.MallocTuning;

/**
 * One forward + backward of a contrastive loss at a batch whose {@code 2N × 2N} similarity matrix
 * would not fit a laptop (2N = 32768: 4 GiB in float32), on the fused, row-blocked path, with the
 * process's peak resident set as a second result.
 *
 * <p>Single-shot: each call takes tens of seconds on one core. {@code peakRssMiB} is the kernel's
 * high-water mark of the whole JVM ({@code VmHWM} of {@code /proc/self/status}) after the call:
 * the Java heap, libtorch and every temporary of the loss together, an upper bound of the loss's
 * native memory. D = 128, float32, τ = 0.1; NT-Xent gets two views of N images, SuNCEt classes of
 * 4 rows; 1 intra-op thread unless {@code -Dai.djl.pytorch.num_threads} says otherwise. {@code
 * setupRssMiB} is the same high-water mark before the first call (engine and inputs only).
 *
 * <p>Reproduce the figures in docs/benchmarks.md: {@code bin/bench LargeBatchLossBenchmark -wi 0 -i 1}
 * (one call per loss; with the default glibc environment, as a JVM user has it).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 2)
@Fork(1)
public class LargeBatchLossBenchmark {

    /** The loss under test. */
    @Param({"NtXent", "SuNCEt"})
    public String loss;

    /** The number of embedding rows, 2N. */
    @Param({"32768"})
    public int rows;

    private NDManager manager;
    private NDArray embeddings;
    private NDList labels;
    private Loss instance;

    /** The peak resident set, reported next to the time. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Memory {
        /** The JVM's peak resident set in MiB after the measured call. */
        public double peakRssMiB;

        /**
         * The JVM's peak resident set in MiB after the set-up (engine started, inputs made), before
         * any loss ran: {@code peakRssMiB} minus this bounds what the loss itself added.
         */
        public double setupRssMiB;
    }

    private double rssAfterSetUp;

    /** Makes the inputs. */
    @Setup(Level.Trial)
    public void setUp() {
        EngineThreads.start(0); // MallocTuning, and the oneDNN check that MatrixProducts' route waits for
        manager = NDManager.newBaseManager();
        manager.getEngine().setRandomSeed(42);
        embeddings = manager.randomNormal(new Shape(rows, 128));
        embeddings.setRequiresGradient(true);
        labels = new NDList(manager.arange(0, rows, 1, DataType.INT64).mod(Math.max(1, rows / 4)));
        switch (loss) {
            case "NtXent":
                instance = NtXentLoss.builder().optTemperature(0.1f).build();
                break;
            case "SuNCEt":
                instance = SuNCEtLoss.builder().optTemperature(0.1f).build();
                break;
            default:
                throw new IllegalArgumentException("unknown loss " + loss);
        }
        rssAfterSetUp = peakRssMiB();
    }

    /**
     * One forward and backward pass, then the peak resident set.
     *
     * @param memory where the peak resident set goes
     * @return the loss value, so that the JIT cannot drop the work
     */
    @Benchmark
    public float forwardBackward(Memory memory) {
        float value;
        try (NDScope scope = new NDScope();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            scope.suppressNotUsedWarning();
            NDArray result = instance.evaluate(labels, new NDList(embeddings));
            collector.backward(result);
            value = result.getFloat();
        }
        memory.peakRssMiB = peakRssMiB();
        memory.setupRssMiB = rssAfterSetUp;
        return value;
    }

    /** Frees the inputs. */
    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
    }

    /** {@code VmHWM} of {@code /proc/self/status} in MiB, or NaN where there is no such file. */
    static double peakRssMiB() {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return Double.NaN;
        }
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmHWM:")) {
                    String[] parts = line.trim().split("\\s+");
                    return Long.parseLong(parts[1]) / 1024.0; // kB
                }
            }
            return Double.NaN;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
