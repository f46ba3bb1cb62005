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
import org.suncet.loss.NcaLoss;
import org.suncet.loss.NtXentLoss;
import org.suncet.loss.SuNCEtLoss;
import org.suncet.loss.SupConLoss;
import org.suncet.ndarray.MallocTuning;

/**
 * Forward + backward of each contrastive loss in float32: {@code rows} = 2N embeddings of D = 128,
 * with the value checks on (their one host read is part of the cost a user pays by default).
 *
 * <p>The intra-op thread count is a parameter: each JMH fork is a fresh JVM, and the engine reads
 * {@code ai.djl.pytorch.num_threads} when it starts. The set-up runs suncet-models' {@code
 * ConvolutionKernelCheck} as a training program's {@code ResNet} build does, so the losses' matrix
 * products take {@code MatrixProducts}' route of this CPU (oneDNN on an AMD CPU of family 26+ with AVX-512; {@code
 * -Dorg.suncet.matrixProducts=blas} in {@code JAVA_TOOL_OPTIONS} keeps oneMKL). NT-Xent gets two views of N images; the
 * labeled losses get {@code rows / 4} classes of 4 rows each. {@code path} compares the fused,
 * row-blocked computation (the default of every loss) with the autograd one ({@code
 * optFused(false)}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class LossBenchmark {

    /** The loss under test. */
    @Param({"NtXent", "SuNCEt", "SupCon", "Nca"})
    public String loss;

    /** The number of embedding rows, 2N. */
    @Param({"256", "1024", "4096"})
    public int rows;

    /** Intra-op threads of libtorch. */
    @Param({"1", "2"})
    public int threads;

    /** {@code fused}: loss and gradient in one row-blocked pass; {@code autograd}: M × M autograd. */
    @Param({"fused", "autograd"})
    public String path;

    /** The embedding dimension. */
    @Param({"128"})
    public int dim;

    /** Rows per block of the fused path ({@code optRowBlock}); 0 picks them automatically. */
    @Param({"0"})
    public int block;

    private NDManager manager;
    private NDArray embeddings;
    private NDList labels;
    private Loss instance;

    /** Starts the engine with the thread count and makes the inputs. */
    @Setup(Level.Trial)
    public void setUp() {
        // threads, MallocTuning, and the oneDNN check that lets MatrixProducts route the loss's
        // products through oneDNN where oneMKL is slow (AMD family 26+ with AVX-512), as a ResNet build would
        EngineThreads.start(threads);
        manager = NDManager.newBaseManager();
        manager.getEngine().setRandomSeed(42);
        embeddings = manager.randomNormal(new Shape(rows, dim));
        embeddings.setRequiresGradient(true);
        labels =
                new NDList(
                        manager.arange(0, rows, 1, DataType.INT64).mod(Math.max(1, rows / 4)));
        boolean fused;
        switch (path) {
            case "fused":
                fused = true;
                break;
            case "autograd":
                fused = false;
                break;
            default:
                throw new IllegalArgumentException("unknown path " + path);
        }
        switch (loss) {
            case "NtXent":
                instance = NtXentLoss.builder()
                                .optTemperature(0.1f)
                                .optFused(fused)
                                .optRowBlock(block)
                                .build();
                break;
            case "SuNCEt":
                instance = SuNCEtLoss.builder()
                                .optTemperature(0.1f)
                                .optFused(fused)
                                .optRowBlock(block)
                                .build();
                break;
            case "SupCon":
                instance = SupConLoss.builder()
                                .optTemperature(0.1f)
                                .optFused(fused)
                                .optRowBlock(block)
                                .build();
                break;
            case "Nca":
                instance = NcaLoss.builder()
                                .optTemperature(1f)
                                .optFused(fused)
                                .optRowBlock(block)
                                .build();
                break;
            default:
                throw new IllegalArgumentException("unknown loss " + loss);
        }
    }

    /**
     * One forward and backward pass; every array it makes is closed before it returns.
     *
     * @return the loss value, so that the JIT cannot drop the work
     */
    @Benchmark
    public float forwardBackward() {
        try (NDScope scope = new NDScope();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            scope.suppressNotUsedWarning();
            NDArray value = instance.evaluate(labels, new NDList(embeddings));
            collector.backward(value);
            return value.getFloat();
        }
    }

    /** Frees the inputs. */
    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
    }
}
