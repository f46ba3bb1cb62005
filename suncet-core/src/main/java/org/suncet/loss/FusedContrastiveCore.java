package org.suncet.loss;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import org.suncet.ndarray.MatrixProducts;
import org.suncet.ndarray.Scalars;

/**
 * The losses of {@link ContrastiveCore} and their gradient, computed together in one pass over
 * blocks of rows, without ever holding the {@code M × M} similarity matrix.
 *
 * <p>With {@code s} the similarities (already divided by τ), {@code p_ij} the softmax of row
 * {@code i} over {@code A(i)} and, for {@link PositiveAggregation#INSIDE_LOG}, {@code q_ij} its
 * softmax over {@code P(i)}, the derivative of {@code L = Σ_i valid_i ℓ_i / V} is
 *
 * <pre>
 *   G_ij = dL/ds_ij = valid_i · (p_ij − t_ij) / V,   G_ii = 0 (up to e^−60, see clampedExp)
 *   t_ij = [j ∈ P(i)] / |P(i)|   (OUTSIDE_LOG)        t_ij = q_ij   (INSIDE_LOG)
 *   cosine:  dL/dẑ = (G + Gᵀ) ẑ / τ
 *   NCA:     dL/dz = (2/τ) [ (G + Gᵀ) z − z ⊙ ((G + Gᵀ) 1) ]
 * </pre>
 *
 * <p>(NCA: {@code s_ij = −||z_i − z_j||²/τ}, so {@code ∂s_ij/∂z_i = −2(z_i − z_j)/τ} and {@code
 * ∂s_ij/∂z_j = 2(z_i − z_j)/τ}; summing gives the line above. Every row of {@code G} sums to 0,
 * so {@code (G + Gᵀ) 1 = Gᵀ 1}, the column sums of {@code G}, one reduction per block.) For each
 * block {@code R} of {@code B} rows this computes {@code s_R} ({@code B × M}, one matrix
 * product), excludes the block's diagonal entries, takes the log-sum-exp over {@code A(i)} (and for
 * INSIDE_LOG over {@code P(i)}), then the loss terms and {@code G_R}, and adds {@code G_R ẑ} to
 * the rows {@code R} and {@code G_Rᵀ ẑ_R} to all rows of the gradient (two more matrix products;
 * one product of {@code G + Gᵀ} when a single block covers every row, whose {@code s} is then,
 * from D = 512 and M = 1024 on, multiplied only on and below the diagonal by tiles: {@link
 * #symmetricProduct}). Two paths compute the log-sum-exps: the <em>bounded</em> one (cosine,
 * {@code 1/τ ≤ 30}: {@code |s_ij| ≤ 1/τ}, so {@code exp(s_ij)} needs no shift, and the diagonal
 * is zeroed after the exp; NT-Xent's probabilities there are one {@code softmax} of the rows with
 * the diagonal set to {@value ContrastiveCore#EXCLUDED}) and the <em>general</em> one (NCA, or
 * smaller τ: the diagonal set to {@value ContrastiveCore#EXCLUDED}, each log-sum-exp shifted by
 * the maximum over its own set as in {@link ContrastiveCore}, every exp argument clamped at −60),
 * so that τ = 0.01 with |z| = 1e4 stays finite in float32. Every temporary of a block is closed
 * before the next; the largest is {@code B × M}. All of it runs on arrays detached from autograd,
 * on the input's device, in float32 or float64 (half precision in float32). The matrix products go
 * through {@link MatrixProducts}: {@code matMul}, or on an AMD CPU of family 26+ with AVX-512
 * oneDNN's 1×1 convolution, where libtorch's oneMKL runs only its AVX2 kernels.
 *
 * <p>DJL has no custom backward, so the result is hooked into autograd with a surrogate: with
 * {@code g = dL/dz} (cosine: the gradient above taken through the normalisation's Jacobian by
 * {@link UnitRows}; NCA: the gradient above), the result is {@code (z · g) − stopGradient(z · g) +
 * L}: exactly {@code L} in value, {@code g} in gradient. Its gradient is
 * not itself differentiable: higher-order gradients need {@link ContrastiveCore}. When gradient
 * recording is off (outside a {@code GradientCollector} on the engine's first thread), only the
 * loss is computed.
 *
 * <p>NT-Xent's positives are structural (row {@code i} is image {@code i mod N}, view-major), so no
 * {@code B × M} mask is built: the positive entries of a block are one or two strided runs per
 * other view (read for the loss, and {@code 1/(V − 1)} subtracted from {@code p} there in place;
 * the general path gathers them from {@code s_R}). Labeled losses with M ≥ 1024 rows whose widest
 * class has K ≤ M/16 rows gather them too: each row's class members are K columns ({@code [M, K]}, built once from
 * the rows sorted by class), the positives' terms are {@code B × K} gathers and {@code G} is
 * rewritten there in place ({@link PositiveLayout}); otherwise each block builds its {@code B ×
 * M} positive mask from the class ids renumbered {@code 0..U − 1}: {@code 1 − sign((u_i −
 * u_j)²)}.
 */
final class FusedContrastiveCore {

    /**
     * The target size of one block, {@code B × M} elements: half of 32 MiB, the mmap threshold
     * older glibc releases cap (and {@link org.suncet.ndarray.MallocTuning}'s fallback), so that
     * a block's temporaries are reused from the heap across blocks and
     * steps instead of being mapped afresh and faulted in, and large enough that the block's three
     * matrix products run at full rate. Measured (AMD EPYC, 1 thread, D = 128): at 2N = 8192,
     * 512-row blocks (16 MiB) took 729–848 ms a forward + backward against 1,130–1,150 for 64-row
     * (2 MiB) and 851–1,291 for 1024-row (32 MiB, mapped afresh) blocks; at 2N = 4096, 1024 rows
     * 183 ms against 206 for 128.
     */
    static final long TARGET_BLOCK_BYTES = 16L << 20;

    /**
     * The smallest embedding dimension at which one block covers every row (up to {@link
     * #SINGLE_BLOCK_MAX_BYTES}): a single block computes the gradient as one product of {@code G
     * + Gᵀ} (two {@code M × M × D} products in all, against three for several blocks), which pays
     * for its {@code M × M} element-wise passes out of cache once D is large. Measured (AMD EPYC,
     * 1 thread, NT-Xent, 2N = 4096): D = 128 one block 340 ms, 1024-row blocks 183; D = 512 607
     * against 691; D = 2048 1,919 against 2,448.
     */
    static final long SINGLE_BLOCK_MIN_DIM = 512;

