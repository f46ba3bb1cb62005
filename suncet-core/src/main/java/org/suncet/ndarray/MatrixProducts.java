package org.suncet.ndarray;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Float32 matrix products on the CPU through oneDNN's AVX-512 convolution kernels where libtorch's
 * BLAS (oneMKL) runs slower ones: {@code a · bᵀ} computed as a 1×1 convolution.
 *
 * <p><b>Why.</b> libtorch 2.7.1's CPU build multiplies float32 matrices with oneMKL, which on an
 * AMD CPU runs its AVX2 "zen" kernels even where the CPU has AVX-512. On a CPU whose AVX-512 units
 * are full width that is half its peak: measured on an AMD EPYC of CPU family 26, model 2 (Zen 5,
 * 2 vCPUs; 2026-12-07), 1 thread, {@code [4096, 128] · [128, 4096]} 55–72 ms (66–78 GFLOP/s) with
 * {@code matMul} against 26.5–28.2 ms (152–162 GFLOP/s) as a convolution, {@code [4096, 4096] ·
 * [4096, 128]} 51–54 ms against 21–22 ms, 2048³ 196–205 ms against 94–101 ms; with 2 threads about
 * the same ratios (2048³ 98–106 against 44–47 ms). oneDNN, which libtorch also carries for its
 * convolutions, picks its kernels from the CPU's features, not its vendor. Below {@value
 * #MIN_MULTIPLY_ADDS} multiply-adds the two took the same time ({@code [256, 128] · [128, 256]}:
 * 0.196 against 0.187 ms), so small products stay with {@code matMul}.
 *
 * <p><b>How.</b> For {@code a [M, K]} and {@code bᵀ [N, K]} (both row-major), {@code a} is viewed
 * without a copy as a channels-last image {@code [1, K, M, 1]} (K channels, M pixels) and {@code
 * bᵀ} as N filters {@code [N, K, 1, 1]}; the convolution's output {@code [1, N, M, 1]}, channels
 * last, is {@code a · bᵀ} row-major, read back as {@code [M, N]} without a copy. The filters carry a
 * dilation of 2, which a 1×1 filter ignores, because libtorch sends an undilated 1×1 convolution of
 * one image to its own im2col + BLAS path when it runs on one thread. The reduction over K is
 * oneDNN's, so the result differs from {@code matMul}'s in rounding only: measured against float64,
 * the largest error of {@code [4096, 4096] · [4096, 128]} was 3.0e-4 against BLAS's 9.3e-5 (entries
 * of size ~64), at K = 128 the same as BLAS's.
 *
 * <p><b>When.</b> {@link #route()} decides once per process: {@link Route#ONEDNN} where the system
 * property {@value #PROPERTY} is {@code onednn}; {@link Route#BLAS} where it is {@code blas}; with
 * {@code auto} (the default) {@code ONEDNN} only on an AMD CPU ({@code vendor_id AuthenticAMD} in
 * {@code /proc/cpuinfo}) of CPU family 26 or later (Zen 5, where it was measured), and only once
 * oneDNN's AVX-512 convolutions have been verified on this CPU ({@link
 * #oneDnnConvolutionsVerified()}, which suncet-models' {@code ConvolutionKernelCheck} calls when
 * they agree with float64 and oneDNN runs its AVX-512 kernels, i.e. the CPU has AVX-512 F/BW/VL/DQ
 * and nothing capped oneDNN below them: on a virtual machine that reports no cache description
 * oneDNN computed some convolutions wrongly until that check repaired it). Intel CPUs
 * keep oneMKL, which runs its AVX-512 kernels there; so do AMD CPUs of family 25 (Zen 3 without
 * AVX-512, Zen 4 with half-width AVX-512 units, on which oneMKL's AVX2 kernels reach the same peak;
 * not measured). Each product also takes the BLAS path unless both operands are float32 on the
 * CPU, and, under {@code auto}, when it has fewer than {@value #MIN_MULTIPLY_ADDS} multiply-adds.
 *
 * <p>Paper context: the contrastive losses' similarity matrix {@code z zᵀ} and its gradient
 * products are three such products a call (Chen et al. 2020, SimCLR; Assran et al. 2020, SuNCEt).
 */
public final class MatrixProducts {

    /** The system property that picks the route: {@code auto} (default), {@code blas} or {@code onednn}. */
    public static final String PROPERTY = "org.suncet.matrixProducts";

    /**
     * The fewest multiply-adds ({@code M·N·K}) for which {@code auto} takes the oneDNN route:
     * 2<sup>24</sup>, between {@code [256, 128] · [128, 256]} (8.4 M, a tie) and {@code [512, 128]
     * · [128, 512]} (33.6 M: 0.43 against 0.70 ms with 1 thread, 0.34 against 0.42 with 2).
     */
    public static final long MIN_MULTIPLY_ADDS = 1L << 24;

    /**
     * The fewest multiply-adds for which {@code auto} takes the oneDNN route for {@link
     * #transposedTimes}, whose output comes back transposed and is copied once: 2<sup>26</sup>
     * ({@code [1024, 4096]ᵀ · [1024, 128]}: 8.1 against 13.6 ms with 1 thread, 4.3 against 7.6
     * with 2; at {@code [512, 512]ᵀ · [512, 128]} 0.70 against 0.42 ms with 2 threads).
     */
    public static final long MIN_TRANSPOSED_MULTIPLY_ADDS = 1L << 26;

    /** Where the products run. */
    public enum Route {
        /** libtorch's {@code matmul} (oneMKL on the CPU). */
        BLAS,
        /** oneDNN's 1×1 convolution, for float32 on the CPU; other products as {@link #BLAS}. */
        ONEDNN
    }

    /**
     * The first AMD CPU family the route is measured on: 26 (Zen 5, full-width AVX-512 units).
     * Zen 4 (family 25) runs AVX-512 on half-width units, where oneMKL's AVX2 kernels have the same
     * peak, and was not measured; it keeps oneMKL unless {@value #PROPERTY} says {@code onednn}.
     */
    static final int MIN_AMD_FAMILY = 26;

    private static final Shape ONES = new Shape(1, 1);
    private static final Shape ZEROS = new Shape(0, 0);
    /** A 1×1 filter ignores it; it keeps libtorch from sending the convolution to im2col + BLAS. */
    private static final Shape DILATION = new Shape(2, 2);

    private static volatile boolean verified;
    private static volatile Route route;
    /** Whether {@value #PROPERTY} is {@code onednn}: then every float32 CPU product takes the route. */
    private static volatile boolean allSizes;

    private MatrixProducts() {}

    /**
     * Records that oneDNN's float32 convolutions on this CPU were checked against float64 and run
     * their AVX-512 kernels, which lets {@code auto} take the oneDNN route. suncet-models' {@code
     * ConvolutionKernelCheck.ensureChecked()} calls it (a {@code ResNet} build runs that check);
     * call it yourself only after such a check of your own.
     */
    public static void oneDnnConvolutionsVerified() {
        verified = true;
        route = null;
    }

    /**
     * The route of this process: decided from {@value #PROPERTY}, the CPU and whether oneDNN was
     * verified, and decided again after {@link #oneDnnConvolutionsVerified()}.
     *
     * @return the route
     * @throws IllegalArgumentException if {@value #PROPERTY} is not {@code auto}, {@code blas} or
     *     {@code onednn}
     */
    public static Route route() {
        Route r = route;
        if (r == null) {
            String property = System.getProperty(PROPERTY);
            r = decide(property, cpuInfo(), verified);
            allSizes = property != null && property.trim().equalsIgnoreCase("onednn");
            route = r;
        }
        return r;
    }

    /**
     * The route for a property value, a CPU and the verification.
     *
     * @param property the value of {@value #PROPERTY}, or null
     * @param cpuInfo the contents of {@code /proc/cpuinfo} ("" where unknown)
     * @param oneDnnVerified whether {@link #oneDnnConvolutionsVerified()} was called
     * @return the route
     */
    static Route decide(String property, String cpuInfo, boolean oneDnnVerified) {
        String value = property == null ? "auto" : property.trim().toLowerCase(Locale.ROOT);
        switch (value) {
            case "blas":
                return Route.BLAS;
            case "onednn":
                return Route.ONEDNN;
            case "auto":
                return oneDnnVerified && isAmdFamily26OrLater(cpuInfo) ? Route.ONEDNN : Route.BLAS;
            default:
                throw new IllegalArgumentException(
                        "system property " + PROPERTY + " must be auto, blas or onednn, got '" + property + "'");
        }
    }

    /**
     * Returns {@code a · bᵀ}.
     *
     * @param a {@code [M, K]}
     * @param bT {@code [N, K]}
     * @return {@code [M, N]}, a new array on a's device and manager
     * @throws IllegalArgumentException if either is not a matrix or their K differ
     */
    public static NDArray timesTransposed(NDArray a, NDArray bT) {
        long[] dims = dims(a, bT, 1, 1, "bT");
        long m = dims[0];
        long n = dims[1];
        long k = dims[2];
        if (!routed(a, bT, m * n * k, MIN_MULTIPLY_ADDS)) {
            return a.matMul(bT.transpose());
        }
        return oneDnnTimesTransposed(a, bT, m, n, k);
    }

    /**
     * Returns {@code a · b}; on the oneDNN route {@code b} is first copied transposed ({@code K·N}
     * elements).
     *
     * @param a {@code [M, K]}
     * @param b {@code [K, N]}
     * @return {@code [M, N]}, a new array on a's device and manager
     * @throws IllegalArgumentException if either is not a matrix or their K differ
     */
    public static NDArray times(NDArray a, NDArray b) {
        long[] dims = dims(a, b, 1, 0, "b");
        long m = dims[0];
        long n = dims[1];
        long k = dims[2];
        if (!routed(a, b, m * n * k, MIN_MULTIPLY_ADDS)) {
            return a.matMul(b);
        }
        return oneDnnTimes(a, b, m, n, k);
    }

    /**
     * Returns {@code aTᵀ · b} without copying {@code aT}: on the oneDNN route {@code aT} is a
     * plain {@code [1, K, M, 1]} image (channels first), the output {@code [N, M]} comes back
     * transposed and is copied once ({@code M·N} elements).
     *
     * @param aT {@code [K, M]}
     * @param b {@code [K, N]}
     * @return {@code [M, N]}, a new array on aT's device and manager
     * @throws IllegalArgumentException if either is not a matrix or their K differ
     */
    public static NDArray transposedTimes(NDArray aT, NDArray b) {
        long[] dims = dims(aT, b, 0, 0, "b");
        long m = dims[0];
        long n = dims[1];
        long k = dims[2];
        if (!routed(aT, b, m * n * k, MIN_TRANSPOSED_MULTIPLY_ADDS)) {
            return aT.transpose().matMul(b);
        }
        return oneDnnTransposedTimes(aT, b, m, n, k);
    }

    /** {@link #transposedTimes} through oneDNN, whatever the route. */
    static NDArray oneDnnTransposedTimes(NDArray aT, NDArray b, long m, long n, long k) {
        try (NDArray image = aT.reshape(1, k, m, 1);
                NDArray bT = transposedCopy(b);
                NDArray filters = bT.reshape(n, k, 1, 1);
                NDArray out = Conv2d.conv2d(image, filters, null, ONES, ZEROS, DILATION, 1).singletonOrThrow();
                NDArray outMatrix = out.reshape(n, m)) {
            return transposedCopy(outMatrix);
        }
    }

    /** {@link #times} through oneDNN, whatever the route. */
    static NDArray oneDnnTimes(NDArray a, NDArray b, long m, long n, long k) {
        try (NDArray bT = transposedCopy(b)) {
            return oneDnnTimesTransposed(a, bT, m, n, k);
        }
    }

    /** {@link #timesTransposed} through oneDNN, whatever the route. */
    static NDArray oneDnnTimesTransposed(NDArray a, NDArray bT, long m, long n, long k) {
        try (NDArray pixels = a.reshape(1, m, 1, k);
                NDArray image = pixels.transpose(0, 3, 1, 2); // [1, K, M, 1], channels last
                NDArray filters = bT.reshape(n, k, 1, 1);
                NDArray out = Conv2d.conv2d(image, filters, null, ONES, ZEROS, DILATION, 1).singletonOrThrow();
                NDArray rows = out.transpose(0, 2, 3, 1)) {
            return rows.reshape(m, n); // [1, M, 1, N] row-major: a view, no copy
        }
    }

    /** {@code xᵀ} as a contiguous copy (a reshape of the transposed view copies it). */
    private static NDArray transposedCopy(NDArray x) {
        long rows = x.getShape().get(0);
        long columns = x.getShape().get(1);
        try (NDArray t = x.transpose(); NDArray flat = t.reshape(new Shape(rows * columns))) {
            return flat.reshape(new Shape(columns, rows));
        }
    }

    private static boolean routed(NDArray a, NDArray b, long multiplyAdds, long minimum) {
        if (a.getDataType() != DataType.FLOAT32
                || b.getDataType() != DataType.FLOAT32
                || !a.getDevice().getDeviceType().equals(Device.Type.CPU)
                || !b.getDevice().getDeviceType().equals(Device.Type.CPU)) {
            return false;
        }
        return route() == Route.ONEDNN && (allSizes || multiplyAdds >= minimum);
    }

    /**
     * Checks two matrices and returns {@code {M, N, K}}.
     *
     * @param a the left operand
     * @param b the right operand
     * @param aK which axis of a is K
     * @param bK which axis of b is K
     * @param bName b's name in messages
     */
    private static long[] dims(NDArray a, NDArray b, int aK, int bK, String bName) {
        Shape as = a.getShape();
        Shape bs = b.getShape();
        if (as.dimension() != 2 || bs.dimension() != 2) {
            throw new IllegalArgumentException(
                    "operands must be matrices, got a " + as + " and " + bName + " " + bs);
        }
        if (as.get(aK) != bs.get(bK)) {
            throw new IllegalArgumentException(
                    "the shared dimension of a " + as + " (axis " + aK + ") and " + bName + " " + bs
                            + " (axis " + bK + ") must be equal");
        }
        return new long[] {as.get(1 - aK), bs.get(1 - bK), as.get(aK)};
    }

    /**
     * Whether the first processor of {@code /proc/cpuinfo} is an AMD of CPU family {@value
     * #MIN_AMD_FAMILY} or later (its AVX-512 comes with the verification: {@link
     * #oneDnnConvolutionsVerified()}).
     */
    private static boolean isAmdFamily26OrLater(String cpuInfo) {
        String vendor = null;
        for (String line : cpuInfo.split("\n")) {
            String value = line.substring(line.indexOf(':') + 1).trim();
            if (line.startsWith("vendor_id")) {
                vendor = value;
            } else if (line.startsWith("cpu family")) {
                try {
                    return "AuthenticAMD".equals(vendor) && Integer.parseInt(value) >= MIN_AMD_FAMILY;
                } catch (NumberFormatException e) {
                    return false;
                }
            }
        }
        return false;
    }

    private static String cpuInfo() {
        try {
            return Files.readString(Path.of("/proc/cpuinfo"));
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
