package org.suncet.models;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.suncet.ndarray.MatrixProducts;

/**
 * Checks, once per process, that libtorch's float32 CPU convolutions (oneDNN) compute what its
 * float64 convolutions (libtorch's own im2col + GEMM, no oneDNN) compute, on the patterns that have
 * been seen to go wrong, and makes them right where they are not.
 *
 * <p><b>Why.</b> On an AMD EPYC virtual machine ({@code lscpu}: "AMD EPYC", CPU family 26, model 2,
 * AVX-512; 2026-12-07) oneDNN v3.7.1 inside libtorch 2.7.1 gave wrong results, deterministically:
 * the input gradient (backward data) of NCHW convolutions with fewer than 16 output channels
 * (relative error 0.2-0.9 or NaN: the stem and first stage of our ResNets at widths 1/16 and 1/8)
 * with its AVX-512 and AVX2 kernels, and the forward output of a channels-last 1×1 convolution with
 * 256 input channels. The cause: that VM reports CPUID leaf {@code 0x8000001D} (the cache
 * description) as all zeros, from which oneDNN's CPU detection computes caches of 1 byte and blocks
 * its kernels for them ({@link OneDnnCacheInfo}). Wrong gradients train silently into a poor or NaN
 * model, so this check runs before any {@link ResNet} is built ({@link ResNet.Builder#build()}); call
 * {@link #ensureChecked()} yourself before training another convolutional network.
 *
 * <p><b>What it does, in order.</b> (1) Where oneDNN's CPU object shows that empty cache
 * description, it sets the number of cache levels to 0, so that oneDNN sizes its blocks with its own
 * defaults, as on a CPU that reports no caches ({@link Outcome#CACHE_INFO_REPAIRED}); oneDNN's
 * AVX-512 kernels are then right and keep their speed. (2) Where oneDNN's object cannot be read
 * and checked (a libtorch without its symbol table, another layout) on an AMD CPU whose kernel
 * lists no caches either (no {@code /sys/devices/system/cpu/cpu0/cache}, the same empty leaf), it
 * caps oneDNN to its AVX kernels ({@code ONEDNN_MAX_CPU_ISA=AVX}, set in the process environment before oneDNN's first
 * primitive), which do not depend on the cache sizes there ({@link Outcome#ISA_CAPPED}). (3) It
 * compares three tiny convolutions (forward, input and weight gradient) in float32 and float64: a
 * 3×3 one with 4 output channels in NCHW and channels-last (the layout {@link ResNet} runs on the CPU
 * by default, {@link MemoryLayout}), and a channels-last 1×1 one with 256 channels. (4) If they
 * disagree (a convolution ran before the check, or another cause), it switches oneDNN off for the
 * process ({@code at::globalContext().setUserEnabledMkldnn(false)}, the switch behind PyTorch's
 * {@code torch.backends.mkldnn.enabled}), so that float32 convolutions run libtorch's own kernels,
 * and checks again ({@link Outcome#ONEDNN_DISABLED}).
 *
 * <p><b>The cost where it triggers.</b> Forward + backward of the width-1/8 ResNet-18 on 256
 * images of 28 px, 1 thread, on that VM: 210 ms with the 1-byte caches (wrong gradients), 407 ms
 * capped to AVX (right), 645 ms with oneDNN off (right; large inference batches much slower still,
 * im2col buffers); with the repaired cache description the AVX-512 kernels are right at their full
 * speed (measured again on such a VM the same day: 138-181 ms repaired, 315-341 ms capped to AVX;
 * the repair and the check take about 0.3 s once per process). The repair and the cap work only
 * before oneDNN's first convolution primitive: the bundled programs and benchmarks call {@link
 * #ensureChecked()} first thing, and {@link ResNet} builds call it, which is before the first
 * convolution in most programs; if a convolution ran earlier, the probe says so and oneDNN is
 * switched off instead. Where the check passes on its own, nothing
 * changes. When it switches oneDNN off it also raises libtorch's C++ log level to ERROR, because
 * libtorch then logs one "Could not initialize NNPACK!" warning per convolution on a CPU that NNPACK
 * does not support.
 *
 * <p>The probes take their gradients through libtorch's autograd directly, not through a {@code
 * GradientCollector} (DJL allows one at a time), so the check also runs when the first {@link
 * ResNet} is built inside the caller's collector; gradient recording is left as it was found.
 *
 * <p>When the probes agree with float64 on oneDNN's AVX-512 kernels ({@link Outcome#PASSED} or
 * {@link Outcome#CACHE_INFO_REPAIRED}), the check also tells suncet-core's {@link
 * org.suncet.ndarray.MatrixProducts} that oneDNN is verified on this CPU, which on an AMD CPU lets
 * the losses' matrix products run as oneDNN convolutions instead of oneMKL's AVX2 kernels.
 *
 * <p>Set the system property {@value #PROPERTY} to {@code false} to skip the check.
 */