    /**
     * The largest {@code M × M} block that {@link #SINGLE_BLOCK_MIN_DIM} allows: 256 MiB (M =
     * 8192 in float32), a few of which are alive at once. Measured at 2N = 8192, D = 2048 (AMD
     * EPYC, 1 thread): one forward + backward peaked at 1.3 GiB (NT-Xent) and 3.0 GiB (NCA) for
     * the whole JVM, against 1.3 and 4.1 GiB for PyTorch eager autograd on the same call.
     */
    static final long SINGLE_BLOCK_MAX_BYTES = 256L << 20;

    /**
     * The most rows of one tile of a single block's symmetric similarity product (see {@link
     * #symmetricTiles}): large enough that each tile's product runs at the full GEMM rate with 2
     * threads (512-row tiles were 20–30 % slower at 2N = 4096 with 2 threads).
     */
    static final int SYMMETRIC_TILE_ROWS = 1024;

    /**
     * Returns the tiles a side of a single block's symmetric similarity product ({@link
     * #symmetricProduct}): from D = {@value #SINGLE_BLOCK_MIN_DIM} on and M ≥ 1024, {@code max(2,
     * ⌈M / 1024⌉)} (tiles of 512 to 1024 rows); else 1, one plain product (below that D, or
     * with smaller tiles, the copies cost more than the saved flops). Measured (AMD EPYC, D =
     * 2048, NT-Xent): 2N = 1024 two tiles 110 ms against 121 plain (1 thread); 2N = 4096 four
     * tiles 1,705 against 1,967 plain (1 thread) and 894 against 1,232 (2 threads).
     *
     * @param rows M
     * @param dim the products' inner dimension
     * @return k ≥ 1
     */
    static int symmetricTiles(long rows, long dim) {
        if (dim < SINGLE_BLOCK_MIN_DIM || rows < SYMMETRIC_TILE_ROWS) {
            return 1;
        }
        return (int) Math.max(2, (rows + SYMMETRIC_TILE_ROWS - 1) / SYMMETRIC_TILE_ROWS);
    }

    /**
     * The smallest automatic block: each block adds {@code G_Rᵀ ẑ_R} to an {@code M × D}
     * accumulator, an {@code O(M·D)} memory pass whose cost per row falls as {@code 1/B}; below
     * 64 rows it outweighs the cache gain at large {@code M} (measured at 2N = 32768, D = 128).
     */
    static final int MIN_AUTOMATIC_BLOCK = 64;

    /** The floor of the arguments of exp: see {@code clampedExp}. */
    static final double EXP_FLOOR = -60;

    /**
     * The largest {@code 1/τ} of the bounded cosine path: there {@code |s_ij| ≤ 1/τ ≤ 30}, so
     * {@code exp(s_ij)} lies in {@code [e^−30, e^30]} and needs no shift (see {@code Kernel}).
     */
    static final double BOUNDED_MAX_INVERSE_TEMPERATURE = 30;

    /**
     * The row count below which the bounded path is allowed: {@code p_ij ≥ e^−2/τ / M ≥ e^−60 /
     * 2^24 ≈ e^−76.6} stays a normal float32, and dense class ids up to M are exact in float32.
     */
    static final long BOUNDED_MAX_ROWS = 1L << 24;

    private FusedContrastiveCore() {}

    /**
     * Returns the number of rows per block.
     *
     * <p>Automatic ({@code requested = 0}): {@code B = M} (one block) when {@code D ≥ 512} and
     * {@code M² · bytes ≤ 256 MiB}; otherwise {@code B = clamp(TARGET_BLOCK_BYTES / (M · bytes),
     * 64, M)}, so a {@code B × M} block is about 16 MiB (one block for M ≤ 2048 in float32; 1024
     * rows at M = 4096; 512 at M = 8192; 128 at M = 32768). A positive request is used as given,
     * capped at M.
     *
     * @param rows M, the number of embeddings
     * @param dim D, the width of the rows the products contract over
     * @param elementBytes bytes per element of the compute dtype (4 or 8)
     * @param requested the requested block rows, 0 for automatic
     * @return B, between 1 and M
     * @throws IllegalArgumentException if {@code requested} is negative
     */
    static int rowBlock(long rows, long dim, int elementBytes, int requested) {
        if (requested < 0) {
            throw new IllegalArgumentException(
                    "rowBlock must be >= 0 (0 = automatic), got " + requested);
        }
        if (rows < 1) {
            throw new IllegalArgumentException("rows must be >= 1, got " + rows);
        }
        long block;
        if (requested > 0) {
            block = requested;
        } else if (dim >= SINGLE_BLOCK_MIN_DIM
                && rows <= SINGLE_BLOCK_MAX_BYTES / rows / elementBytes) {
            block = rows;
        } else {
            block = Math.max(MIN_AUTOMATIC_BLOCK, TARGET_BLOCK_BYTES / (rows * elementBytes));
        }
        return (int) Math.min(block, rows);
    }

    /**
     * Returns {@code left · rightᵀ} ({@code [M, M]}) for operands whose product is symmetric
     * ({@code s_ij = s_ji}, as both similarities are), multiplying only the tiles of {@code tile}
     * rows on and below the diagonal and writing each one above as the transpose of its mirror:
     * with k tiles a side, {@code (k + 1)/(2k)} of the product's flops (5/8 at M = 4096 with
     * 1024-row tiles, 3/4 at M = 1024 with 512-row tiles) for two copies of the matrix. The result
     * equals the plain product up to rounding, and is exactly symmetric off the diagonal tiles.
     *
     * @param left {@code [M, D']}
     * @param right {@code [M, D']}
     * @param tile rows per tile, ≥ 1
     * @return {@code s}, a new array on left's device and manager
     */
    static NDArray symmetricProduct(NDArray left, NDArray right, int tile) {
        int rows = Math.toIntExact(left.getShape().get(0));
        NDArray s =
                left.getManager()
                        .create(new Shape(rows, rows), left.getDataType(), left.getDevice());
        for (int rowStart = 0; rowStart < rows; rowStart += tile) {
            int rowEnd = Math.min(rowStart + tile, rows);
            NDArray leftRows = left.get(new NDIndex().addSliceDim(rowStart, rowEnd));
            for (int columnStart = 0; columnStart <= rowStart; columnStart += tile) {
                int columnEnd = Math.min(columnStart + tile, rows);
                try (NDScope tileScope = new NDScope()) {
                    tileScope.suppressNotUsedWarning();
                    NDArray product =
                            MatrixProducts.timesTransposed(
                                    leftRows, right.get(new NDIndex().addSliceDim(columnStart, columnEnd)));
                    s.set(tileIndex(rowStart, rowEnd, columnStart, columnEnd), product);
                    if (columnStart != rowStart) {
                        s.set(
                                tileIndex(columnStart, columnEnd, rowStart, rowEnd),
                                product.transpose());
                    }
                }
            }
            leftRows.close();
        }
        return s;
    }

