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
 *   <li>In DJL's {@code Trainer} ({@link #evaluate}): {@code predictions = NDList(z)} with {@code z
 *       = [unlabeled views (V·n rows, view-major); labeled support (S rows)]} and {@code labels =
 *       NDList(y [S])}; the last {@code S = y.size} rows are routed to SuNCEt, the others to
 *       NT-Xent. {@code predictions = NDList(zUnlabeled, zSupport)} is accepted too. Empty labels
 *       mean plain SimCLR. The epoch is set by {@link #setEpoch} or by adding {@link
 *       #epochListener()} to the training config.
 *   <li>In a user's own loop: {@link #compute(NDArray, NDArray, NDArray, int)}, stateless.
 * </ul>
 *
 * <p>Defaults: λ = 1, E_sup = never (the reference switches off at 250 of 300/500 ImageNet epochs).
 * Bad input ({@link IllegalArgumentException}): everything the two component losses reject, more
 * labels than rows, λ &lt; 0 or not finite, E_sup &lt; 0, a negative epoch.
 */
public final class SuNCEtPretrainingLoss extends AccumulatingLoss {

    private final NtXentLoss contrastive;
    private final SuNCEtLoss supervised;
    private final float supervisedWeight;
    private final int supervisedEpochs;
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
        NDArray loss = contrastive.evaluate(null, new NDList(unlabeledViews));
        if (!isSupervisedAt(epoch) || support == null) {
            return new Terms(loss, loss, null);
        }
        if (supportLabels == null) {
            throw new IllegalArgumentException("supportLabels are required with a support batch");
        }
        NDArray supervisedLoss = supervised.evaluate(new NDList(supportLabels), new NDList(support));
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
     * @param predictions {@code NDList(z)} with the support as the last S rows, or {@code
     *     NDList(zUnlabeled, zSupport)}
     * @return the scalar loss
     */
    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        if (predictions == null || predictions.isEmpty() || predictions.size() > 2) {
            throw new IllegalArgumentException(
                    "predictions must be NDList(z) or NDList(zUnlabeled, zSupport), got "
                            + (predictions == null ? "null" : predictions.getShapes()));
        }
        NDArray y = labels == null || labels.isEmpty() ? null : InputChecks.single(labels, "labels");
        if (predictions.size() == 2) {
            return compute(predictions.get(0), predictions.get(1), y, epoch);
        }
        NDArray z = predictions.head();
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

        Builder() {}

        /**
         * Sets the NT-Xent component (its τ and views per image).
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
         * Sets the SuNCEt component (its τ).
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
         * @throws IllegalArgumentException if λ or E_sup is out of range
         */
        public SuNCEtPretrainingLoss build() {
            return new SuNCEtPretrainingLoss(this);
        }
    }
}
