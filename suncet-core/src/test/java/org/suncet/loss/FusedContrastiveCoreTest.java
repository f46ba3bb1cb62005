package org.suncet.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.suncet.loss.LossTesting.assertRelative;
import static org.suncet.loss.SupervisedLossContract.assertMessage;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.Loss;
import java.util.Random;
import net.jqwik.api.Assume;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Scale;
import org.suncet.ndarray.MatrixProducts;

/**
 * The fused, row-blocked computation ({@link FusedContrastiveCore}) against the autograd one
 * ({@link ContrastiveCore}, {@code optFused(false)}) and the double-loop {@link ReferenceLosses}:
 * same value and gradient for every loss, block size, shape and temperature.
 */
class FusedContrastiveCoreTest {

    /** Block sizes under test: one row, three rows (blocks that do not divide M), automatic. */
    static final int[] BLOCKS = {1, 3, 0};

    static final String[] LABELED = {"SuNCEt", "SupCon", "NCA"};

    static Loss labeledLoss(String name, float tau, boolean fused, int block) {
        switch (name) {
            case "SuNCEt":
                return SuNCEtLoss.builder().optTemperature(tau).optFused(fused).optRowBlock(block).build();
            case "SupCon":
                return SupConLoss.builder().optTemperature(tau).optFused(fused).optRowBlock(block).build();
            case "NCA":
                return NcaLoss.builder().optTemperature(tau).optFused(fused).optRowBlock(block).build();
            default:
                throw new IllegalArgumentException(name);
        }
    }

    static double labeledReference(String name, double[][] z, long[] y, double tau) {
        switch (name) {
            case "SuNCEt":
                return ReferenceLosses.suncet(z, y, tau);
            case "SupCon":
                return ReferenceLosses.supCon(z, y, tau);
            default:
                return ReferenceLosses.nca(z, y, tau);
        }
    }

    static double[][] labeledSimilarity(String name, double[][] z, double tau) {
        return name.equals("NCA")
                ? ReferenceLosses.negativeSquaredDistance(z, tau)
                : ReferenceLosses.cosine(z, tau);
    }

    static NtXentLoss ntXent(float tau, int views, boolean fused, int block) {
        return NtXentLoss.builder()
                .optTemperature(tau)
                .optViewsPerImage(views)
                .optFused(fused)
                .optRowBlock(block)
                .build();
    }