public final class ConvolutionKernelCheck {

    /** The system property that skips the check when {@code false} (default {@code true}). */
    public static final String PROPERTY = "org.suncet.convolutionCheck";

    /**
     * Largest accepted {@code max|r32 − r64| / max|r64|} of a probe. Correct float32 kernels give
     * about 1e-7 to 4e-6 on these sums of at most 256 products; the wrong ones 0.2 and more, or NaN.
     */
    static final double BOUND = 1e-3;

    /** oneDNN's ISA cap, read from the environment at its first primitive. */
    static final String ISA_VARIABLE = "ONEDNN_MAX_CPU_ISA";

    /** The cap where the repair is not possible: AVX, the widest ISA whose kernels were right there. */
    static final String CAPPED_ISA = "AVX";

    private static final Logger LOGGER = LoggerFactory.getLogger(ConvolutionKernelCheck.class);

    private static Outcome outcome;

    /** What {@link #ensureChecked()} found and did. */
    public enum Outcome {
        /** oneDNN's convolutions agree with float64: nothing changed. */
        PASSED,
        /**
         * oneDNN's CPU object showed the empty cache description of CPUID leaf {@code 0x8000001D}
         * ({@link OneDnnCacheInfo}); its cache levels were set to none, so that oneDNN uses its
         * default sizes, and its convolutions agree with float64.
         */
        CACHE_INFO_REPAIRED,
        /**
         * oneDNN's CPU object could not be read and checked on an AMD CPU whose kernel lists no caches:
         * {@code ONEDNN_MAX_CPU_ISA=AVX} was set before the first convolution, and oneDNN's AVX
         * kernels agree with float64.
         */
        ISA_CAPPED,
        /** They did not; oneDNN is now off for the process and the probes agree with float64. */
        ONEDNN_DISABLED,
        /** The system property {@value ConvolutionKernelCheck#PROPERTY} is {@code false}. */
        SKIPPED
    }

    private ConvolutionKernelCheck() {}

    /**
     * Runs the check once per process (later calls return the first call's outcome).
     *
     * @return what was found and done
     * @throws IllegalStateException if the float32 convolutions are wrong and switching oneDNN off
     *     did not help or was not possible
     * @throws IllegalArgumentException if the system property {@value #PROPERTY} is set to
     *     something other than {@code true} or {@code false}
     */
    public static synchronized Outcome ensureChecked() {
        if (outcome == null) {
            outcome = check(enabled(System.getProperty(PROPERTY)));
            if ((outcome == Outcome.PASSED || outcome == Outcome.CACHE_INFO_REPAIRED)
                    && OneDnnChannelBlock.of(cpuInfo(), outcome, OneDnnChannelBlock.isaCapFromEnvironment())
                            == OneDnnChannelBlock.AVX512) {
                MatrixProducts.oneDnnConvolutionsVerified();
            }
        }
        return outcome;
    }

    static boolean enabled(String value) {
        if (value == null || value.equalsIgnoreCase("true")) {
            return true;
        }
        if (value.equalsIgnoreCase("false")) {
            return false;
        }
        throw new IllegalArgumentException("system property " + PROPERTY + " must be true or false, got '" + value + "'");
    }

