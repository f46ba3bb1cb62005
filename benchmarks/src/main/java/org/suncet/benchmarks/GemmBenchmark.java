package org.suncet.benchmarks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
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
import org.suncet.ndarray.MatrixProducts;

/**
 * The float32 matrix-product rate of libtorch through DJL, the floor every contrastive loss stands
 * on: one product {@code a · b} of {@code a [M, K]} and {@code b [K, N]} (seeded normal entries) as
 * the losses compute it, {@code MatrixProducts.timesTransposed(a, bᵀ)} with {@code bᵀ} stored
 * row-major: oneMKL's {@code matmul}, or on an AMD CPU of family 26+ with AVX-512 oneDNN's 1×1 convolution
 * ({@code MatrixProducts}' route, which the set-up's oneDNN check enables; {@code
 * -Dorg.suncet.matrixProducts=blas} in {@code JAVA_TOOL_OPTIONS} measures oneMKL there).
 * {@code shape} is {@code MxKxN}; the defaults are the two products of a loss at 2N = 4096, D = 128:
 * the similarity matrix {@code [2N, D] x [D, 2N]} (forward) and {@code [2N, 2N] x [2N, D]} (each of
 * the two products of the backward pass), and the square {@code 2048x2048x2048} of the D = 2048
 * losses' floor (and the rate BLAS libraries are usually quoted at). Each takes {@code 2·M·K·N} flop, so GFLOP/s = {@code
 * 2·M·K·N / (ms/op · 1e6)}; {@code bin/bench-compare} does that conversion and sets the losses'
 * GEMM floor with it.
 *
 * <p>The thread count is the {@code threads} parameter, or with its default 0 {@code
 * -Dai.djl.pytorch.num_threads=N} ({@code TORCH_THREADS=N bin/bench}); the set-up prints the count
 * libtorch reports. The product is closed before each invocation returns.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class GemmBenchmark {

    /** {@code MxKxN}: {@code [M, K] x [K, N]}. */
    @Param({"4096x128x4096", "4096x4096x128", "2048x2048x2048"})
    public String shape;

    /** Intra-op threads of libtorch; 0 keeps the JVM's {@code -Dai.djl.pytorch.num_threads}. */
    @Param({"0"})
    public int threads;

    private NDManager manager;
    private NDArray left;
    private NDArray rightT;

    /** Makes the operands. */
    @Setup(Level.Trial)
    public void setUp() {
        String[] parts = shape.split("x");
        if (parts.length != 3) {
            throw new IllegalArgumentException("shape must be MxKxN, got " + shape);
        }
        long m = Long.parseLong(parts[0]);
        long k = Long.parseLong(parts[1]);
        long n = Long.parseLong(parts[2]);
        int intraOpThreads = EngineThreads.start(threads);
        manager = NDManager.newBaseManager();
        manager.getEngine().setRandomSeed(42);
        left = manager.randomNormal(new Shape(m, k));
        rightT = manager.randomNormal(new Shape(n, k));
        System.out.println(
                "# intra-op threads: "
                        + intraOpThreads
                        + ", ["
                        + m
                        + ", "
                        + k
                        + "] x ["
                        + k
                        + ", "
                        + n
                        + "], "
                        + (2.0 * m * k * n / 1e9)
                        + " GFLOP per product, route "
                        + MatrixProducts.route());
    }

    /**
     * One matrix product.
     *
     * @return the product's row count, so that the JIT cannot drop the call
     */
    @Benchmark
    public long matMul() {
        try (NDArray product = MatrixProducts.timesTransposed(left, rightT)) {
            return product.getShape().get(0);
        }
    }

    /** Frees the operands. */
    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
    }
}
