package org.suncet.ndarray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class MatrixProductsTest {

    private static final String AMD_AVX512 =
            "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\n"
                    + "flags\t\t: fpu sse2 avx avx2 avx512f avx512dq avx512bw avx512vl avx512_bf16\n";
    private static final String AMD_AVX2 =
            "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nflags\t\t: fpu sse2 avx avx2 fma\n";
    private static final String ZEN4_AVX512 =
            "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\n"
                    + "flags\t\t: fpu sse2 avx avx2 avx512f avx512dq avx512bw avx512vl avx512_bf16\n";
    private static final String INTEL_AVX512 =
            "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n"
                    + "flags\t\t: fpu sse2 avx avx2 avx512f avx512dq avx512bw avx512vl\n";

    @Test
    void autoTakesOneDnnOnlyOnAVerifiedZen5OrLaterWithAvx512() {
        assertEquals(MatrixProducts.Route.ONEDNN, MatrixProducts.decide(null, AMD_AVX512, true));
        assertEquals(MatrixProducts.Route.ONEDNN, MatrixProducts.decide(" Auto ", AMD_AVX512, true));
        assertEquals(MatrixProducts.Route.BLAS, MatrixProducts.decide(null, AMD_AVX512, false));
        assertEquals(MatrixProducts.Route.BLAS, MatrixProducts.decide(null, AMD_AVX2, true));
        assertEquals(MatrixProducts.Route.BLAS, MatrixProducts.decide(null, ZEN4_AVX512, true), "not measured on Zen 4");
        assertEquals(MatrixProducts.Route.BLAS, MatrixProducts.decide(null, INTEL_AVX512, true));
        assertEquals(MatrixProducts.Route.BLAS, MatrixProducts.decide(null, "", true));
    }

    @Test
    void thePropertyOverridesTheCpu() {
        assertEquals(MatrixProducts.Route.BLAS, MatrixProducts.decide("blas", AMD_AVX512, true));
        assertEquals(MatrixProducts.Route.ONEDNN, MatrixProducts.decide("ONEDNN", INTEL_AVX512, false));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> MatrixProducts.decide("mkl", AMD_AVX512, true));
        assertTrue(e.getMessage().contains(MatrixProducts.PROPERTY) && e.getMessage().contains("'mkl'"), e.getMessage());
    }

    @Test
    void mismatchedOperandsAreRejectedWithTheirShapes() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.ones(new Shape(4, 3));
            NDArray wrong = manager.ones(new Shape(5, 2));
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> MatrixProducts.timesTransposed(a, wrong));
            assertTrue(e.getMessage().contains("(4, 3)") && e.getMessage().contains("(5, 2)"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> MatrixProducts.times(a, wrong));
            assertThrows(IllegalArgumentException.class, () -> MatrixProducts.transposedTimes(a, wrong));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> MatrixProducts.times(a, manager.ones(new Shape(3))),
                    "a vector is not a matrix");
        }
    }

    /**
     * The three oneDNN products against a float64 reference written out here, on shapes that are
     * not multiples of oneDNN's 16-channel blocks. The bound is derived: a float32 sum of K terms
     * in any order errs by at most u·K·Σ|terms| (u = 6e-8), and with entries uniform in [-1, 1]
     * the K terms' magnitudes average 1/4, so about 1.5e-8·K², within 2e-6·K for K ≤ 133 (here K ≤
     * 90); the typical error, ~u·K/4, is 100× smaller still.
     */
    @Property(tries = 40)
    void theOneDnnProductsMatchAFloat64Reference(
            @ForAll @IntRange(min = 1, max = 70) int m,
            @ForAll @IntRange(min = 1, max = 40) int n,
            @ForAll @IntRange(min = 1, max = 90) int k,
            @ForAll @IntRange(min = 0, max = 1000) int seed) {
        Random random = new Random(seed);
        double[][] a = uniform(random, m, k);
        double[][] b = uniform(random, k, n);
        double[][] expected = new double[m][n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int t = 0; t < k; t++) {
                    sum += (float) a[i][t] * (double) (float) b[t][j];
                }
                expected[i][j] = sum;
            }
        }
        double bound = 2e-6 * k + 1e-6;
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a32 = float32(manager, a);
            NDArray b32 = float32(manager, b);
            NDArray bT32 = float32(manager, transpose(b));
            NDArray aT32 = float32(manager, transpose(a));
            assertClose(expected, MatrixProducts.oneDnnTimesTransposed(a32, bT32, m, n, k), bound, "a·bTᵀ");
            // operands given as strided views (a transposed array) are copied by the reshape, not misread
            assertClose(
                    expected,
                    MatrixProducts.oneDnnTimesTransposed(aT32.transpose(), b32.transpose(), m, n, k),
                    bound,
                    "a·bTᵀ of transposed views");
            assertClose(expected, MatrixProducts.oneDnnTimes(a32, b32, m, n, k), bound, "a·b");
            assertClose(expected, MatrixProducts.oneDnnTransposedTimes(aT32, b32, m, n, k), bound, "aTᵀ·b");
            // the public entry points, whatever route this process takes
            assertClose(expected, MatrixProducts.timesTransposed(a32, bT32), bound, "timesTransposed");
            assertClose(expected, MatrixProducts.times(a32, b32), bound, "times");
            assertClose(expected, MatrixProducts.transposedTimes(aT32, b32), bound, "transposedTimes");
        }
    }

    @Test
    void aLargeProductStaysWithinFloat32RoundingOnEitherRoute() {
        // above MIN_MULTIPLY_ADDS: oneDNN runs it on a verified AMD with AVX-512 or with the property;
        // K = 257 is beyond the worst-case bound above (2e-6·K holds it for K ≤ 133), but the
        // typical error of a sum in any order, ~u·K/4 = 4e-6, is 100× below 2e-6·K = 5e-4
        int m = 300;
        int n = 260;
        int k = 257;
        Random random = new Random(7);
        double[][] a = uniform(random, m, k);
        double[][] bT = uniform(random, n, k);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray product = MatrixProducts.timesTransposed(float32(manager, a), float32(manager, bT));
            assertEquals(new Shape(m, n), product.getShape());
            assertEquals(DataType.FLOAT32, product.getDataType());
            float[] values = product.toFloatArray();
            double worst = 0;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    for (int t = 0; t < k; t++) {
                        sum += (float) a[i][t] * (double) (float) bT[j][t];
                    }
                    worst = Math.max(worst, Math.abs(values[i * n + j] - sum));
                }
            }
            assertTrue(worst < 2e-6 * k, "largest error " + worst);
        }
    }

    @Test
    void float64AndNonCpuOperandsKeepMatMul() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.randomUniform(-1, 1, new Shape(600, 300), DataType.FLOAT64);
            NDArray bT = manager.randomUniform(-1, 1, new Shape(500, 300), DataType.FLOAT64);
            NDArray product = MatrixProducts.timesTransposed(a, bT);
            assertEquals(DataType.FLOAT64, product.getDataType());
            assertEquals(0.0, product.sub(a.matMul(bT.transpose())).abs().max().getDouble());
        }
    }

    private static double[][] uniform(Random random, int rows, int columns) {
        double[][] x = new double[rows][columns];
        for (double[] row : x) {
            for (int j = 0; j < columns; j++) {
                row[j] = (float) (2 * random.nextDouble() - 1);
            }
        }
        return x;
    }

    private static double[][] transpose(double[][] x) {
        double[][] t = new double[x[0].length][x.length];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[0].length; j++) {
                t[j][i] = x[i][j];
            }
        }
        return t;
    }

    private static NDArray float32(NDManager manager, double[][] x) {
        float[] flat = new float[x.length * x[0].length];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[0].length; j++) {
                flat[i * x[0].length + j] = (float) x[i][j];
            }
        }
        return manager.create(flat, new Shape(x.length, x[0].length));
    }

    private static void assertClose(double[][] expected, NDArray actual, double bound, String what) {
        int m = expected.length;
        int n = expected[0].length;
        assertEquals(new Shape(m, n), actual.getShape(), what);
        float[] values = actual.toFloatArray();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double error = Math.abs(values[i * n + j] - expected[i][j]);
                if (!(error <= bound)) {
                    throw new AssertionError(
                            what + ": [" + i + ", " + j + "] is " + values[i * n + j] + ", expected "
                                    + expected[i][j] + " (bound " + bound + ")");
                }
            }
        }
    }
}