    private static Outcome check(boolean enabled) {
        if (!enabled) {
            return Outcome.SKIPPED;
        }
        OneDnnCacheInfo.Repair repair = OneDnnCacheInfo.repairIfEmpty();
        boolean repaired = repair == OneDnnCacheInfo.Repair.REPAIRED;
        boolean capped = repair == OneDnnCacheInfo.Repair.NOT_POSSIBLE && capIsaOnKnownBadCpu();
        double before = probeError();
        if (before <= BOUND) {
            if (repaired) {
                LOGGER.info("this CPU reports no cache sizes (CPUID leaf 0x8000001D is empty, as some virtual"
                        + " machines leave it), from which oneDNN computed 1-byte caches and wrong convolutions:"
                        + " oneDNN now uses its default cache sizes, and its convolutions agree with float64");
                return Outcome.CACHE_INFO_REPAIRED;
            }
            if (capped) {
                LOGGER.warn("this CPU reports no cache sizes (CPUID leaf 0x8000001D is empty), which makes"
                        + " oneDNN's AVX2/AVX-512 convolutions wrong, and oneDNN's CPU object could not be read"
                        + " and checked: {}={} set, the AVX kernels agree with float64 (about 2x slower)",
                        ISA_VARIABLE, CAPPED_ISA);
                return Outcome.ISA_CAPPED;
            }
            return Outcome.PASSED;
        }
        try {
            setOneDnnEnabled(false);
        } catch (LinkageError | RuntimeException | IOException e) {
            throw new IllegalStateException("libtorch's float32 CPU convolutions (oneDNN) disagree with float64 by "
                    + before + " (bound " + BOUND + ") on this CPU, and oneDNN could not be switched off (" + e
                    + "): training would use wrong gradients; start the JVM with ONEDNN_MAX_CPU_ISA=AVX", e);
        }
        double after = probeError();
        if (!(after <= BOUND)) {
            throw new IllegalStateException("libtorch's float32 CPU convolutions disagree with float64 by " + before
                    + " with oneDNN and by " + after + " without it (bound " + BOUND
                    + "): training would use wrong gradients");
        }
        LOGGER.warn("libtorch's oneDNN float32 convolutions give wrong results on this CPU (relative error {}"
                + " against float64): oneDNN is now off for this process and convolutions run libtorch's own"
                + " kernels (right, about 3x slower); starting the JVM with ONEDNN_MAX_CPU_ISA=AVX is faster", before);
        return Outcome.ONEDNN_DISABLED;
    }

    /**
     * On a CPU known to get wrong results from oneDNN's AVX2/AVX-512 convolutions (an AMD whose
     * kernel lists no caches, see {@link #knownBad(String, boolean)}), sets {@code
     * ONEDNN_MAX_CPU_ISA=AVX} in the process environment unless it is set already.
     * oneDNN reads it at its first primitive, so it takes effect only if no convolution has run
     * yet; the probe that follows tells whether it did.
     *
     * @return whether the variable was set
     */
    private static boolean capIsaOnKnownBadCpu() {
        if (System.getenv(ISA_VARIABLE) != null
                || !knownBad(cpuInfo(), Files.isDirectory(Path.of("/sys/devices/system/cpu/cpu0/cache")))) {
            return false;
        }
        try {
            return NativeLibrary.getInstance("c").getFunction("setenv")
                    .invokeInt(new Object[] {ISA_VARIABLE, CAPPED_ISA, 0}) == 0;
        } catch (LinkageError | RuntimeException e) {
            LOGGER.debug("setenv not reachable: {} not set", ISA_VARIABLE, e);
            return false;
        }
    }

    /** The contents of {@code /proc/cpuinfo}, or "" where it cannot be read. */
    static String cpuInfo() {
        try {
            return Files.readString(Path.of("/proc/cpuinfo"));
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /**
     * Whether this is a CPU whose oneDNN AVX2/AVX-512 convolutions are wrong where {@link
     * OneDnnCacheInfo} cannot repair them: an AMD whose kernel lists no caches, i.e. whose CPUID
     * leaf {@code 0x8000001D} is empty (Linux reads the caches of an AMD CPU with {@code topoext}
     * from that leaf, as oneDNN does).
     *
     * @param cpuInfo the contents of {@code /proc/cpuinfo}
     * @param kernelListsCaches whether {@code /sys/devices/system/cpu/cpu0/cache} exists
     * @return true for AuthenticAMD without cache information
     */
    static boolean knownBad(String cpuInfo, boolean kernelListsCaches) {
        return cpuInfo.contains("AuthenticAMD") && !kernelListsCaches;
    }

    /** The larger relative error of the two probes, float32 against float64 (NaN if non-finite). */
    static double probeError() {
        // the float64 convolutions ask NNPACK first, and on a CPU NNPACK does not support libtorch
        // logs "Could not initialize NNPACK!" at WARNING for each: quiet for the probe only
        Pointer logLevel = null;
        int before = 0;
        try {
            logLevel = loaded("libc10.so").getGlobalVariableAddress("FLAGS_caffe2_log_level");
            before = logLevel.getInt(0);
            logLevel.setInt(0, Math.max(before, 2));
        } catch (LinkageError | RuntimeException | IOException e) {
            logLevel = null;
        }
        try {
            return probeErrorLogged();
        } finally {
            if (logLevel != null) {
                logLevel.setInt(0, before);
            }
        }
    }

    private static double probeErrorLogged() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            // NCHW 3×3, 4 output channels: forward, input gradient and weight gradient
            double narrow = probe(manager, new Shape(2, 4, 8, 8), new Shape(4, 4, 3, 3), new Shape(1, 1), false);
            // the same channels-last, the layout ResNet runs on the CPU by default (MemoryLayout)
            double narrowLast = probe(manager, new Shape(2, 4, 8, 8), new Shape(4, 4, 3, 3), new Shape(1, 1), true);
            // channels-last 1×1 with 256 input channels: forward, input and weight gradient
            double wide = probe(manager, new Shape(8, 256, 4, 4), new Shape(256, 256, 1, 1), new Shape(0, 0), true);
            double worst = 0;
            for (double error : new double[] {narrow, narrowLast, wide}) {
                if (Double.isNaN(error)) {
                    return Double.NaN;
                }
                worst = Math.max(worst, error);
            }
            return worst;
        }
    }

