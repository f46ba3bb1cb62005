package org.suncet.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;

/**
 * NT-Xent, the normalised temperature-scaled cross-entropy of SimCLR (Chen et al. 2020, "A Simple
 * Framework for Contrastive Learning of Visual Representations", arXiv 2002.05709).
 *
 * <pre>
 *   s_ij = ẑ_i · ẑ_j / τ,   ẑ = z / max(||z||, 1e-12)
 *   ℓ_i  = −(1/|P(i)|) Σ_{p∈P(i)} [ s_ip − LSE_{a∈A(i)} s_ia ]
 *   L    = mean of ℓ_i over all V·N rows
 * </pre>
 *
 * where {@code A(i)} is every row but {@code i} and {@code P(i)} the other {@code V − 1} views of
 * the same image. For V = 2 this is SimCLR's NT-Xent averaged over the 2N anchors (SimCLR's
 * TensorFlow code reports twice this value; SuNCEt's code reports this value). Gradients flow
 * through anchors and candidates. All rows identical gives {@code log(2N − 1)} for V = 2.
 *
 * <p>Input: {@code predictions = NDList(z)}, or any list holding z at the prediction index
 * (default the last array, so {@code ContrastiveModel}'s {@code NDList(h, z)} works as it is); {@code
 * z [V·N, D]} view-major: row {@code v·N + n} is view {@code v} of image {@code n}. Labels are
 * ignored ({@code null} or empty allowed). Output: a scalar in z's dtype and device. Defaults: τ =
 * 0.1 (SimCLR ImageNet; use 0.5 for CIFAR-sized data), V = 2, prediction index −1.
 *
 * <p>Bad input ({@link IllegalArgumentException}): rank other than 2, fewer than 2 rows, a row count
 * not divisible by V, a prediction index outside the list; at build time V &lt; 2 or a prediction
 * index &lt; −1; with value checks on (default), non-finite z.
 */
public final class NtXentLoss extends AbstractContrastiveLoss {

    private final int viewsPerImage;

    private NtXentLoss(Builder builder) {
        super(builder);
        if (builder.viewsPerImage < 2) {
            throw new IllegalArgumentException(
                    "viewsPerImage must be >= 2 (a positive needs another view), got "
                            + builder.viewsPerImage);
        }
        this.viewsPerImage = builder.viewsPerImage;
    }

    /**
     * Returns a builder with τ = 0.1 and two views per image.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the number of views per image V.
     *
     * @return V
     */
    public int getViewsPerImage() {
        return viewsPerImage;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        return evaluateEmbeddings(embeddings(predictions));
    }

    /** The loss of view-major embeddings already picked from the predictions. */
    NDArray evaluateEmbeddings(NDArray embeddings) {
        NDArray z = InputChecks.embeddings(embeddings);
        if (isFused()) {
            // the positives are structural there: no id array (and no id check) needed
            checkViewRows(z, viewsPerImage);
            return FusedContrastiveCore.ntXent(
                    z, viewsPerImage, getTemperature(), isCheckingValues(), getRowBlock());
        }
        try (NDArray imageIds = imageIds(z, viewsPerImage)) {
            return compute(z, imageIds, Similarity.COSINE, PositiveAggregation.OUTSIDE_LOG);
        }
    }

    /**
     * Returns the image index of every row of view-major {@code z [V·N, D]}: {@code 0..N−1}
     * repeated V times, on z's device.
     *
     * @param z the embeddings
     * @param viewsPerImage V
     * @return {@code [V·N]} int64 image ids
     * @throws IllegalArgumentException if the row count is not divisible by V
     */
    static NDArray imageIds(NDArray z, int viewsPerImage) {
        int images = imageCount(z, viewsPerImage);
        try (NDArray ids =
                z.getManager().arange(0f, images, 1f, DataType.INT64, z.getDevice())) {
            return ids.tile(viewsPerImage); // [N] -> [V·N]
        }
    }

    /**
     * Returns N, the images of view-major {@code z [V·N, D]}.
     *
     * @throws IllegalArgumentException if the row count is not divisible by V
     */
    private static int imageCount(NDArray z, int viewsPerImage) {
        checkViewRows(z, viewsPerImage);
        return Math.toIntExact(z.getShape().get(0) / viewsPerImage);
    }

    /**
     * Checks that view-major {@code z} has V rows per image.
     *
     * @throws IllegalArgumentException if the row count is not divisible by V
     */
    private static void checkViewRows(NDArray z, int viewsPerImage) {
        long rows = z.getShape().get(0);
        if (rows % viewsPerImage != 0) {
            throw new IllegalArgumentException(
                    "predictions must have a row count divisible by V = "
                            + viewsPerImage
                            + " views per image (V·N rows), got "
                            + rows
                            + " rows (shape "
                            + z.getShape()
                            + ")");
        }
    }

    /** Builds an {@link NtXentLoss}. */
    public static final class Builder extends BaseBuilder<Builder> {
        int viewsPerImage = 2;

        Builder() {
            super("NtXentLoss", 0.1f);
        }

        /**
         * Sets the number of views per image V (default 2, must be ≥ 2).
         *
         * @param viewsPerImage V
         * @return this builder
         */
        public Builder optViewsPerImage(int viewsPerImage) {
            this.viewsPerImage = viewsPerImage;
            return this;
        }

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Builds the loss.
         *
         * @return the loss
         * @throws IllegalArgumentException if τ is not finite and &gt; 0, V &lt; 2, or the
         *     prediction index &lt; −1
         */
        public NtXentLoss build() {
            return new NtXentLoss(this);
        }
    }
}