    /**
     * The fewest rows of a single block's {@code G} from which {@link #symmetrizedProduct} adds a
     * contiguous transposed copy instead of the strided transpose: below, a row of {@code G} is
     * under a page, and at M = 512 and 768 (D = 128, AMD EPYC family 26) the two took the same
     * time (1.38 against 1.39 ms, 2.91 against 3.02 with 1 thread).
     */
    static final int SYMMETRIZE_COPY_MIN_ROWS = 1024;

    /**
     * Returns {@code (g + gᵀ) · right} for a square {@code g} ({@code [M, M]}), the gradient
     * product of a single block. {@code g.add(g.transpose())} reads {@code g} down its columns:
     * every element a new cache line and, from M = 1024 on, a new page, so on the CPU that one
     * sum cost more than the product at D = 128 (measured, AMD EPYC, 1 thread: M = 1024 3.8 ms,
     * M = 4096 141 ms, 3.4–8.4 ns an element). So on the CPU, from {@value
     * #SYMMETRIZE_COPY_MIN_ROWS} rows on, it takes {@code gᵀ} as a contiguous copy (libtorch's
     * blocked transpose, reached through a reshape of the transposed view), adds it to {@code g}
     * in place and multiplies once: every element of {@code g + gᵀ} is the same IEEE sum {@code
     * g_ij + g_ji} (addition commutes exactly), so the matrix multiplied is the plain sum bit for
     * bit, and only the rounding of one product (BLAS or oneDNN, {@link MatrixProducts}) separates
     * the two results. Measured (ms, 1 / 2 threads): the sum alone, AMD EPYC Zen 3, M = 1024 5.2 / 2.7 → 2.4 /
     * 2.0, M = 4096 117 / 61 → 37 / 34, M = 8192 597 / 316 → 168 / 164; the whole product at D =
     * 128, AMD EPYC family 26, against bands of rows (session 12's method, which copied {@code
     * g[:, band]} and multiplied band by band; two alternating runs): M = 1024 5.44, 6.01 → 4.27,
     * 4.97 / 4.31, 4.81 → 3.40, 4.16; M = 2048 19.9, 23.8 → 18.6, 21.7 / 13.5, 14.1 → 13.9, 14.4;
     * against the strided sum's product 7.96 / 4.19 at M = 1024 and 40.9 / 22.5 at 2048. On a GPU
     * the plain sum.
     *
     * @param g {@code [M, M]}, the caller's scratch: from {@value #SYMMETRIZE_COPY_MIN_ROWS} rows
     *     on the CPU it is overwritten with {@code g + gᵀ}
     * @param right {@code [M, D']}
     * @return {@code [M, D']}, a new array on g's device and manager
     */
    static NDArray symmetrizedProduct(NDArray g, NDArray right) {
        long rows = g.getShape().get(0);
        boolean cpu = g.getDevice().getDeviceType().equals(Device.Type.CPU);
        if (rows < SYMMETRIZE_COPY_MIN_ROWS || !cpu) {
            return MatrixProducts.times(g.add(g.transpose()), right);
        }
        // gᵀ as a contiguous copy (a reshape of the transposed view copies it with libtorch's
        // blocked transpose), then added in place: g is the caller's scratch
        NDArray transposed =
                g.transpose().reshape(new Shape(rows * rows)).reshape(new Shape(rows, rows));
        return MatrixProducts.times(g.addi(transposed), right);
    }

    private static NDIndex tileIndex(int rowStart, int rowEnd, int columnStart, int columnEnd) {
        return new NDIndex().addSliceDim(rowStart, rowEnd).addSliceDim(columnStart, columnEnd);
    }

    /**
     * Computes NT-Xent over view-major {@code z [V·N, D]}: positives are the other views of the
     * same image.
     *
     * @param embeddings {@code z}, shape checked by the caller, rows divisible by V
     * @param viewsPerImage V ≥ 2
     * @param temperature τ &gt; 0
     * @param checkValues whether to check, in one host read, that z is finite
     * @param requestedBlock rows per block, 0 for automatic
     * @return the scalar loss, in z's dtype, on z's device and manager
     */
    static NDArray ntXent(
            NDArray embeddings,
            int viewsPerImage,
            float temperature,
            boolean checkValues,
            int requestedBlock) {
        return ntXent(embeddings, viewsPerImage, temperature, checkValues, requestedBlock, true);
    }

    /** {@link #ntXent}, with the bounded cosine path allowed or not (tests compare the two). */
    static NDArray ntXent(
            NDArray embeddings,
            int viewsPerImage,
            float temperature,
            boolean checkValues,
            int requestedBlock,
            boolean allowBounded) {
        return meanLoss(
                embeddings,
                null,
                viewsPerImage,
                Similarity.COSINE,
                PositiveAggregation.OUTSIDE_LOG,
                temperature,
                checkValues,
                requestedBlock,
                allowBounded,
                PositiveLayout.AUTOMATIC);
    }

    /**
     * Computes a labeled contrastive loss: positives are the other rows of equal class id.
     *
     * @param embeddings {@code z [M, D]}, shape checked by the caller
     * @param classIds {@code [M]} class ids
     * @param similarity the similarity
     * @param aggregation the aggregation of positives
     * @param temperature τ &gt; 0
     * @param checkValues whether to run the one-read value checks
     * @param requestedBlock rows per block, 0 for automatic
     * @return the scalar loss, in z's dtype, on z's device and manager
     */
    static NDArray labeled(
            NDArray embeddings,
            NDArray classIds,
            Similarity similarity,
            PositiveAggregation aggregation,
            float temperature,
            boolean checkValues,
            int requestedBlock) {
        return labeled(
                embeddings,
                classIds,
                similarity,
                aggregation,
                temperature,
                checkValues,
                requestedBlock,
                true,
                PositiveLayout.AUTOMATIC);
    }

    /**
     * {@link #labeled}, with the bounded cosine path allowed or not and the positives' layout
     * chosen (tests compare the paths and the layouts).
     */
    static NDArray labeled(
            NDArray embeddings,
            NDArray classIds,
            Similarity similarity,
            PositiveAggregation aggregation,
            float temperature,
            boolean checkValues,
            int requestedBlock,
            boolean allowBounded,
            PositiveLayout layout) {
        return meanLoss(
                embeddings,
                classIds,
                0,
                similarity,
                aggregation,
                temperature,
                checkValues,
                requestedBlock,
                allowBounded,
                layout);
    }

    /**
     * How a labeled loss finds each row's positives: a {@code B × M} mask per block, or the
     * columns of its class gathered from the block ({@code B × K}, K the widest class).
     */
    enum PositiveLayout {
        /**
         * Gathered from {@value #GATHER_MIN_ROWS} rows on when the widest class holds at most
         * {@code M /} {@value #GATHER_RATIO} rows, else masked.
         */
        AUTOMATIC,
        /** A {@code B × M} mask of equal class ids per block. */
        MASK,
        /** Each row's class members gathered by column, {@code B × K}. */
        GATHER
    }

