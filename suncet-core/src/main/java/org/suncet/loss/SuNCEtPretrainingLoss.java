package org.suncet.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.listener.TrainingListenerAdapter;
import org.suncet.ndarray.Scalars;

/**
 * The SuNCEt pre-training objective (Assran et al. 2020, arXiv 2006.10803, SPEC §2.6): SimCLR's
 * NT-Xent on the unlabeled views plus λ·SuNCEt on the labeled support, the supervised term switched
 * off from epoch {@code E_sup} on.
 *
 * <pre>
 *   L = NtXent(z[0 : V·n]) + λ · [epoch &lt; E_sup] · SuNCEt(z[V·n : V·n + S], y)
 * </pre>
 *
 * <p>One forward pass computes every row, so batch norm sees unlabeled and labeled images together.
 * Two ways to call it:
 *
 * <ul>
 *   <li>In DJL's {@code Trainer} or {@code EasyTrain} ({@link #evaluate}): {@code labels =
 *       NDList(y [S])} and predictions holding, at the prediction index, {@code z = [unlabeled
 *       views (V·n rows, view-major); labeled support (S rows)]}; the last {@code S = y.size} rows
 *       of z are routed to SuNCEt, the others to NT-Xent. The index defaults to −1, the last array,
 *       so {@code NDList(z)} and {@code ContrastiveModel}'s {@code NDList(h, z)} both give z ({@code
 *       optPredictionIndex} picks another). Empty labels mean plain SimCLR. The epoch is set by
 *       {@link #setEpoch} or by adding {@link #epochListener()} to the training config.
 *   <li>With {@code optSeparateSupport(true)}, {@link #evaluate} instead takes exactly {@code
 *       predictions = NDList(zUnlabeled [V·n, D], zSupport [S, D])}, for a loop that forwards the
 *       two parts separately.
 *   <li>In a user's own loop: {@link #compute(NDArray, NDArray, NDArray, int)}, stateless.
 * </ul>
 *
 * <p><b>Which two-array form wins.</b> A list of two arrays means {@code NDList(h, z)} (the
 * index form) unless the loss was built with {@code optSeparateSupport(true)}: the loss never
 * guesses from shapes, because {@code ContrastiveModel}, the network this loss trains, puts out
 * {@code NDList(h, z)}, and shapes cannot tell the forms apart in general (features of the
 * projection's width, or as many unlabeled views as support rows). An older caller passing {@code
 * NDList(zUnlabeled, zSupport)} with labels to a default loss gets an {@link
 * IllegalArgumentException} that names the option (the last array then has only the S support
 * rows, none left for NT-Xent). Setting both options is rejected at build time.
 *
 * <p>Defaults: λ = 1, E_sup = never (the reference switches off at 250 of 300/500 ImageNet epochs),
 * prediction index −1, no separate support. The components' own prediction indices are not used:
 * this objective picks z and hands each component its rows. Bad input ({@link
 * IllegalArgumentException}): everything the two component losses reject, more labels than rows,
 * labels naming every row (no unlabeled views), a prediction index outside the list, a list other
 * than two arrays with separate support, λ &lt; 0 or not finite, E_sup &lt; 0, a prediction index
 * &lt; −1, a negative epoch.
 */
public final class SuNCEtPretrainingLoss extends AccumulatingLoss {

    private final NtXentLoss contrastive;
    private final SuNCEtLoss supervised;
    private final float supervisedWeight;
    private final int supervisedEpochs;
    private final int predictionIndex;
    private final boolean separateSupport;
    private volatile int epoch;

