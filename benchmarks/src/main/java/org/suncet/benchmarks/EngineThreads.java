package org.suncet.benchmarks;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import org.suncet.models.ConvolutionKernelCheck;
import org.suncet.ndarray.MallocTuning;

/**
 * Sets libtorch's intra-op thread count of a JMH fork before the engine starts, from a benchmark's
 * {@code threads} parameter, and reports the count libtorch runs with.
 *
 * <p>Each JMH fork is a fresh JVM and the PyTorch engine reads {@code ai.djl.pytorch.num_threads}
 * when it starts, so a benchmark's {@code @Setup} can choose it as long as nothing touched the
 * engine before. {@code threads = 0} keeps what the JVM was started with ({@code bin/bench}'s
 * {@code TORCH_THREADS}), so that a benchmark whose default is 0 still follows it.
 */
final class EngineThreads {

    private EngineThreads() {}

    /**
     * Sets the intra-op (and one inter-op) thread count, starts the engine and returns the
     * intra-op count libtorch reports.
     *
     * @param threads the intra-op threads, or 0 for the JVM's {@code -Dai.djl.pytorch.num_threads}
     * @return the count in force
     * @throws IllegalArgumentException for a negative count
     */
    static int start(int threads) {
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be >= 0 (0: the JVM's setting), got " + threads);
        }
        if (threads > 0) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        MallocTuning.ensureApplied(); // before the first tensor, so that libtorch sees its huge-page switch
        Engine.getInstance(); // starts the engine with the properties above
        ConvolutionKernelCheck.ensureChecked(); // before the first convolution (oneDNN on a VM with no cache description)
        return JniUtils.getNumThreads();
    }
}