    /**
     * Labeled losses gather their positives ({@link PositiveLayout#GATHER}, automatic layout)
     * when {@code K ·} {@value} {@code ≤ M}, K the number of rows of the widest class, and M is at
     * least {@value #GATHER_MIN_ROWS}: then the {@code B × K} gathers and the in-place write of
     * {@code G} at the positives replace the {@code B × M} mask's five passes and the two to six
     * more that apply it. Measured (AMD EPYC, D = 128, M = 4096, forward + backward, best of four;
     * masked / gathered): SuNCEt 235 / 181 ms at K = 4, 237 / 232 at K = 256, 255 / 255–263 at K
     * = 512, 206 / 331 at K = 1024 (1 thread); NCA 214 / 180, 265 / 268, 242 / 260–284, 215 / 358.
     * So the break-even is near M/8, and this takes M/16.
     */
    static final long GATHER_RATIO = 16;

    /**
     * The fewest rows at which the automatic layout gathers: the gathered layout's set-up (the
     * class sizes read to the host, a sort, a dozen small ops) costs about 0.2–0.4 ms, more than
     * the mask's passes over a {@code 256 × 256} block save (measured at M = 256, D = 128, AMD
     * EPYC: SupCon and NCA 0.1–0.4 ms slower gathered, SuNCEt level).
     */
    static final long GATHER_MIN_ROWS = 1024;

    /**
     * Whether a labeled loss gathers its positives.
     *
     * @param layout the requested layout
     * @param widest K, the rows of the widest class
     * @param rows M
     * @return {@code true} for {@link PositiveLayout#GATHER}, or automatic with {@code M ≥}
     *     {@value #GATHER_MIN_ROWS} and {@code K ·} {@value #GATHER_RATIO} {@code ≤ M}
     */
    static boolean gathers(PositiveLayout layout, long widest, long rows) {
        switch (layout) {
            case GATHER:
                return true;
            case MASK:
                return false;
            default:
                return rows >= GATHER_MIN_ROWS && widest * GATHER_RATIO <= rows;
        }
    }

    /**
     * Whether a call takes the bounded path: cosine similarity, {@code 1/τ ≤ 30} and fewer than
     * 2^24 rows.
     */
    static boolean bounded(Similarity similarity, float temperature, long rows) {
        return similarity == Similarity.COSINE
                && 1.0 / temperature <= BOUNDED_MAX_INVERSE_TEMPERATURE
                && rows < BOUNDED_MAX_ROWS;
    }