    private SuNCEtPretrainingLoss(Builder builder) {
        super(builder.name);
        if (!(builder.supervisedWeight >= 0) || Float.isInfinite(builder.supervisedWeight)) {
            throw new IllegalArgumentException(
                    "supervisedWeight must be finite and >= 0, got " + builder.supervisedWeight);
        }
        if (builder.supervisedEpochs < 0) {
            throw new IllegalArgumentException(
                    "supervisedEpochs must be >= 0, got " + builder.supervisedEpochs);
        }
        this.contrastive = builder.contrastive;
        this.supervised = builder.supervised;
        this.supervisedWeight = builder.supervisedWeight;
        this.supervisedEpochs = builder.supervisedEpochs;
        this.predictionIndex = InputChecks.predictionIndex(builder.predictionIndex);
        if (builder.separateSupport && builder.predictionIndexSet) {
            throw new IllegalArgumentException(
                    "optPredictionIndex("
                            + builder.predictionIndex
                            + ") and optSeparateSupport(true) exclude each other: separate support"
                            + " reads NDList(zUnlabeled, zSupport)");
        }
        this.separateSupport = builder.separateSupport;
    }

    /**
     * Returns a builder: NT-Xent and SuNCEt at τ = 0.1, λ = 1, supervision never switched off.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns whether the supervised term is on at {@code epoch} (0-based): {@code epoch < E_sup}.
     *
     * @param epoch the 0-based epoch
     * @return whether SuNCEt contributes
     */
    public boolean isSupervisedAt(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
        }
        return supervisedWeight > 0 && epoch < supervisedEpochs;
    }

    /**
     * Computes the objective for one step of a user's own loop.
     *
     * @param unlabeledViews {@code [V·n, D]} view-major projections of the unlabeled images
     * @param support {@code [S, D]} projections of the labeled support, or null
     * @param supportLabels {@code [S]} class ids of the support, or null
     * @param epoch the 0-based epoch, which decides whether SuNCEt is on
     * @return the scalar loss, in the projections' dtype
     */
    public NDArray compute(NDArray unlabeledViews, NDArray support, NDArray supportLabels, int epoch) {
        Terms terms = computeTerms(unlabeledViews, support, supportLabels, epoch);
        if (terms.supervised() != null) {
            terms.contrastive().close();
            terms.supervised().close();
        }
        return terms.total();
    }

    /**
     * Computes the objective and each of its terms, for logging them (a user tuning λ needs each
     * term's value): {@code total = contrastive + λ·supervised}, the same arithmetic, in the same
     * order, as {@link #compute}, so {@code total} is bit for bit what {@code compute} returns.
     *
     * @param unlabeledViews {@code [V·n, D]} view-major projections of the unlabeled images
     * @param support {@code [S, D]} projections of the labeled support, or null
     * @param supportLabels {@code [S]} class ids of the support, or null
     * @param epoch the 0-based epoch, which decides whether SuNCEt is on
     * @return the terms; when SuNCEt is off, {@code supervised} is null and {@code total} is the
     *     same array as {@code contrastive}
     */
    public Terms computeTerms(
            NDArray unlabeledViews, NDArray support, NDArray supportLabels, int epoch) {
        NDArray loss = contrastive.evaluateEmbeddings(unlabeledViews);
        if (!isSupervisedAt(epoch) || support == null) {
            return new Terms(loss, loss, null);
        }
        if (supportLabels == null) {
            throw new IllegalArgumentException("supportLabels are required with a support batch");
        }
        NDArray supervisedLoss =
                supervised.evaluateEmbeddings(new NDList(supportLabels), support);
        try (NDArray weighted = Scalars.mul(supervisedLoss, supervisedWeight)) {
            return new Terms(loss.add(weighted), loss, supervisedLoss);
        }
    }

    /**
     * The objective of one step and its terms, scalars in the projections' dtype.
     *
     * @param total {@code contrastive + λ·supervised} (or {@code contrastive} when SuNCEt is off)
     * @param contrastive the NT-Xent term
     * @param supervised the SuNCEt term, unweighted (without λ); null when SuNCEt is off
     */
    public record Terms(NDArray total, NDArray contrastive, NDArray supervised) {}

    /**
     * Routes the rows by index and computes the objective at the current epoch ({@link
     * #setEpoch}).
     *
     * @param labels {@code NDList(y [S])} for the support rows, or null/empty for none
     * @param predictions a list holding z at the prediction index (default the last: {@code
     *     NDList(z)} or {@code NDList(h, z)}) with the support as z's last S rows; with separate
     *     support, {@code NDList(zUnlabeled, zSupport)}
     * @return the scalar loss
     */
    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        NDArray y = labels == null || labels.isEmpty() ? null : InputChecks.single(labels, "labels");
        if (separateSupport) {
            if (predictions == null || predictions.size() != 2) {
                throw new IllegalArgumentException(
                        "predictions must be NDList(zUnlabeled, zSupport) with separate support, got "
                                + InputChecks.shapes(predictions));
            }
            return compute(predictions.get(0), predictions.get(1), y, epoch);
        }
        NDArray z = InputChecks.pick(predictions, predictionIndex, "predictions");
        long supportRows = y == null ? 0 : y.getShape().get(0);
        long rows = z.getShape().dimension() == 0 ? 0 : z.getShape().get(0);
        if (supportRows > rows) {
            throw new IllegalArgumentException(
                    "labels name "
                            + supportRows
                            + " support rows but predictions have only "
                            + rows
                            + " rows (shape "
                            + z.getShape()
                            + ")");
        }
        if (supportRows == 0) {
            return compute(z, null, null, epoch);
        }
        long unlabeledRows = rows - supportRows;
        if (unlabeledRows == 0) {
            throw new IllegalArgumentException(
                    "labels name all "
                            + rows
                            + " rows of the predictions' z (predictionIndex "
                            + predictionIndex
                            + " of "
                            + InputChecks.shapes(predictions)
                            + "): no unlabeled views are left for NT-Xent"
                            + (predictions.size() == 2
                                    ? "; for NDList(zUnlabeled, zSupport) build the loss with"
                                            + " optSeparateSupport(true)"
                                    : ""));
        }
        try (NDArray unlabeled = z.get(new NDIndex("0:{}", unlabeledRows));
                NDArray support = z.get(new NDIndex("{}:", unlabeledRows))) {
            return compute(unlabeled, support, y, epoch);
        }
    }

    /**
     * Sets the 0-based epoch that {@link #evaluate} uses.
     *
     * @param epoch the epoch, ≥ 0
     */
    public void setEpoch(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
        }
        this.epoch = epoch;
    }

    /**
     * Returns the 0-based epoch that {@link #evaluate} uses.
     *
     * @return the epoch
     */
    public int getEpoch() {
        return epoch;
    }

    /**
     * Returns a listener that keeps {@link #getEpoch()} in step with a DJL {@code Trainer}: 0 when
     * training begins, one more after each epoch.
     *
     * @return the listener to add to the {@code DefaultTrainingConfig}
     */
    public TrainingListener epochListener() {
        return new TrainingListenerAdapter() {
            @Override
            public void onTrainingBegin(Trainer trainer) {
                setEpoch(0);
            }

            @Override
            public void onEpoch(Trainer trainer) {
                setEpoch(epoch + 1);
            }
        };
    }

    /**
     * Returns which array of the predictions list {@link #evaluate} reads as z: ≥ 0, or −1 (the
     * default) for the last.
     *
     * @return the prediction index
     */
    public int getPredictionIndex() {
        return predictionIndex;
    }

    /**
     * Returns whether {@link #evaluate} takes {@code NDList(zUnlabeled, zSupport)} instead of one
     * z.
     *
     * @return whether the support comes as a separate array
     */
    public boolean isSeparateSupport() {
        return separateSupport;
    }

    /**
     * Returns the NT-Xent component.
     *
     * @return the contrastive loss
     */
    public NtXentLoss getContrastiveLoss() {
        return contrastive;
    }

    /**
     * Returns the SuNCEt component.
     *
     * @return the supervised loss
     */
    public SuNCEtLoss getSupervisedLoss() {
        return supervised;
    }

    /**
     * Returns λ.
     *
     * @return the supervised weight
     */
    public float getSupervisedWeight() {
        return supervisedWeight;
    }

    /**
     * Returns E_sup: the supervised term is on for epochs {@code 0 .. E_sup − 1}.
     *
     * @return the number of supervised epochs
     */
    public int getSupervisedEpochs() {
        return supervisedEpochs;
    }

    /** Builds a {@link SuNCEtPretrainingLoss}. */
    public static final class Builder {
        String name = "SuNCEtPretrainingLoss";
        NtXentLoss contrastive = NtXentLoss.builder().build();
        SuNCEtLoss supervised = SuNCEtLoss.builder().build();
        float supervisedWeight = 1f;
        int supervisedEpochs = Integer.MAX_VALUE;
        int predictionIndex = -1;
        boolean predictionIndexSet;
        boolean separateSupport;

        Builder() {}

        /**
         * Sets which array of the predictions list {@link #evaluate} reads as z (default −1: the
         * last, so {@code NDList(z)} and {@code ContrastiveModel}'s {@code NDList(h, z)} both give
         * z). Cannot be combined with {@link #optSeparateSupport(boolean) optSeparateSupport(true)}.
         *
         * @param predictionIndex the index, ≥ 0, or −1 for the last array
         * @return this builder
         */
        public Builder optPredictionIndex(int predictionIndex) {
            this.predictionIndex = predictionIndex;
            this.predictionIndexSet = true;
            return this;
        }

        /**
         * Sets whether {@link #evaluate} takes the support as a separate array, {@code
         * predictions = NDList(zUnlabeled [V·n, D], zSupport [S, D])} (default false: one z at the
         * prediction index, the support its last S rows). A two-array list is read this way only
         * when this is set; by default it is {@code NDList(h, z)}.
         *
         * @param separateSupport whether the predictions are {@code NDList(zUnlabeled, zSupport)}
         * @return this builder
         */
        public Builder optSeparateSupport(boolean separateSupport) {
            this.separateSupport = separateSupport;
            return this;
        }

        /**
         * Sets the NT-Xent component (its τ and views per image; its prediction index is not
         * used).
         *
         * @param contrastive the contrastive loss
         * @return this builder
         */
        public Builder optContrastiveLoss(NtXentLoss contrastive) {
            if (contrastive == null) {
                throw new IllegalArgumentException("contrastive loss must not be null");
            }
            this.contrastive = contrastive;
            return this;
        }

        /**
         * Sets the SuNCEt component (its τ; its prediction index is not used).
         *
         * @param supervised the supervised loss
         * @return this builder
         */
        public Builder optSupervisedLoss(SuNCEtLoss supervised) {
            if (supervised == null) {
                throw new IllegalArgumentException("supervised loss must not be null");
            }
            this.supervised = supervised;
            return this;
        }

        /**
         * Sets λ, the weight of SuNCEt (default 1; finite, ≥ 0).
         *
         * @param weight λ
         * @return this builder
         */
        public Builder optSupervisedWeight(float weight) {
            this.supervisedWeight = weight;
            return this;
        }

        /**
         * Sets E_sup: SuNCEt is on for epochs {@code 0 .. E_sup − 1} and off from E_sup (default:
         * never off).
         *
         * @param epochs E_sup, ≥ 0
         * @return this builder
         */
        public Builder optSupervisedEpochs(int epochs) {
            this.supervisedEpochs = epochs;
            return this;
        }

        /**
         * Sets the display name.
         *
         * @param name the name
         * @return this builder
         */
        public Builder optName(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("name must be non-blank, got '" + name + "'");
            }
            this.name = name;
            return this;
        }

        /**
         * Builds the objective.
         *
         * @return the objective
         * @throws IllegalArgumentException if λ, E_sup or the prediction index is out of range, or
         *     both a prediction index and separate support are set
         */
        public SuNCEtPretrainingLoss build() {
            return new SuNCEtPretrainingLoss(this);
        }
    }
}
