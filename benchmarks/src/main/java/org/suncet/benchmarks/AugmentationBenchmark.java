package org.suncet.benchmarks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.suncet.augment.MultiViewTransform;
import org.suncet.augment.SimClrAugmentation;
import org.suncet.augment.ViewKey;

/**
 * Two-view SimCLR augmentation throughput in images per second (each image gives two views), per image
 * ({@code SimClrAugmentation.transform(image, key)} twice per image) and batched
 * ({@code MultiViewTransform.transformBatch} on {@code [B, 3, H, W]}: both views in one batched pass),
 * at 32 px (CIFAR preset on 32 px inputs), 96 px (ImageNet preset on 96 px inputs, STL-10-like) and
 * 224 px (ImageNet preset on 256 px inputs). The thread count is the {@code threads} parameter, or
 * with its default 0 {@code -Dai.djl.pytorch.num_threads=N}; the setup prints the count libtorch reports. The torchvision twin is {@code benchmarks/peer/peer.py augment}. One batched
 * call at 224 px takes about 0.3-0.6 s, so short runs ({@code -w 2 -r 3}) see few calls and a JIT that
 * is still compiling on a small machine: prefer longer warm-up there.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 4)
@Fork(1)
public class AugmentationBenchmark {

    private static final int BATCH = 32;

    @Param({"32", "96", "224"})
    public int size;

    /** Intra-op threads of libtorch; 0 keeps the JVM's {@code -Dai.djl.pytorch.num_threads}. */
    @Param({"0"})
    public int threads;

    private NDManager manager;
    private NDArray batch;
    private NDArray[] images;
    private SimClrAugmentation view;
    private MultiViewTransform twoViews;
    private long[] indices;
    private long epoch;

    @Setup(Level.Trial)
    public void setUp() {
        int intraOpThreads = EngineThreads.start(threads);
        manager = NDManager.newBaseManager();
        int input = size == 224 ? 256 : size;
        batch = manager.randomUniform(0f, 1f, new Shape(BATCH, 3, input, input));
        images = new NDArray[BATCH];
        for (int i = 0; i < BATCH; i++) {
            images[i] = batch.get(i);
        }
        view = (size == 32 ? SimClrAugmentation.cifar(size) : SimClrAugmentation.imagenet(size)).optSeed(1).build();
        twoViews = MultiViewTransform.repeat(view, 2);
        indices = new long[BATCH];
        for (int i = 0; i < BATCH; i++) {
            indices[i] = i;
        }
        System.out.println("# intra-op threads: " + intraOpThreads
                + ", batch " + BATCH + ", input " + input + " px");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public float perImage() {
        long e = epoch++;
        float sink = 0;
        for (int i = 0; i < BATCH; i++) {
            for (int v = 0; v < 2; v++) {
                try (NDArray out = view.transform(images[i], new ViewKey(e, i, v))) {
                    sink += out.getShape().get(0);
                }
            }
        }
        return sink;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public float batched() {
        NDList views = twoViews.transformBatch(batch, epoch++, indices);
        float sink = views.get(1).getShape().get(0);
        views.close();
        return sink;
    }
}