    private static double probe(NDManager manager, Shape input, Shape kernel, Shape padding, boolean channelsLast) {
        // deterministic, irregular values without touching the engine's random generator
        NDArray x = manager.arange(0, (int) input.size(), 1, DataType.FLOAT64).mul(0.6180339887).sin().abs()
                .reshape(input);
        NDArray w = manager.arange(0, (int) kernel.size(), 1, DataType.FLOAT64).mul(1.3).sin().reshape(kernel);
        NDArray[][] results = new NDArray[2][];
        DataType[] types = {DataType.FLOAT32, DataType.FLOAT64};
        for (int i = 0; i < 2; i++) {
            NDArray xi = x.toType(types[i], true);
            if (channelsLast) {
                xi = MemoryLayout.toChannelsLast(xi);
            }
            NDArray wi = w.toType(types[i], true);
            xi.setRequiresGradient(true);
            wi.setRequiresGradient(true);
            NDArray y;
            // libtorch's autograd directly, not a GradientCollector: DJL allows one collector at a
            // time, and the first ResNet may well be built inside the caller's
            boolean gradMode = JniUtils.isGradMode();
            JniUtils.setGradMode(true);
            try {
                y = Conv2d.conv2d(xi, wi, null, new Shape(1, 1), padding).singletonOrThrow();
                // a fixed, non-uniform output gradient: the sum of y times a ramp over its elements
                NDArray ramp = manager.arange(0, (int) y.size(), 1, types[i]).reshape(y.getShape()).mod(7).sub(3);
                NDArray objective = y.mul(ramp).sum();
                JniUtils.backward((PtNDArray) objective, (PtNDArray) objective.onesLike(), false, false);
            } finally {
                JniUtils.setGradMode(gradMode);
            }
            results[i] = new NDArray[] {y, xi.getGradient(), wi.getGradient()};
        }
        double worst = 0;
        for (int k = 0; k < 3; k++) {
            double[] r32 = results[0][k].toType(DataType.FLOAT64, false).toDoubleArray();
            double[] r64 = results[1][k].toDoubleArray();
            double scale = 0;
            double diff = 0;
            for (int j = 0; j < r64.length; j++) {
                scale = Math.max(scale, Math.abs(r64[j]));
                double d = Math.abs(r32[j] - r64[j]);
                if (!(d <= Double.MAX_VALUE)) {
                    return Double.NaN;
                }
                diff = Math.max(diff, d);
            }
            worst = Math.max(worst, diff / scale);
        }
        return worst;
    }

    /**
     * Calls libtorch's {@code at::globalContext().setUserEnabledMkldnn(enabled)} through JNA, in the
     * {@code libtorch_cpu.so} this process has loaded (Linux).
     */
    static void setOneDnnEnabled(boolean enabled) throws IOException {
        NativeLibrary torch = loaded("libtorch_cpu.so");
        Pointer context = torch.getFunction("_ZN2at13globalContextEv").invokePointer(new Object[0]);
        torch.getFunction("_ZN2at7Context20setUserEnabledMkldnnEb").invokeVoid(new Object[] {context, enabled ? 1 : 0});
        if (!enabled) {
            // without oneDNN, libtorch asks NNPACK first and, on a CPU NNPACK does not support, logs
            // "Could not initialize NNPACK!" at WARNING for every convolution: keep ERROR and above
            loaded("libc10.so").getGlobalVariableAddress("FLAGS_caffe2_log_level").setInt(0, 2);
        }
    }

    /** The named library as this process has loaded it (Linux: its path from /proc/self/maps). */
    static NativeLibrary loaded(String name) throws IOException {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            throw new UnsupportedOperationException("only on Linux");
        }
        Engine.getInstance();
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            if (line.endsWith("/" + name)) {
                return NativeLibrary.getInstance(line.substring(line.indexOf('/')));
            }
        }
        throw new UnsupportedOperationException(name + " is not loaded");
    }
}