    /** {@code views > 0}: NT-Xent's structural positives; {@code views = 0}: equal class ids. */
    private static NDArray meanLoss(
            NDArray embeddings,
            NDArray classIds,
            int views,
            Similarity similarity,
            PositiveAggregation aggregation,
            float temperature,
            boolean checkValues,
            int requestedBlock,
            boolean allowBounded,
            PositiveLayout layout) {
        DataType outputType = embeddings.getDataType();
        NDArray result;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray z = ContrastiveCore.computeType(embeddings);
            NDArray ids = classIds == null ? null : classIds.toDevice(z.getDevice(), false);
            // cosine: ẑ made here, its Jacobian applied below (UnitRows); NCA: z itself
            UnitRows unitRows = similarity == Similarity.COSINE ? new UnitRows(z.stopGradient()) : null;
            NDArray x = unitRows != null ? unitRows.unit() : z.stopGradient();
            Kernel kernel =
                    new Kernel(
                            x,
                            views > 0 ? null : ids,
                            views,
                            similarity,
                            aggregation,
                            temperature,
                            rowBlock(
                                    z.getShape().get(0),
                                    z.getShape().get(1),
                                    z.getDataType().getNumOfBytes(),
                                    requestedBlock),
                            recordsGradient(z),
                            allowBounded
                                    && bounded(similarity, temperature, z.getShape().get(0)),
                            layout);
            kernel.run();
            if (checkValues) {
                ContrastiveCore.checkValues(embeddings, ids, kernel.validRows);
            }
            NDArray loss = kernel.loss;
            if (kernel.gradient != null) {
                // value: exactly L (x − x = 0); gradient: dL/dz
                NDArray gradient = unitRows != null ? unitRows.backward(kernel.gradient) : kernel.gradient;
                NDArray dot = z.mul(gradient).sum();
                loss = dot.sub(dot.stopGradient()).add(loss);
            }
            result = loss.toType(outputType, false);
            NDScope.unregister(result);
        }
        // the caller's NDScope, if any, owns the result, as it owns every operation's result
        // (NDScope.register puts an array into the innermost scope only, so one unregistered in
        // this method's scope belongs to no scope)
        NDScope.register(result);
        return result;
    }

    /**
     * Whether autograd records operations on this thread now. Only then can the result be
     * differentiated, so only then is the gradient computed. PyTorch's grad mode is the one
     * reliable signal: DJL 0.35.1's {@code hasGradient()} reports false for outputs of a recorded
     * graph (measured), and true for a leaf that asked for a gradient even when nothing records.
     */
    static boolean recordsGradient(NDArray z) {
        return !(z instanceof PtNDArray) || JniUtils.isGradMode();
    }

    /**
     * One evaluation: the detached inputs, then the loss, valid-row count and gradient.
     *
     * <p>Numbers enter as 0-dimensional arrays made once per call ({@code constant}): DJL's {@code
     * mul(Number)}, {@code set(index, Number)} and friends copy each number through a fresh Java
     * direct buffer, measured at about 50 µs a call, which would dominate small batches.
     */
    private static final class Kernel {
        private final NDArray x; // ẑ (cosine) or z (NCA), detached, [M, D]
        private final NDArray ids; // [M] class ids, or null for NT-Xent
        private final int views;
        private final Similarity similarity;
        private final PositiveAggregation aggregation;
        private final float temperature;
        private final int block;
        private final boolean withGradient;
        private final boolean bounded;
        private final NDManager manager;
        private final DataType type;
        private final int rows;

        private NDArray excludedValue; // EXCLUDED, 0-dimensional
        private NDArray zero; // 0, 0-dimensional
        private NDArray share; // NT-Xent: 1/(V − 1), 0-dimensional
        private NDArray one; // 1, 0-dimensional
        private NDArray positiveColumns; // NT-Xent: the columns of row i's positives, [M, V − 1]
        private final PositiveLayout layout;
        private NDArray denseIds; // labeled, masked: class ids renumbered 0..U − 1, in x's dtype, [M]
        // labeled, gathered (see gatherPositives): null when masked
        private NDArray classColumns; // [M, K] int64: the rows of row i's class, padded with i
        private NDArray classWeights; // [M, K] x's dtype: 1 where classColumns is a positive of i
        private NDArray positiveCounts; // [M, 1] x's dtype: |P(i)|

        NDArray loss; // scalar, already divided by the valid-row count
        NDArray validRows; // scalar, the valid-row count V
        NDArray gradient; // [M, D] dL/dx, or null

        Kernel(
                NDArray x,
                NDArray ids,
                int views,
                Similarity similarity,
                PositiveAggregation aggregation,
                float temperature,
                int block,
                boolean withGradient,
                boolean bounded,
                PositiveLayout layout) {
            this.x = x;
            this.layout = layout;
            this.ids = ids;
            this.views = views;
            this.similarity = similarity;
            this.aggregation = aggregation;
            this.temperature = temperature;
            this.block = block;
            this.withGradient = withGradient;
            this.bounded = bounded;
            this.manager = x.getManager();
            this.type = x.getDataType();
            this.rows = Math.toIntExact(x.getShape().get(0));
        }

        /** A 0-dimensional array of {@code value} (exact in float32) on x's device, engine-owned. */
        private NDArray constant(float value) {
            return manager.full(new Shape(), value, type, x.getDevice());
        }

        void run() {
            boolean cosine = similarity == Similarity.COSINE;
            NDArray tau = constant(temperature);
            // the general path masks s; so does the bounded one of NT-Xent, before its softmax
            excludedValue = bounded && views == 0 ? null : constant((float) ContrastiveCore.EXCLUDED);
            zero = constant(0f);
            one = constant(1f);
            // s_R = left_R · rightᵀ:
            //   cosine: left = ẑ/τ, right = ẑ
            //   NCA:    left = [2z, −1, −‖z‖²]/τ, right = [z, ‖z‖², 1]   [M, D + 2]
            //           so left_i · right_j = (2 z_i·z_j − ‖z_j‖² − ‖z_i‖²)/τ
            // and the gradient's products (G + Gᵀ)·x use x (ẑ, or z), whose D columns run at the
            // BLAS's full rate where D + 2 did not; NCA's (G + Gᵀ)·1 is G's column sums (its rows
            // sum to 0), one reduction per block
            NDArray left;
            NDArray right;
            if (cosine) {
                left = x.div(tau);
                right = x;
            } else {
                NDArray squaredNorms = x.square().sum(new int[] {1}, true); // [M, 1]
                NDArray ones = squaredNorms.onesLike();
                left =
                        NDArrays.concat(new NDList(x.add(x), ones.neg(), squaredNorms.neg()), 1)
                                .div(tau);
                right = NDArrays.concat(new NDList(x, squaredNorms, ones), 1);
            }
            NDArray lossSum = manager.zeros(new Shape(), type, x.getDevice());
            NDArray validSum;
            if (views > 0) {
                // 1/(V − 1) in x's precision
                share = views == 2 ? one : one.div(constant(views - 1));
                positiveColumns = bounded ? null : positiveColumns();
                validSum = constant(rows);
            } else {
                validSum = manager.zeros(new Shape(), type, x.getDevice());
                NDList unique = ids.unique(true, true, true); // values, inverse, counts
                if (!gatherPositives(unique.get(1), unique.get(2))) {
                    // 0..U − 1, exact in float32 below 2^24 rows: equal ids have a difference of
                    // 0, others one of at least 1, whatever the ids' own range
                    denseIds = unique.get(1).toType(type, false);
                }
            }
            NDArray accumulated = null; // (G + Gᵀ)·x
            // NCA: (G + Gᵀ)·1 = Gᵀ·1 (G·1 = 0: see ncaGradient), [M, 1], in the call's scope
            NDArray columnSums = cosine ? null : manager.zeros(new Shape(rows, 1), type, x.getDevice());
            for (int start = 0; start < rows; start += block) {
                int end = Math.min(start + block, rows);
                int size = end - start;
                try (NDScope blockScope = new NDScope()) {
                    blockScope.suppressNotUsedWarning();
                    NDIndex range = new NDIndex().addSliceDim(start, end);
                    NDArray s = // [B, M]
                            size == rows
                                    ? similarities(left, right)
                                    : MatrixProducts.timesTransposed(left.get(range), right);
                    NDArray weights = // G_R · V, or null
                            bounded
                                    ? boundedBlock(s, range, start, size, lossSum, validSum)
                                    : generalBlock(s, range, start, size, lossSum, validSum);
                    if (weights == null) {
                        continue;
                    }
                    if (columnSums != null) {
                        // G_Rᵀ·1, before the single block's product may overwrite `weights`
                        columnSums.addi(weights.sum(new int[] {0}).reshape(rows, 1));
                    }
                    if (size == rows) {
                        // one block: one product of the symmetric G + Gᵀ instead of two
                        accumulated = symmetrizedProduct(weights, x);
                        NDScope.unregister(accumulated);
                        continue;
                    }
                    if (accumulated == null) {
                        accumulated = x.zerosLike();
                        NDScope.unregister(accumulated);
                    }
                    NDArray rowPart = MatrixProducts.times(weights, x); // G_R · x, [B, D]
                    accumulated.addi(MatrixProducts.transposedTimes(weights, x.get(range)));
                    accumulated.set(range, a -> a.add(rowPart));
                }
            }

            if (accumulated != null) {
                NDScope.register(accumulated); // made in a block's scope: closed with the call's
            }
            NDArray count = validSum.maximum(one);
            loss = lossSum.div(count);
            validRows = validSum;
            if (accumulated != null) {
                NDArray scale = count.mul(tau);
                gradient = cosine ? accumulated.div(scale) : ncaGradient(accumulated, columnSums, scale);
            }
        }

        /**
         * Decides the layout of a labeled loss's positives and, when gathered, builds {@code
         * classColumns}: row {@code i}'s entries are the K rows of its class (itself among them),
         * padded with {@code i} when its class has fewer than K rows, so every padding entry and
         * the row itself point at the block's diagonal, where {@code s} is excluded (general
         * path) and {@code exp} is 0 (bounded path). Built from the rows sorted by class: class
         * {@code c} fills sorted positions {@code start_c … start_c + count_c − 1}. Reads one
         * number to the host, K, which sizes the gathers.
         *
         * @param inverse {@code [M]} int64, the dense class id of each row
         * @param counts {@code [U]} int64, the rows of each class
         * @return whether the positives are gathered
         */
        private boolean gatherPositives(NDArray inverse, NDArray counts) {
            if (layout == PositiveLayout.MASK
                    || (layout == PositiveLayout.AUTOMATIC && rows < GATHER_MIN_ROWS)) {
                return false; // decided without reading K
            }
            long widest = counts.max().getLong();
            if (!gathers(layout, widest, rows)) {
                return false;
            }
            Device device = x.getDevice();
            NDArray starts = counts.cumSum(0).sub(counts); // [U]
            NDArray sorted = inverse.argSort(0, true); // [M] the rows, class by class
            NDArray classSizes = counts.gather(inverse, 0).expandDims(1); // [M, 1]
            NDArray offsets = // [1, K]
                    manager.arange(0f, widest, 1f, DataType.INT64, device).expandDims(0);
            NDArray self = manager.arange(0f, rows, 1f, DataType.INT64, device).expandDims(1);
            NDArray member = offsets.lt(classSizes); // [M, K]: offset k within i's class
            NDArray positions = starts.gather(inverse, 0).expandDims(1).add(offsets);
            NDArray inRange = NDArrays.where(member, positions, self); // [M, K], all < M
            classColumns = NDArrays.where(member, sorted.take(inRange), self);
            classWeights = member.logicalAnd(classColumns.neq(self)).toType(type, false);
            positiveCounts = classSizes.toType(type, false).sub(one);
            return true;
        }

        /**
         * The whole {@code M × M} matrix {@code s = left · rightᵀ} of a single block: one product,
         * or from D = 512 on with two or more tiles a side ({@link
         * FusedContrastiveCore#symmetricTiles}) the tiled {@link
         * FusedContrastiveCore#symmetricProduct}.
         */
        private NDArray similarities(NDArray left, NDArray right) {
            int tiles = symmetricTiles(rows, right.getShape().get(1));
            if (tiles < 2) {
                return MatrixProducts.timesTransposed(left, right);
            }
            return symmetricProduct(left, right, (rows + tiles - 1) / tiles);
        }

        /**
         * One block of the general path (any similarity and τ): each log-sum-exp shifted by the
         * maximum over its own set, every exp argument clamped at {@value #EXP_FLOOR}.
         */
        private NDArray generalBlock(
                NDArray s,
                NDIndex range,
                int start,
                int size,
                NDArray lossSum,
                NDArray validSum) {
            // the block's diagonal, s[b, start + b], sits at flat b·(M + 1) + start
            s.reshape((long) size * rows).set(diagonal(start, size), excludedValue);
            // log-sum-exp over A(i), shifted by the row maximum: [B, 1]
            NDArray shift = s.max(new int[] {1}, true);
            NDArray exps = clampedExp(s.sub(shift)); // p_ij · total_i; 0 on the diagonal
            NDArray total = exps.sum(new int[] {1}, true);
            NDArray logSumExp = total.log().add(shift);
            if (views > 0) {
                // ℓ_i = LSE_A s_i − Σ_{p∈P(i)} s_ip / (V − 1), positives gathered from s (the
                // very values LSE_A saw, so that one candidate per row gives exactly 0)
                NDArray positiveSum =
                        s.gather(positiveColumns.get(range), 1).sum(new int[] {1}, true);
                lossSum.addi(logSumExp.sub(positiveSum.mul(share)).sum());
                return withGradient ? ntXentWeights(exps.divi(total), start, size) : null;
            }
            return labeledBlock(
                    s, exps, total, logSumExp, range, start, size, lossSum, validSum);
        }

        /**
         * One block of the bounded path (cosine, {@code 1/τ ≤ 30}): {@code |s_ij| ≤ 1/τ}, so {@code
         * exp(s_ij) ∈ [e^−30, e^30]} can neither overflow nor underflow nor reach libtorch's slow
         * exp (below about −87), and row sums stay below {@code M·e^30}: the log-sum-exp needs no
         * shift, which saves the row maximum, the subtraction and the clamp (three of the block's
         * passes). Every positive keeps {@code p_ij ≥ e^−60/M}, a normal float32.
         *
         * <p>NT-Xent needs only {@code p}, the softmax of each row over {@code A(i)}: libtorch's
         * {@code softmax} of the block with its diagonal set to {@value ContrastiveCore#EXCLUDED}
         * (two passes, and libtorch's own vectorised exponentials; its {@code exp()} is oneMKL
         * VML's, which runs generic code on AMD CPUs: measured 1.25–1.76× the time of PyTorch
         * 1.13's Sleef exp on an AMD EPYC family 26, while this softmax was about 2× faster than
         * that PyTorch's), instead of exp, a zeroed diagonal, a row sum and a division. Its loss is
         * {@code −Σ_k log p_{i,pos_k} / (V − 1)}, which is exactly 0 for a row whose only candidate
         * is its positive (the softmax's shifted {@code exp(0) / exp(0) = 1}). For labeled losses INSIDE_LOG
         * takes {@code Σ_{j∈P(i)} exp(s_ij)} from the block's exps, which also give the log-sum-exp
         * over {@code A(i)}, so {@code P(i) = A(i)} gives exactly 0 too.
         */
        private NDArray boundedBlock(
                NDArray s, NDIndex range, int start, int size, NDArray lossSum, NDArray validSum) {
            if (views > 0) {
                // p_ij = exp(s_ij) / Σ_{k∈A(i)} exp(s_ik) is the softmax of row i with its diagonal
                // masked: libtorch's softmax, whose exponentials are its own vectorised code (its
                // exp() is oneMKL VML's, generic code on AMD CPUs), in two passes instead of four
                s.reshape((long) size * rows).set(diagonal(start, size), excludedValue); // i ∉ A(i)
                NDArray p = s.softmax(1);
                NDArray flat = p.reshape((long) size * rows);
                for (NDIndex positives : positiveRuns(start, size)) {
                    NDArray logs = flat.get(positives).log().sum();
                    lossSum.subi(views == 2 ? logs : logs.mul(share));
                }
                return withGradient ? ntXentWeights(p, start, size) : null;
            }
            NDArray exps = s.exp();
            exps.reshape((long) size * rows).set(diagonal(start, size), zero); // i ∉ A(i)
            NDArray total = exps.sum(new int[] {1}, true);
            if (classColumns != null) {
                return gatheredBlock(s, exps, total, total.log(), range, size, lossSum, validSum);
            }
            NDArray positiveMask = positiveMask(range, start, size); // diagonal 0
            if (aggregation == PositiveAggregation.OUTSIDE_LOG) {
                NDArray positives = positiveMask.sum(new int[] {1}, true); // |P(i)|, [B, 1]
                NDArray valid = positives.gt(zero).toType(type, false);
                validSum.addi(valid.sum());
                NDArray share = valid.div(positives.maximum(one)); // valid_i / |P(i)|
                // ℓ_i = LSE_A s_i − Σ_p s_ip / |P(i)|
                NDArray positiveSum = s.muli(positiveMask).sum(new int[] {1}, true);
                lossSum.addi(total.log().mul(valid).sub(positiveSum.mul(share)).sum());
                // G = p ⊙ valid − [j ∈ P(i)] · valid / |P(i)|
                return withGradient
                        ? exps.muli(valid.div(total)).subi(positiveMask.muli(share))
                        : null;
            }
            NDArray positiveExps = exps.mul(positiveMask);
            NDArray positiveTotal = positiveExps.sum(new int[] {1}, true); // 0: no positive
            NDArray valid = positiveTotal.gt(zero).toType(type, false);
            validSum.addi(valid.sum());
            // rows without a positive: log(0 + 1) = 0, and the row is multiplied by 0
            NDArray safeTotal = positiveTotal.add(one.sub(valid));
            // ℓ_i = LSE_A s_i − LSE_P s_i
            lossSum.addi(total.log().sub(safeTotal.log()).mul(valid).sum());
            // G = (p − q) ⊙ valid
            return withGradient
                    ? exps.muli(valid.div(total)).subi(positiveExps.muli(valid.div(safeTotal)))
                    : null;
        }

        /**
         * The block's {@code [B, M]} positive mask in x's dtype, 0 on the diagonal: {@code 1 −
         * sign((u_i − u_j)²)} of the dense ids, exact because they are integers below 2^24 (a
         * difference is 0 or at least 1 in magnitude). Fast element-wise passes, all but the first
         * in place: measured about 3× faster than an equality test and its conversion from bool.
         */
        private NDArray positiveMask(NDIndex range, int start, int size) {
            NDArray mask = denseIds.get(range).expandDims(1).sub(denseIds.expandDims(0));
            mask.muli(mask).signi().negi().addi(one); // in place: one fresh [B, M] array
            mask.reshape((long) size * rows).set(diagonal(start, size), zero);
            return mask;
        }

        /** The flat positions {@code b·(M + 1) + start}, {@code b < size}: the block's diagonal. */
        private NDIndex diagonal(int start, int size) {
            return run(start, size);
        }

        /** {@code count} flat positions {@code first + n·(M + 1)}: one per row of a block. */
        private NDIndex run(long first, int count) {
            return new NDIndex().addSliceDim(first, first + (count - 1) * (rows + 1L) + 1, rows + 1L);
        }

        /**
         * The loss terms of a labeled block and {@code G_R · V}, given the block's similarities
         * {@code s}, {@code exps = exp(s − shift)}, their row sums and {@code LSE_A}. Adds {@code Σ
         * valid_i ℓ_i} to {@code lossSum} and the block's valid rows to {@code validSum}.
         */
        private NDArray labeledBlock(
                NDArray s,
                NDArray exps,
                NDArray total,
                NDArray logSumExp,
                NDIndex range,
                int start,
                int size,
                NDArray lossSum,
                NDArray validSum) {
            if (classColumns != null) {
                return gatheredBlock(s, exps, total, logSumExp, range, size, lossSum, validSum);
            }
            NDArray positiveMask = positiveMask(range, start, size); // diagonal 0
            if (aggregation == PositiveAggregation.OUTSIDE_LOG) {
                NDArray positives = positiveMask.sum(new int[] {1}, true); // |P(i)|, [B, 1]
                NDArray valid = positives.gt(zero).toType(type, false);
                validSum.addi(valid.sum());
                NDArray share = valid.div(Scalars.clip(positives, 1, Float.MAX_VALUE)); // valid_i / |P(i)|
                // ℓ_i = LSE_A s_i − Σ_p s_ip / |P(i)|  (the diagonal's EXCLUDED is multiplied by 0)
                NDArray positiveSum = s.muli(positiveMask).sum(new int[] {1}, true);
                lossSum.addi(logSumExp.mul(valid).sub(positiveSum.mul(share)).sum());
                // G = p ⊙ valid − [j ∈ P(i)] · valid / |P(i)|
                return withGradient
                        ? exps.muli(valid.div(total)).subi(positiveMask.muli(share))
                        : null;
            }
            // ℓ_i = LSE_A s_i − LSE_P s_i, each shifted by the maximum over its own set; so that
            // P(i) = A(i) gives exactly 0, as the reference and the autograd path do
            // s on P(i), EXCLUDED elsewhere: s·1 + 0, or s·0 − 1e30 (s is finite); in place, as
            // neither s nor the mask is needed again
            NDArray positiveS = s.muli(positiveMask).addi(positiveMask.subi(one).muli(excludedValue.neg()));
            NDArray positiveShift = positiveS.max(new int[] {1}, true); // EXCLUDED: no positive
            // (a row with a positive has positiveShift far above EXCLUDED, which −1e29 separates)
            NDArray valid = positiveShift.gt(constant(-1e29f)).toType(type, false);
            validSum.addi(valid.sum());
            NDArray positiveExps = clampedExp(positiveS.sub(positiveShift));
            NDArray positiveTotal = positiveExps.sum(new int[] {1}, true);
            // rows without a positive: positiveShift = EXCLUDED, ℓ_i ≈ 1e30 (finite), times 0
            NDArray rowLoss = logSumExp.sub(positiveTotal.log().add(positiveShift));
            lossSum.addi(rowLoss.mul(valid).sum());
            // G = (p − q) ⊙ valid
            return withGradient
                    ? exps.muli(valid.div(total)).subi(positiveExps.muli(valid.div(positiveTotal)))
                    : null;
        }

        /**
         * {@link #labeledBlock} and the labeled part of {@link #boundedBlock} with the positives
         * gathered ({@code classColumns}): every {@code B × M} pass left is one the loss needs
         * whatever the labels (exp, row sums, {@code G = p ⊙ valid}); the positives' terms are
         * read by {@code gather} into {@code B × K} arrays and {@code G} is rewritten at them in
         * place. Each row's padding and its own entry point at its diagonal: there {@code s} is
         * {@value ContrastiveCore#EXCLUDED} (general path, so the positives' maximum ignores
         * them) and {@code exps} is 0 (bounded path), and the weights are 0, so they add nothing
         * and write back the value {@code G} has there. The values written are computed as
         * the mask path computes them entry by entry ({@code p·valid − valid/|P(i)|}, {@code
         * p·valid − q·valid}), but the sums over the positives (the loss's, and q's denominator)
         * run in another order and, on the general path, without the non-positives' {@code
         * e^−60} floor terms: equal to rounding (bit for bit for OUTSIDE_LOG's {@code G} on the
         * bounded path).
         */
        private NDArray gatheredBlock(
                NDArray s,
                NDArray exps,
                NDArray total,
                NDArray logSumExp,
                NDIndex range,
                int size,
                NDArray lossSum,
                NDArray validSum) {
            NDArray columns = classColumns.get(range); // [B, K]
            NDArray weights = classWeights.get(range); // [B, K]
            NDArray values; // G at `columns`, [B, K]
            if (aggregation == PositiveAggregation.OUTSIDE_LOG) {
                NDArray positives = positiveCounts.get(range); // |P(i)|, [B, 1]
                NDArray valid = positives.gt(zero).toType(type, false);
                validSum.addi(valid.sum());
                NDArray share = valid.div(positives.maximum(one)); // valid_i / |P(i)|
                // ℓ_i = LSE_A s_i − Σ_p s_ip / |P(i)|
                NDArray positiveSum = s.gather(columns, 1).muli(weights).sum(new int[] {1}, true);
                lossSum.addi(logSumExp.mul(valid).sub(positiveSum.mul(share)).sum());
                if (!withGradient) {
                    return null;
                }
                // G = p ⊙ valid − [j ∈ P(i)] · valid / |P(i)|
                exps.muli(valid.div(total));
                // not in place: `weights` is a view of classWeights, which must stay 0/1
                values = exps.gather(columns, 1).subi(weights.mul(share));
            } else {
                // ℓ_i = LSE_A s_i − LSE_P s_i, the latter shifted by the positives' maximum
                NDArray positiveExps;
                NDArray logPositiveTotal;
                NDArray positiveTotal;
                NDArray valid;
                if (bounded) {
                    // |s| ≤ 1/τ: no shift; the diagonal's exp is 0
                    positiveExps = exps.gather(columns, 1);
                    positiveTotal = positiveExps.sum(new int[] {1}, true); // 0: no positive
                    valid = positiveTotal.gt(zero).toType(type, false);
                    // rows without a positive: log(0 + 1) = 0, and the row is multiplied by 0
                    positiveTotal = positiveTotal.add(one.sub(valid));
                    logPositiveTotal = positiveTotal.log();
                } else {
                    NDArray positiveS = s.gather(columns, 1); // EXCLUDED at the diagonal
                    NDArray positiveShift = positiveS.max(new int[] {1}, true); // EXCLUDED: none
                    valid = positiveShift.gt(constant(-1e29f)).toType(type, false);
                    positiveExps = clampedExp(positiveS.sub(positiveShift));
                    positiveTotal = positiveExps.sum(new int[] {1}, true);
                    // rows without a positive: ≈ 1e30 (finite), times 0
                    logPositiveTotal = positiveTotal.log().add(positiveShift);
                }
                validSum.addi(valid.sum());
                lossSum.addi(logSumExp.sub(logPositiveTotal).mul(valid).sum());
                if (!withGradient) {
                    return null;
                }
                // G = (p − q) ⊙ valid
                exps.muli(valid.div(total));
                values = exps.gather(columns, 1).subi(positiveExps.muli(valid.div(positiveTotal)));
            }
            NDArray blockRows =
                    manager.arange(0f, size, 1f, DataType.INT64, x.getDevice()).expandDims(1);
            exps.set(new NDIndex("{}, {}", blockRows, columns), values);
            return exps;
        }

        /**
         * {@code exp(max(x, −60))} for {@code x ≤ 0}. libtorch's vectorised exp leaves its fast path
         * for arguments below the float32 range (about −87), measured 20–50× slower per element;
         * masked entries (−1e30) and far negatives would hit it. {@code e^−60 ≈ 9e−27} relative to
         * the row's largest term (1) is below float64 rounding even summed over 10⁵ entries.
         */
        private static NDArray clampedExp(NDArray x) {
            return Scalars.clip(x, EXP_FLOOR, 0).exp();
        }

        /** {@code [M, V − 1]} int64: the columns of row i's positives, {@code (i + k·N) mod M}. */
        private NDArray positiveColumns() {
            int images = rows / views;
            NDArray rowIds =
                    manager.arange(0f, rows, 1f, DataType.INT64, x.getDevice()).expandDims(1);
            NDArray offsets =
                    manager.arange((float) images, rows, images, DataType.INT64, x.getDevice())
                            .expandDims(0); // N, 2N, …, (V − 1)·N
            NDArray modulus = manager.full(new Shape(), rows, DataType.INT64, x.getDevice());
            return rowIds.add(offsets).mod(modulus);
        }

        /**
         * NT-Xent's {@code G_R · V = p − T}: subtracts {@code 1/(V − 1)} in place at each row's
         * positives ({@link #positiveRuns}), no mask. (Subtracting before the products, rather than {@code 2 T ẑ}
         * after them, keeps float32's cancellation {@code p − 1} per entry, as autograd has it.)
         */
        private NDArray ntXentWeights(NDArray p, int start, int size) {
            NDArray flat = p.reshape((long) size * rows);
            for (NDIndex positives : positiveRuns(start, size)) {
                flat.set(positives, entries -> entries.sub(share));
            }
            return p;
        }

        /**
         * The flat positions of the block's positives in a {@code [B, M]} array: row {@code b}
         * ({@code i = start + b}) has them at columns {@code (i + k·N) mod M}, flat {@code b·(M + 1)
         * + start + k·N (− M once wrapped)}, so one or two strided runs per other view.
         */
        private java.util.List<NDIndex> positiveRuns(int start, int size) {
            int images = rows / views;
            java.util.List<NDIndex> runs = new java.util.ArrayList<>();
            for (int k = 1; k < views; k++) {
                long offset = (long) k * images;
                int unwrapped = (int) Math.max(0, Math.min(size, rows - start - offset));
                long first = start + offset;
                if (unwrapped > 0) {
                    runs.add(run(first, unwrapped));
                }
                if (unwrapped < size) {
                    runs.add(run(unwrapped * (rows + 1L) + first - rows, size - unwrapped));
                }
            }
            return runs;
        }

        /**
         * {@code dL/dz = (2/τ) [(G + Gᵀ) z − z ⊙ (G + Gᵀ) 1]}, {@code scale = V·τ}, from {@code
         * (G + Gᵀ) z} ({@code [M, D]}) and {@code Gᵀ 1} ({@code [M, 1]}): every row of {@code G}
         * sums to 0 ({@code Σ_j p_ij = Σ_j t_ij = 1}, or a row of zeros), so {@code (G + Gᵀ) 1 =
         * Gᵀ 1} exactly, and taking it so drops only that row sum's rounding. The column sums are
         * one reduction over each block; carrying {@code 1} (and {@code ‖z‖²}) as extra columns of
         * the products instead made them {@code D + 2} wide, which oneMKL multiplies markedly slower
         * than {@code D = 128} (measured, AMD EPYC Zen 3, 1 thread, a {@code [1024, 4096]} block:
         * 14.6 against 12.5 ms for {@code G_R z}, 19.1 against 15.1 for {@code G_Rᵀ z_R}).
         */
        private NDArray ncaGradient(NDArray products, NDArray columnSums, NDArray scale) {
            NDArray difference = products.sub(x.mul(columnSums)); // (G + Gᵀ) z − z ⊙ Gᵀ 1
            return difference.add(difference).div(scale);
        }
    }
}