    static LossTesting.Evaluation evaluate(Loss loss, long[] y, double[][] z, DataType type) {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList labels = y == null ? null : new NDList(manager.create(y));
            return LossTesting.evaluate(loss, labels, z, type);
        }
    }

    static double largest(double[][] s) {
        double largest = 0;
        for (double[] row : s) {
            for (double v : row) {
                largest = Math.max(largest, Math.abs(v));
            }
        }
        return largest;
    }

    @Property(tries = 80)
    void ntXentEqualsAutogradAndReferenceInFloat64(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 35) int images,
            @ForAll @IntRange(min = 2, max = 3) int views,
            @ForAll @IntRange(min = 1, max = 16) int dim,
            @ForAll @FloatRange(min = 0.05f, max = 2f) float tau,
            @ForAll @IntRange(min = 0, max = 2) int blockChoice) {
        Assume.that(images * views <= 70);
        int block = BLOCKS[blockChoice];
        double[][] z = LossTesting.gaussian(new Random(seed), images * views, dim, 1);
        LossTesting.Evaluation fused = evaluate(ntXent(tau, views, true, block), null, z, DataType.FLOAT64);
        LossTesting.Evaluation autograd =
                evaluate(ntXent(tau, views, false, 0), null, z, DataType.FLOAT64);
        String what = "NT-Xent, M = " + z.length + ", V = " + views + ", block " + block;
        assertRelative(ReferenceLosses.ntXent(z, views, tau), fused.value(), 1e-10, what + " vs reference");
        assertRelative(autograd.value(), fused.value(), 1e-10, what + " vs autograd");
        assertRelative(
                autograd.gradient(), fused.gradient(), 1e-10, gradientFloor(1e-4, tau, z), what + " gradient");
    }

    /**
     * The absolute floor of gradient comparisons. Where the true gradient vanishes (one candidate
     * per row; D = 1 for the cosine losses, where ẑ = ±1 whatever z) both computations return
     * rounding noise of about eps·|dL/dẑ| / |z_i| ≈ eps / (τ·|z_i|), each in its own order.
     * {@code scale / (τ · min_i |z_i|)} lets that noise through; with scale 1e-4 in float64 the
     * comparison at 1e-10 still bounds differences by 1e-14 / (τ · min|z|).
     */
    static double gradientFloor(double scale, float tau, double[][] z) {
        double smallest = Double.POSITIVE_INFINITY;
        for (double[] row : z) {
            double norm = 0;
            for (double v : row) {
                norm += v * v;
            }
            smallest = Math.min(smallest, Math.sqrt(norm));
        }
        return scale / (tau * Math.max(smallest, 1e-3));
    }

    @Property(tries = 120)
    void labeledLossesEqualAutogradAndReferenceInFloat64(
            @ForAll long seed,
            @ForAll @IntRange(min = 0, max = 2) int lossChoice,
            @ForAll @IntRange(min = 2, max = 70) int rows,
            @ForAll @IntRange(min = 1, max = 16) int dim,
            @ForAll @IntRange(min = 1, max = 12) int classes,
            @ForAll @FloatRange(min = 0.05f, max = 2f) float tau,
            @ForAll @IntRange(min = 0, max = 2) int blockChoice) {
        Random random = new Random(seed);
        double[][] z = LossTesting.gaussian(random, rows, dim, 1);
        long[] y = LossTesting.labels(random, rows, classes);
        Assume.that(LossTesting.hasPositive(y));
        String name = LABELED[lossChoice];
        int block = BLOCKS[blockChoice];
        LossTesting.Evaluation fused = evaluate(labeledLoss(name, tau, true, block), y, z, DataType.FLOAT64);
        LossTesting.Evaluation autograd =
                evaluate(labeledLoss(name, tau, false, 0), y, z, DataType.FLOAT64);
        String what = name + ", M = " + rows + ", block " + block;
        assertRelative(labeledReference(name, z, y, tau), fused.value(), 1e-10, what + " vs reference");
        assertRelative(autograd.value(), fused.value(), 1e-10, what + " vs autograd");
        assertRelative(
                autograd.gradient(), fused.gradient(), 1e-10, gradientFloor(1e-4, tau, z), what + " gradient");
    }

    @Property(tries = 60)
    void float32IsCloseToTheExactValueAndGradient(
            @ForAll long seed,
            @ForAll @IntRange(min = 0, max = 3) int lossChoice,
            @ForAll @IntRange(min = 2, max = 70) int rows,
            @ForAll @IntRange(min = 1, max = 16) int dim,
            @ForAll @FloatRange(min = 0.05f, max = 2f) float tau,
            @ForAll @IntRange(min = 0, max = 2) int blockChoice) {
        assertFloat32CloseToFloat64(new Random(seed), lossChoice, rows, dim, tau, BLOCKS[blockChoice]);
    }

    /**
     * At τ = 0.01 every loss takes the general path, and a row whose positives lie far below its
     * nearest candidate has {@code p} at its positives under float32's range (NCA's {@code s} spans
     * hundreds here, cosine's 200): the loss must still be the difference of two log-sum-exps,
     * each shifted by its own maximum, not a log of underflowed probabilities (which this fails:
     * 49.7 against 72.8). Float32 against float64 autograd, with {@link
     * #float32IsCloseToTheExactValueAndGradient}'s tolerances.
     */
    @Property(tries = 40)
    void lossesFarBeyondFloat32sExpRangeStayAccurate(
            @ForAll long seed,
            @ForAll @IntRange(min = 0, max = 3) int lossChoice,
            @ForAll @IntRange(min = 4, max = 40) int rows,
            @ForAll @IntRange(min = 2, max = 16) int dim,
            @ForAll @IntRange(min = 0, max = 2) int blockChoice) {
        assertFloat32CloseToFloat64(new Random(seed), lossChoice, rows, dim, 0.01f, BLOCKS[blockChoice]);
    }

    /**
     * One case of {@link #float32IsCloseToTheExactValueAndGradient}: loss {@code lossChoice} (0–2
     * {@link #LABELED}, 3 NT-Xent with 2 views), fused in float32 against autograd in float64.
     */
    private static void assertFloat32CloseToFloat64(
            Random random, int lossChoice, int rows, int dim, float tau, int block) {
        double[][] z;
        long[] y;
        Loss single;
        Loss exact;
        double[][] s;
        if (lossChoice == 3) {
            int images = Math.max(1, rows / 2);
            z = LossTesting.gaussian(random, 2 * images, dim, 1);
            y = null;
            single = ntXent(tau, 2, true, block);
            exact = ntXent(tau, 2, false, 0);
            s = ReferenceLosses.cosine(z, tau);
        } else {
            String name = LABELED[lossChoice];
            z = LossTesting.gaussian(random, rows, dim, 1);
            y = LossTesting.labels(random, rows, 4);
            Assume.that(LossTesting.hasPositive(y));
            single = labeledLoss(name, tau, true, block);
            exact = labeledLoss(name, tau, false, 0);
            s = labeledSimilarity(name, z, tau);
        }
        LossTesting.Evaluation fused = evaluate(single, y, z, DataType.FLOAT32);
        LossTesting.Evaluation reference = evaluate(exact, y, z, DataType.FLOAT64);
        double tolerance = 1e-4 * Math.abs(reference.value()) + 1e-6 * largest(s);
        assertTrue(
                Math.abs(fused.value() - reference.value()) <= tolerance,
                "float32 " + fused.value() + " vs " + reference.value() + ", tolerance " + tolerance);
        // float32 rounds s_ij to about 6e-8·|s_ij|; where the gradient vanishes (D = 1) that
        // rounding is all there is (see gradientFloor)
        assertRelative(
                reference.gradient(),
                fused.gradient(),
                1e-4 + 3e-6 * largest(s),
                1e-3 + gradientFloor(1e-2, tau, z),
                "float32 gradient");
    }

    @Property(tries = 20)
    void finiteDifferencesAgreeForEveryBlockSize(
            @ForAll long seed,
            @ForAll @IntRange(min = 0, max = 3) int lossChoice,
            @ForAll @IntRange(min = 0, max = 2) int blockChoice) {
        Random random = new Random(seed);
        int block = BLOCKS[blockChoice];
        float tau = 0.3f;
        if (lossChoice == 3) {
            double[][] z = LossTesting.gaussian(random, 9, 3, 1);
            LossTesting.Evaluation fused = evaluate(ntXent(tau, 3, true, block), null, z, DataType.FLOAT64);
            double[][] numeric =
                    ReferenceLosses.numericGradient(x -> ReferenceLosses.ntXent(x, 3, tau), z, 1e-4);
            assertRelative(numeric, fused.gradient(), 1e-6, "NT-Xent vs finite differences");
        } else {
            String name = LABELED[lossChoice];
            double[][] z = LossTesting.gaussian(random, 11, 4, 1);
            long[] y = {0, 1, 2, 0, 1, 2, 0, 1, 3, 3, 4}; // row 10 has no positive
            LossTesting.Evaluation fused = evaluate(labeledLoss(name, tau, true, block), y, z, DataType.FLOAT64);
            double[][] numeric =
                    ReferenceLosses.numericGradient(x -> labeledReference(name, x, y, tau), z, 1e-4);
            assertRelative(numeric, fused.gradient(), 1e-6, name + " vs finite differences");
        }
    }

    @Property(tries = 24)
    void stableAtLowTemperatureWithHugeEmbeddingsInFloat32(
            @ForAll long seed,
            @ForAll @IntRange(min = 0, max = 3) int lossChoice,
            @ForAll @IntRange(min = 2, max = 64) int rows,
            @ForAll @IntRange(min = 1, max = 16) int dim,
            @ForAll @IntRange(min = 0, max = 2) int blockChoice) {
        Random random = new Random(seed);
        int block = BLOCKS[blockChoice];
        LossTesting.Evaluation result;
        if (lossChoice == 3) {
            double[][] z = LossTesting.gaussian(random, 2 * Math.max(1, rows / 2), dim, 1e4 / 3);
            result = evaluate(ntXent(0.01f, 2, true, block), null, z, DataType.FLOAT32);
        } else {
            double[][] z = LossTesting.gaussian(random, rows, dim, 1e4 / 3);
            long[] y = LossTesting.labels(random, rows, 3);
            Assume.that(LossTesting.hasPositive(y));
            result = evaluate(labeledLoss(LABELED[lossChoice], 0.01f, true, block), y, z, DataType.FLOAT32);
        }
        assertTrue(Double.isFinite(result.value()), "loss " + result.value());
        assertTrue(LossTesting.allFinite(result.gradient()), "gradient has NaN or Inf");
    }

    /**
     * The bounded cosine path (no shift, {@code 1/τ ≤ 30}) and the general one (row-maximum shift,
     * clamped exp) give the same value and gradient in float64, for every cosine loss and block
     * size; both are what users get, on either side of τ = 1/30.
     */
    @Property(tries = 60)
    void boundedAndGeneralPathsAgreeInFloat64(
            @ForAll long seed,
            @ForAll @IntRange(min = 0, max = 2) int lossChoice,
            @ForAll @IntRange(min = 2, max = 60) int rows,
            @ForAll @IntRange(min = 1, max = 16) int dim,
            @ForAll @IntRange(min = 1, max = 6) int classes,
            @ForAll @FloatRange(min = 0.034f, max = 2f) @Scale(3) float tau,
            @ForAll @IntRange(min = 0, max = 2) int blockChoice) {
        Random random = new Random(seed);
        int block = BLOCKS[blockChoice];
        int views = 2;
        int images = Math.max(1, rows / views);
        double[][] z = LossTesting.gaussian(random, lossChoice == 0 ? images * views : rows, dim, 1);
        long[] y = LossTesting.labels(random, z.length, classes);
        Assume.that(lossChoice == 0 || LossTesting.hasPositive(y));
        assertTrue(FusedContrastiveCore.bounded(Similarity.COSINE, tau, z.length));
        LossTesting.Evaluation[] results = new LossTesting.Evaluation[2];
        for (int path = 0; path < 2; path++) {
            boolean allowBounded = path == 0;
            results[path] =
                    LossTesting.evaluate(
                            predictions -> {
                                NDArray embeddings = predictions.singletonOrThrow();
                                NDManager manager = embeddings.getManager();
                                if (lossChoice == 0) {
                                    return FusedContrastiveCore.ntXent(
                                            embeddings, views, tau, true, block, allowBounded);
                                }
                                return FusedContrastiveCore.labeled(
                                        embeddings,
                                        manager.create(y),
                                        Similarity.COSINE,
                                        lossChoice == 1
                                                ? PositiveAggregation.INSIDE_LOG
                                                : PositiveAggregation.OUTSIDE_LOG,
                                        tau,
                                        true,
                                        block,
                                        allowBounded,
                                        FusedContrastiveCore.PositiveLayout.AUTOMATIC);
                            },
                            z,
                            DataType.FLOAT64);
        }
        String what = "loss " + lossChoice + ", M = " + z.length + ", τ = " + tau + ", block " + block;
        assertRelative(results[1].value(), results[0].value(), 1e-10, what);
        assertRelative(
                results[1].gradient(),
                results[0].gradient(),
                1e-10,
                gradientFloor(1e-4, tau, z),
                what + " gradient");
    }

    /**
     * A labeled loss evaluated through {@link FusedContrastiveCore#labeled} with its positives'
     * layout forced.
     */
    static LossTesting.Evaluation labeledWithLayout(
            String name,
            long[] y,
            double[][] z,
            float tau,
            int block,
            FusedContrastiveCore.PositiveLayout layout,
            DataType type) {
        Similarity similarity =
                name.equals("NCA") ? Similarity.NEGATIVE_SQUARED_EUCLIDEAN : Similarity.COSINE;
        PositiveAggregation aggregation =
                name.equals("SupCon") ? PositiveAggregation.OUTSIDE_LOG : PositiveAggregation.INSIDE_LOG;
        return LossTesting.evaluate(
                predictions -> {
                    NDArray embeddings = predictions.singletonOrThrow();
                    return FusedContrastiveCore.labeled(
                            embeddings,
                            embeddings.getManager().create(y),
                            similarity,
                            aggregation,
                            tau,
                            true,
                            block,
                            true,
                            layout);
                },
                z,
                type);
    }

    /**
     * The gathered positives ({@code B × K}) and the masked ones ({@code B × M}) give the same
     * value and gradient in float64 for every labeled loss, block size and class layout
     * (singletons, ragged classes, one class), on both cosine paths (τ from 0.02, below and
     * above 1/30); the gathered value also equals the double-loop reference.
     */
    @Property(tries = 100)
    void gatheredAndMaskedPositivesAgreeInFloat64(
            @ForAll long seed,
            @ForAll @IntRange(min = 0, max = 2) int lossChoice,
            @ForAll @IntRange(min = 2, max = 70) int rows,
            @ForAll @IntRange(min = 1, max = 16) int dim,
            @ForAll @IntRange(min = 1, max = 24) int classes,
            @ForAll @FloatRange(min = 0.02f, max = 2f) float tau,
            @ForAll @IntRange(min = 0, max = 2) int blockChoice) {
        Random random = new Random(seed);
        double[][] z = LossTesting.gaussian(random, rows, dim, 1);
        long[] y = LossTesting.labels(random, rows, classes);
        Assume.that(LossTesting.hasPositive(y));
        String name = LABELED[lossChoice];
        int block = BLOCKS[blockChoice];
        LossTesting.Evaluation gathered =
                labeledWithLayout(
                        name, y, z, tau, block, FusedContrastiveCore.PositiveLayout.GATHER, DataType.FLOAT64);
        LossTesting.Evaluation masked =
                labeledWithLayout(
                        name, y, z, tau, block, FusedContrastiveCore.PositiveLayout.MASK, DataType.FLOAT64);
        String what = name + ", M = " + rows + ", U ≤ " + classes + ", τ = " + tau + ", block " + block;
        assertRelative(labeledReference(name, z, y, tau), gathered.value(), 1e-10, what + " vs reference");
        assertRelative(masked.value(), gathered.value(), 1e-10, what + " vs masked");
        assertRelative(
                masked.gradient(), gathered.gradient(), 1e-10, gradientFloor(1e-4, tau, z), what + " gradient");
    }

    /** The gathered positives stay finite at τ = 0.01 with embeddings of norm ~1e4 in float32. */
    @Property(tries = 24)
    void gatheredPositivesAreStableAtLowTemperatureInFloat32(
            @ForAll long seed,
            @ForAll @IntRange(min = 0, max = 2) int lossChoice,
            @ForAll @IntRange(min = 2, max = 64) int rows,
            @ForAll @IntRange(min = 1, max = 16) int dim,
            @ForAll @IntRange(min = 0, max = 2) int blockChoice) {
        Random random = new Random(seed);
        double[][] z = LossTesting.gaussian(random, rows, dim, 1e4 / 3);
        long[] y = LossTesting.labels(random, rows, 6);
        Assume.that(LossTesting.hasPositive(y));
        LossTesting.Evaluation result =
                labeledWithLayout(
                        LABELED[lossChoice],
                        y,
                        z,
                        0.01f,
                        BLOCKS[blockChoice],
                        FusedContrastiveCore.PositiveLayout.GATHER,
                        DataType.FLOAT32);
        assertTrue(Double.isFinite(result.value()), "loss " + result.value());
        assertTrue(LossTesting.allFinite(result.gradient()), "gradient has NaN or Inf");
    }

    @Example
    void labeledLossesGatherFrom1024RowsWhenTheWidestClassIsAtMostASixteenth() {
        FusedContrastiveCore.PositiveLayout automatic = FusedContrastiveCore.PositiveLayout.AUTOMATIC;
        assertTrue(FusedContrastiveCore.gathers(automatic, 4, 4096)); // the benchmark's classes of 4
        assertTrue(FusedContrastiveCore.gathers(automatic, 256, 4096));
        assertFalse(FusedContrastiveCore.gathers(automatic, 257, 4096));
        assertTrue(FusedContrastiveCore.gathers(automatic, 64, 1024));
        assertFalse(FusedContrastiveCore.gathers(automatic, 4, 1023)); // too few rows
        assertFalse(FusedContrastiveCore.gathers(automatic, 8, 80)); // SuNCEt's support, 10 × 8
        assertFalse(FusedContrastiveCore.gathers(FusedContrastiveCore.PositiveLayout.MASK, 1, 4096));
        assertTrue(FusedContrastiveCore.gathers(FusedContrastiveCore.PositiveLayout.GATHER, 80, 80));
    }

    @Example
    void onlyCosineAtModerateTemperaturesTakesTheBoundedPath() {
        assertTrue(FusedContrastiveCore.bounded(Similarity.COSINE, 0.1f, 4096));
        assertTrue(FusedContrastiveCore.bounded(Similarity.COSINE, 1f / 30, 4096));
        assertFalse(FusedContrastiveCore.bounded(Similarity.COSINE, 0.033f, 4096));
        assertFalse(FusedContrastiveCore.bounded(Similarity.COSINE, 0.01f, 4096));
        assertFalse(FusedContrastiveCore.bounded(Similarity.COSINE, 0.1f, 1L << 24));
        assertFalse(FusedContrastiveCore.bounded(Similarity.NEGATIVE_SQUARED_EUCLIDEAN, 1f, 4096));
    }

    /**
     * Class ids far beyond float32's exact integers still give the right positives: the mask is
     * built from ids renumbered 0..U − 1, so 2^24 and 2^24 + 1 stay two classes.
     */
    @Example
    void hugeClassIdsAreNotMergedByFloat32() {
        long big = 1L << 24;
        long[] y = {big, big + 1, big, big + 1, 7, 7};
        double[][] z = LossTesting.gaussian(new Random(3), y.length, 5, 1);
        for (String name : LABELED) {
            LossTesting.Evaluation fused = evaluate(labeledLoss(name, 0.5f, true, 0), y, z, DataType.FLOAT32);
            assertRelative(labeledReference(name, z, y, 0.5f), fused.value(), 1e-5, name);
        }
    }

    /**
     * The tiled symmetric product equals the plain one for both similarities' operands (cosine:
     * {@code ẑ/τ · ẑᵀ}; NCA: {@code [2z, −1, −‖z‖²]/τ · [z, ‖z‖², 1]ᵀ}), for every tile size,
     * including tiles that do not divide M and a tile as large as M.
     */
    @Property(tries = 60)
    void symmetricProductEqualsThePlainProduct(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 40) int rows,
            @ForAll @IntRange(min = 1, max = 8) int dim,
            @ForAll @IntRange(min = 1, max = 42) int tile,
            @ForAll boolean nca) {
        double[][] z = LossTesting.gaussian(new Random(seed), rows, dim, 1);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = LossTesting.matrix(manager, z, DataType.FLOAT64);
            NDArray left;
            NDArray right;
            if (nca) {
                NDArray norms = x.square().sum(new int[] {1}, true);
                NDArray ones = norms.onesLike();
                left = NDArrays.concat(new NDList(x.add(x), ones.neg(), norms.neg()), 1).div(0.5);
                right = NDArrays.concat(new NDList(x, norms, ones), 1);
            } else {
                right = x.div(x.norm(new int[] {1}, true));
                left = right.div(0.3);
            }
            double[][] expected = LossTesting.toMatrix(left.matMul(right.transpose()));
            double[][] tiled =
                    LossTesting.toMatrix(FusedContrastiveCore.symmetricProduct(left, right, tile));
            assertRelative(
                    expected, tiled, 1e-13, "M = " + rows + ", D = " + dim + ", tile " + tile);
        }
    }

    /**
     * From {@value FusedContrastiveCore#SYMMETRIZE_COPY_MIN_ROWS} rows on, the CPU adds a
     * contiguous transposed copy of {@code g} to {@code g} in place instead of the strided {@code
     * g + gᵀ}. Every element is the same IEEE sum {@code g_ij + g_ji} (addition commutes exactly),
     * so {@code g} then holds the strided sum bit for bit on any CPU, at every D' and for ragged
     * sizes; the result is the product of that very array with {@code right} (compared with a
     * second product of the same buffers on the same route, {@link MatrixProducts#times}, which a
     * BLAS or oneDNN computes identically at equal alignment and thread count). Below, one plain product of the strided sum, compared with a product of
     * another buffer holding it: a BLAS may order a row's products differently there, and a dot
     * product of K ≤ 1023 random-signed Gaussian terms has a relative rounding error of about
     * {@code u·√K} for any order, so two orders differ by about {@code √2·u·√K} in the Frobenius
     * norm: 2.7e-6 in float32 (u = 6e-8) and 5e-15 in float64 (u = 1.1e-16), within 1e-5 and
     * 1e-13 with margins of 4× and 20× on any CPU.
     */
    @Example
    void symmetrizedProductIsThePlainSumsProduct() {
        Random random = new Random(37);
        for (int rows : new int[] {1023, 1024, 1031, 2048}) {
            double[][] g = LossTesting.gaussian(random, rows, rows, 1);
            for (int dim : new int[] {3, 130, (int) FusedContrastiveCore.SINGLE_BLOCK_MIN_DIM}) {
                double[][] r = LossTesting.gaussian(random, rows, dim, 1);
                for (DataType type : new DataType[] {DataType.FLOAT64, DataType.FLOAT32}) {
                    try (NDManager manager = NDManager.newBaseManager()) {
                        NDArray weights = LossTesting.matrix(manager, g, type);
                        NDArray right = LossTesting.matrix(manager, r, type);
                        NDArray sum = weights.add(weights.transpose());
                        NDArray actual = FusedContrastiveCore.symmetrizedProduct(weights, right);
                        String what = "M = " + rows + ", D' = " + dim + ", " + type;
                        assertEquals(new Shape(rows, dim), actual.getShape(), what);
                        if (rows >= FusedContrastiveCore.SYMMETRIZE_COPY_MIN_ROWS) {
                            assertTrue(sum.contentEquals(weights), "g + gᵀ in place, " + what);
                            assertTrue(MatrixProducts.times(weights, right).contentEquals(actual), what);
                        } else {
                            assertRelative(
                                    LossTesting.toMatrix(sum.matMul(right)),
                                    LossTesting.toMatrix(actual),
                                    type == DataType.FLOAT64 ? 1e-13 : 1e-5,
                                    what);
                        }
                    }
                }
            }
        }
    }

    /**
     * From D = 512 on a single block computes its similarities by symmetric tiles (two a side at
     * M = 1100); value and gradient equal those of 256-row blocks, which use plain products.
     */
    @Example
    void tiledSingleBlockEqualsRowBlocksAtLargeDim() {
        assertEquals(2, FusedContrastiveCore.symmetricTiles(1100, 512));
        assertEquals(1, FusedContrastiveCore.symmetricTiles(1100, 511));
        assertEquals(1, FusedContrastiveCore.symmetricTiles(1023, 2048));
        assertEquals(2, FusedContrastiveCore.symmetricTiles(1024, 2048)); // 512-row tiles
        assertEquals(4, FusedContrastiveCore.symmetricTiles(4096, 2048));
        assertEquals(5, FusedContrastiveCore.symmetricTiles(4097, 2048));
        assertEquals(1100, FusedContrastiveCore.rowBlock(1100, 512, 8, 0));
        Random random = new Random(29);
        double[][] z = LossTesting.gaussian(random, 1100, 512, 1);
        long[] y = LossTesting.labels(random, 1100, 40);
        for (String name : LABELED) {
            LossTesting.Evaluation tiled =
                    evaluate(labeledLoss(name, 0.1f, true, 0), y, z, DataType.FLOAT64);
            LossTesting.Evaluation blocked =
                    evaluate(labeledLoss(name, 0.1f, true, 256), y, z, DataType.FLOAT64);
            assertRelative(blocked.value(), tiled.value(), 1e-10, name);
            assertRelative(blocked.gradient(), tiled.gradient(), 1e-10, name + " gradient");
        }
        LossTesting.Evaluation tiled = evaluate(ntXent(0.1f, 2, true, 0), null, z, DataType.FLOAT64);
        LossTesting.Evaluation blocked =
                evaluate(ntXent(0.1f, 2, true, 256), null, z, DataType.FLOAT64);
        assertRelative(blocked.value(), tiled.value(), 1e-10, "NT-Xent");
        assertRelative(blocked.gradient(), tiled.gradient(), 1e-10, "NT-Xent gradient");
    }

    /** Outside a gradient collector only the loss is computed; it is the same value. */
    @Example
    void withoutGradientRecordingTheValueIsTheSame() {
        Random random = new Random(17);
        double[][] z = LossTesting.gaussian(random, 12, 5, 1);
        long[] y = {0, 1, 2, 0, 1, 2, 0, 1, 2, 5, 5, 6};
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray predictions = LossTesting.matrix(manager, z, DataType.FLOAT64);
            predictions.setRequiresGradient(true); // a leaf asking for a gradient, nothing records
            assertFalse(FusedContrastiveCore.recordsGradient(predictions));
            NDList labels = new NDList(manager.create(y));
            for (String name : LABELED) {
                double value =
                        LossTesting.scalar(labeledLoss(name, 0.4f, true, 5).evaluate(labels, new NDList(predictions)));
                assertRelative(labeledReference(name, z, y, 0.4f), value, 1e-12, name);
            }
            double value = LossTesting.scalar(ntXent(0.4f, 3, true, 5).evaluate(null, new NDList(predictions)));
            assertRelative(ReferenceLosses.ntXent(z, 3, 0.4f), value, 1e-12, "NT-Xent");
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                assertTrue(FusedContrastiveCore.recordsGradient(predictions));
            }
        }
    }

    /**
     * The count of open arrays after 100 forward + backward passes equals that after 1. Each step
     * runs in its own sub-manager, as a training step does: DJL's {@code backward} leaves a ones
     * array of the loss's shape in the loss's manager.
     */
    @Example
    void nativeMemoryStaysFlat() {
        Loss[] losses = {
            ntXent(0.2f, 2, true, 3),
            labeledLoss("SuNCEt", 0.2f, true, 3),
            labeledLoss("SupCon", 0.2f, true, 0),
            labeledLoss("NCA", 0.7f, true, 4)
        };
        for (Loss loss : losses) {
            try (NDManager manager = NDManager.newBaseManager()) {
                NDArray z = manager.randomNormal(new Shape(10, 4));
                z.setRequiresGradient(true);
                NDList labels = new NDList(manager.create(new long[] {0, 1, 2, 3, 4, 0, 1, 2, 3, 4}));
                int afterOne = -1;
                for (int step = 1; step <= 100; step++) {
                    try (NDManager stepManager = manager.newSubManager();
                            GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        NDArray value = loss.evaluate(labels, new NDList(z));
                        value.attach(stepManager);
                        collector.backward(value);
                    }
                    if (step == 1) {
                        afterOne = manager.getManagedArrays().size();
                    }
                }
                assertEquals(afterOne, manager.getManagedArrays().size(), loss.getName());
            }
        }
    }

    @Example
    void halfPrecisionIsComputedInFloat32AndReturnedInHalf() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray half = manager.randomNormal(new Shape(8, 4)).toType(DataType.FLOAT16, false);
            NDList labels = new NDList(manager.create(new long[] {0, 1, 0, 1, 2, 2, 3, 3}));
            Loss[] losses = {ntXent(0.5f, 2, true, 3), labeledLoss("NCA", 1f, true, 3)};
            for (Loss loss : losses) {
                NDArray value = loss.evaluate(labels, new NDList(half));
                assertEquals(DataType.FLOAT16, value.getDataType());
                double expected =
                        LossTesting.scalar(
                                loss.evaluate(labels, new NDList(half.toType(DataType.FLOAT32, false))));
                assertRelative(expected, LossTesting.scalar(value), 1e-3, loss.getName() + " in float16");
            }
        }
    }

    @Example
    void theDefaultIsFusedWithAutomaticBlocksAndBadBlocksAreRejected() {
        NtXentLoss loss = NtXentLoss.builder().build();
        assertTrue(loss.isFused());
        assertEquals(0, loss.getRowBlock());
        assertFalse(SupConLoss.builder().optFused(false).build().isFused());
        assertEquals(7, NcaLoss.builder().optRowBlock(7).build().getRowBlock());
        assertMessage("rowBlock", () -> NtXentLoss.builder().optRowBlock(-1).build());
        assertMessage("rowBlock", () -> SuNCEtLoss.builder().optRowBlock(-3).build());
        assertMessage("rowBlock", () -> FusedContrastiveCore.rowBlock(10, 128, 4, -1));
    }

    /**
     * The largest temporary of the fused path is one {@code B × M} block: below D = 512 the chooser
     * keeps it near 16 MiB (at least 64 rows, at most M) for every M up to 2N = 32768 and beyond,
     * so 32768 rows of float32 use 16 MiB blocks instead of a 4 GiB matrix; from D = 512 on it
     * takes one block while that block is at most 256 MiB.
     */
    @Example
    void automaticBlocksAreBoundedAndCoverEveryRow() {
        assertEquals(256, FusedContrastiveCore.rowBlock(256, 128, 4, 0)); // one block, 256 KiB
        assertEquals(1024, FusedContrastiveCore.rowBlock(1024, 128, 4, 0)); // one block, 4 MiB
        assertEquals(1024, FusedContrastiveCore.rowBlock(4096, 128, 4, 0)); // 16 MiB
        assertEquals(512, FusedContrastiveCore.rowBlock(8192, 128, 4, 0)); // 16 MiB
        assertEquals(128, FusedContrastiveCore.rowBlock(32768, 128, 4, 0)); // 16 MiB
        assertEquals(512, FusedContrastiveCore.rowBlock(4096, 128, 8, 0)); // float64: 16 MiB
        assertEquals(1024, FusedContrastiveCore.rowBlock(4096, 511, 4, 0));
        assertEquals(4096, FusedContrastiveCore.rowBlock(4096, 512, 4, 0)); // one block, 64 MiB
        assertEquals(8192, FusedContrastiveCore.rowBlock(8192, 2048, 4, 0)); // one block, 256 MiB
        assertEquals(511, FusedContrastiveCore.rowBlock(8193, 2048, 4, 0)); // over 256 MiB
        assertEquals(256, FusedContrastiveCore.rowBlock(8192, 2048, 8, 0)); // float64: 512 MiB
        assertEquals(2, FusedContrastiveCore.rowBlock(2, 128, 4, 0));
        assertEquals(3, FusedContrastiveCore.rowBlock(70, 128, 8, 3));
        assertEquals(70, FusedContrastiveCore.rowBlock(70, 4096, 8, 1000));
        for (long rows = 1; rows <= 1L << 20; rows = rows * 3 / 2 + 1) {
            for (int bytes : new int[] {4, 8}) {
                for (long dim : new long[] {1, 128, 511, 512, 2048}) {
                    int block = FusedContrastiveCore.rowBlock(rows, dim, bytes, 0);
                    assertTrue(block >= 1 && block <= rows, "B = " + block + " for M = " + rows);
                    long blockBytes = block * rows * bytes;
                    long blocked =
                            Math.max(FusedContrastiveCore.TARGET_BLOCK_BYTES, 64 * rows * bytes);
                    long bound =
                            dim >= FusedContrastiveCore.SINGLE_BLOCK_MIN_DIM
                                    ? Math.max(FusedContrastiveCore.SINGLE_BLOCK_MAX_BYTES, blocked)
                                    : blocked;
                    assertTrue(
                            blockBytes <= bound,
                            "block of " + blockBytes + " bytes at M = " + rows + ", D = " + dim);
                    if (rows >= 16384) {
                        assertTrue(block <= rows / 32, "no M × M matrix at M = " + rows);
                    }
                }
            }
        }
    }
}
