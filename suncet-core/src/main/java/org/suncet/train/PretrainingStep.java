package org.suncet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import org.suncet.loss.SuNCEtPretrainingLoss;
import org.suncet.ndarray.MallocTuning;

/**
 * One SimCLR or SimCLR + SuNCEt pre-training step (Assran et al. 2020, arXiv 2006.10803, SPEC
 * §2.6): a single forward pass over {@code [unlabeled views (V·n rows, view-major); labeled support
 * (S rows)]}, so that batch norm sees every row, then {@link SuNCEtPretrainingLoss} on the
 * projections, backward, a {@link FiniteCheck} of the loss and gradients, and {@code
 * trainer.step()}.
 *
 * <pre>
 *   z = model([views; support])[projectionIndex]
 *   L = NtXent(z[0 : V·n]) + λ·[epoch &lt; E_sup]·SuNCEt(z[V·n :], y)
 * </pre>
 *
 * <p>Without a support batch (or from epoch E_sup on, when {@link #needsSupport(int)} is false)
 * the step is plain SimCLR: the support is not forwarded and costs nothing. The compute of a step
 * is the number of rows forwarded ({@link Result#rowsForwarded()}), the unit in which SPEC §3
 * compares methods.
 *
 * <p><b>Per-term diagnostics.</b> The objective is computed on a leaf copy {@code z'} of z, backward
 * gives {@code g = ∂L/∂z'}, and the backward of the surrogate {@code sum(z ⊙ stopGradient(g))}
 * (gradient at z: exactly g) carries it through the network: one backward through the network, as
 * before, and the same parameter gradients bit for bit. Because NT-Xent sees only the view rows
 * and SuNCEt only the support rows, each term's gradient at z is its rows of g; their norms, the
 * terms' values and the mean ‖h‖ come back in {@link Result}.
 *
 * <p>The model's output at {@code projectionIndex} (default: the last output, so {@code NDList(h,
 * z)} gives z) must be {@code [rows, D]}. Bad input ({@link IllegalArgumentException}): views or
 * support of different per-image shapes, support without labels or labels of another length, a
 * negative epoch, plus what the objective rejects.
 *
 * <p><b>Non-finite values.</b> By default the step checks, after backward and before {@code
 * trainer.step()}, that the objective and every trainable parameter's gradient are finite ({@link
 * FiniteCheck}: one host read per step); if not, it zeroes the gradients and throws {@link
 * NonFiniteTrainingException}, so the parameters and the optimizer keep the last good step's
 * state. A contrastive loss with value checks on (their default) rejects non-finite projections
 * itself, earlier, with an {@link IllegalArgumentException}; build the objective's losses with
 * {@code optCheckValues(false)} to have every non-finite value reported by the step. {@code new
 * PretrainingStep(objective, index, false)} switches the check off.
 *
 * <p><b>Training listeners.</b> After backward and the finite check, before {@code
 * trainer.step()} (where DJL's {@code EasyTrain} tells them), the step calls {@code
 * onTrainingBatch} on the trainer's listeners with a {@code BatchData} as EasyTrain builds it:
 * the batch holds {@code NDList(rows forwarded)} ({@code [views; support]}, or the views alone)
 * and its size is the number of rows; labels {@code NDList(y [S])}, or an empty list when the
 * support was not forwarded (what {@link SuNCEtPretrainingLoss#evaluate} reads); predictions the
 * model's outputs. So a {@code DefaultTrainingConfig} with {@code TrainingListener.Defaults}, a
 * {@code SaveModelTrainingListener} or a user's listener works in a loop built on this step; the
 * loop itself fires {@code onEpoch} (the trainer fires {@code onTrainingBegin} when it is made and
 * {@code onTrainingEnd} when it is closed). A step that fails its finite check tells no listener.
 * Listeners only read: the step's arithmetic is the same with and without them.
 *
 * <p><b>Phase timings.</b> When the trainer has DJL {@code Metrics} ({@code
 * trainer.setMetrics(new Metrics())}), a step records, as EasyTrain does, each phase's wall time in
 * nanoseconds through {@code trainer.addMetric}: {@value #METRIC_OBJECTIVE} (the objective on z,
 * forward only), {@value #METRIC_BACKWARD} (the objective's backward to z and the network's),
 * {@value #METRIC_DIAGNOSTICS} (the terms above, on the device), {@value #METRIC_FINITE_CHECK} (the
 * check with its one host read) and {@value #METRIC_LISTENERS}; the trainer itself records {@code
 * forward} and {@code step} (the optimizer update). It also records the objective's value as
 * {@link StepMetrics#LOSS}, before it tells the listeners, so a listener reads the step's loss
 * there. Without metrics nothing is recorded. On an asynchronous device a phase's time is when its
 * work was queued, not done, except for the finite check's host read, which waits for all of it.
 */
public final class PretrainingStep {

    /** Metric name: the objective's forward on the projections (nanoseconds). */
    public static final String METRIC_OBJECTIVE = "pretraining-objective";

    /** Metric name: backward through the objective and the network (nanoseconds). */
    public static final String METRIC_BACKWARD = "backward";

    /** Metric name: the step's diagnostics ({@link Result#terms()}) on the device (nanoseconds). */
    public static final String METRIC_DIAGNOSTICS = "pretraining-diagnostics";

    /** Metric name: the {@link FiniteCheck} with its host read (nanoseconds). */
    public static final String METRIC_FINITE_CHECK = "finite-check";

    /** Metric name: telling the training listeners {@code onTrainingBatch} (nanoseconds). */
    public static final String METRIC_LISTENERS = "training-listeners";

    private final SuNCEtPretrainingLoss objective;
    private final int projectionIndex;
    private final boolean checkFinite;

    /**
     * Creates a step that checks the loss and gradients are finite before each update.
     *
     * @param objective the combined objective (λ, E_sup and both temperatures live there)
     * @param projectionIndex which output of the model holds the projections; −1 for the last
     */
    public PretrainingStep(SuNCEtPretrainingLoss objective, int projectionIndex) {
        this(objective, projectionIndex, true);
    }

    /**
     * Creates a step.
     *
     * @param objective the combined objective (λ, E_sup and both temperatures live there)
     * @param projectionIndex which output of the model holds the projections; −1 for the last
     * @param checkFinite whether to run {@link FiniteCheck} before each update (default true)
     */
    public PretrainingStep(
            SuNCEtPretrainingLoss objective, int projectionIndex, boolean checkFinite) {
        MallocTuning.ensureApplied();
        if (objective == null) {
            throw new IllegalArgumentException("objective must not be null");
        }
        if (projectionIndex < -1) {
            throw new IllegalArgumentException(
                    "projectionIndex must be >= 0, or -1 for the last output; got " + projectionIndex);
        }
        this.objective = objective;
        this.projectionIndex = projectionIndex;
        this.checkFinite = checkFinite;
    }

    /**
     * Returns whether a step at {@code epoch} uses the support batch; when false a loader need not
     * load it.
     *
     * @param epoch the 0-based epoch
     * @return whether SuNCEt is on
     */
    public boolean needsSupport(int epoch) {
        return objective.isSupervisedAt(epoch);
    }

    /**
     * Runs one step: forward, objective, backward, finite check, optimizer update.
     *
     * @param trainer the trainer of the model (its optimizer is applied)
     * @param unlabeledViews {@code [V·n, C, H, W]} view-major augmented views
     * @param supportImages {@code [S, C, H, W]} labeled images, or null for plain SimCLR
     * @param supportLabels {@code [S]} their class ids, or null with no support
     * @param epoch the 0-based epoch
     * @return the loss (a scalar owned by the views' manager), the rows forwarded and each term's
     *     value and gradient norm at z
     * @throws NonFiniteTrainingException if the check is on and the objective or a gradient is
     *     non-finite; nothing was updated and the gradients are zeroed
     */
    public Result run(
            Trainer trainer,
            NDArray unlabeledViews,
            NDArray supportImages,
            NDArray supportLabels,
            int epoch) {
        return run(
                trainer, unlabeledViews, supportImages, supportLabels, epoch, BatchProgress.SINGLE);
    }

    /**
     * Runs one step, as {@link #run(Trainer, NDArray, NDArray, NDArray, int)}, telling the
     * trainer's listeners where the batch stands in its epoch.
     *
     * @param trainer the trainer of the model (its optimizer is applied, its listeners told)
     * @param unlabeledViews {@code [V·n, C, H, W]} view-major augmented views
     * @param supportImages {@code [S, C, H, W]} labeled images, or null for plain SimCLR
     * @param supportLabels {@code [S]} their class ids, or null with no support
     * @param epoch the 0-based epoch
     * @param progress the batch's place in its epoch, reported to the listeners
     * @return the loss (a scalar owned by the views' manager), the rows forwarded and each term's
     *     value and gradient norm at z
     * @throws NonFiniteTrainingException if the check is on and the objective or a gradient is
     *     non-finite; nothing was updated, the gradients are zeroed and no listener was told
     */
    public Result run(
            Trainer trainer,
            NDArray unlabeledViews,
            NDArray supportImages,
            NDArray supportLabels,
            int epoch,
            BatchProgress progress) {
        if (progress == null) {
            throw new IllegalArgumentException(
                    "progress must not be null (BatchProgress.SINGLE for none)");
        }
        boolean supervised = supportImages != null && needsSupport(epoch);
        if (supervised) {
            checkSupport(unlabeledViews, supportImages, supportLabels);
        }
        long viewRows = unlabeledViews.getShape().get(0);
        long rows = viewRows + (supervised ? supportImages.getShape().get(0) : 0);
        NDArray loss;
        NDArray terms;
        NDArray batch;
        NDList outputs;
        try (GradientCollector collector = trainer.newGradientCollector()) {
            batch =
                    supervised
                            ? NDArrays.concat(new NDList(unlabeledViews, supportImages))
                            : unlabeledViews;
            outputs = trainer.forward(new NDList(batch));
            NDArray z = outputs.get(projectionIndex < 0 ? outputs.size() - 1 : projectionIndex);
            // the objective runs on a leaf copy of z, so that ∂L/∂z can be read (PyTorch keeps no
            // gradient of an intermediate array); then ∂L/∂z is pushed through the network with
            // the surrogate sum(z ⊙ stopGradient(∂L/∂z)), whose gradient at z is ∂L/∂z exactly
            try (NDArray projections = z.stopGradient()) {
                projections.setRequiresGradient(true);
                SuNCEtPretrainingLoss.Terms parts;
                long begin = System.nanoTime();
                if (supervised) {
                    try (NDArray views = projections.get(new NDIndex("0:{}", viewRows));
                            NDArray support = projections.get(new NDIndex("{}:", viewRows))) {
                        parts = objective.computeTerms(views, support, supportLabels, epoch);
                    }
                } else {
                    parts = objective.computeTerms(projections, null, null, epoch);
                }
                loss = parts.total();
                trainer.addMetric(METRIC_OBJECTIVE, begin);
                begin = System.nanoTime();
                collector.backward(loss);
                try (NDArray gradient = projections.getGradient();
                        NDArray surrogate = z.mul(gradient).sum()) {
                    collector.backward(surrogate);
                    trainer.addMetric(METRIC_BACKWARD, begin);
                    begin = System.nanoTime();
                    terms = terms(parts, gradient, viewRows, outputs);
                    trainer.addMetric(METRIC_DIAGNOSTICS, begin);
                }
                if (parts.supervised() != null) {
                    parts.contrastive().close();
                    parts.supervised().close();
                }
            }
        }
        try {
            loss.attach(unlabeledViews.getManager());
            terms.attach(unlabeledViews.getManager());
            if (checkFinite) {
                long begin = System.nanoTime();
                FiniteCheck.checkBeforeUpdate(loss, trainer);
                trainer.addMetric(METRIC_FINITE_CHECK, begin);
            }
            StepMetrics.recordLoss(trainer, loss);
            NDList labels = supervised ? new NDList(supportLabels) : new NDList();
            long begin = System.nanoTime();
            TrainingBatchEvent.notify(
                    trainer, new NDList(batch), labels, outputs, rows, progress);
            trainer.addMetric(METRIC_LISTENERS, begin);
        } finally {
            outputs.close();
            if (batch != unlabeledViews) {
                batch.close();
            }
        }
        trainer.step();
        float weight = supervised ? objective.getSupervisedWeight() : 0f;
        return new Result(loss, rows, terms, weight);
    }

    /**
     * Stacks the step's diagnostics on the device: {@code [NT-Xent, SuNCEt (NaN when off),
     * ‖∂L_ntxent/∂z‖, ‖λ·∂L_suncet/∂z‖ (0 when off), mean ‖h‖ (NaN without h)]}. The two terms see
     * disjoint rows of z (views, support), so each term's gradient is its rows of ∂L/∂z.
     */
    private NDArray terms(
            SuNCEtPretrainingLoss.Terms parts, NDArray gradient, long viewRows, NDList outputs) {
        NDManager manager = gradient.getManager();
        DataType type = gradient.getDataType();
        try (NDManager scope = manager.newSubManager()) {
            NDArray contrastive = parts.contrastive().stopGradient();
            scope.attachAll(contrastive);
            NDArray supervisedValue =
                    parts.supervised() == null
                            ? scope.create(Float.NaN).toType(type, false)
                            : parts.supervised().stopGradient();
            scope.attachAll(supervisedValue);
            NDArray viewGradient = gradient.get(new NDIndex("0:{}", viewRows));
            scope.attachAll(viewGradient);
            NDArray contrastiveNorm = viewGradient.square().sum().sqrt();
            NDArray supervisedNorm;
            if (gradient.getShape().get(0) > viewRows) {
                NDArray supportGradient = gradient.get(new NDIndex("{}:", viewRows));
                scope.attachAll(supportGradient);
                supervisedNorm = supportGradient.square().sum().sqrt();
            } else {
                supervisedNorm = scope.zeros(new Shape(), type, gradient.getDevice());
            }
            NDArray featureNorm = meanFeatureNorm(outputs, scope, type, gradient);
            NDArray stacked =
                    NDArrays.stack(
                            new NDList(
                                    contrastive.reshape(new Shape()),
                                    supervisedValue.toDevice(gradient.getDevice(), false)
                                            .reshape(new Shape()),
                                    contrastiveNorm,
                                    supervisedNorm,
                                    featureNorm));
            stacked.attach(manager);
            return stacked;
        }
    }

    /** Mean over rows of ‖h_i‖ for the first output when the model gives more than one, else NaN. */
    private NDArray meanFeatureNorm(NDList outputs, NDManager scope, DataType type, NDArray like) {
        int zIndex = projectionIndex < 0 ? outputs.size() - 1 : projectionIndex;
        if (outputs.size() < 2 || zIndex == 0) {
            return scope.create(Float.NaN).toType(type, false).toDevice(like.getDevice(), false);
        }
        NDArray h = outputs.get(0).stopGradient();
        scope.attachAll(h);
        NDArray flat = h.reshape(h.getShape().get(0), -1); // [rows, F...] -> [rows, F]
        return flat.square().sum(new int[] {1}).sqrt().mean().toType(type, false);
    }

    private static void checkSupport(NDArray views, NDArray support, NDArray labels) {
        if (!views.getShape().slice(1).equals(support.getShape().slice(1))) {
            throw new IllegalArgumentException(
                    "support images must have the views' per-image shape "
                            + views.getShape().slice(1)
                            + ", got "
                            + support.getShape());
        }
        if (labels == null || labels.getShape().dimension() != 1
                || labels.getShape().get(0) != support.getShape().get(0)) {
            throw new IllegalArgumentException(
                    "support labels must have shape ["
                            + support.getShape().get(0)
                            + "], got "
                            + (labels == null ? "null" : labels.getShape()));
        }
    }

    /**
     * What a step did.
     *
     * <p>{@code terms} holds, on the device and in z's dtype, what a user tuning λ needs, read to
     * the host in one transfer by {@link #readTerms()}:
     *
     * <pre>
     *   [0] NT-Xent value                       [1] SuNCEt value, unweighted (NaN when off)
     *   [2] ‖∂L_ntxent/∂z‖_F over the V·n view rows
     *   [3] ‖λ·∂L_suncet/∂z‖_F over the S support rows (0 when off)
     *   [4] mean over the forwarded rows of ‖h_i‖₂, h the model's first output (NaN without one)
     * </pre>
     *
     * @param loss the scalar objective of the step, detached from the graph after backward
     * @param rowsForwarded the number of image rows the model forwarded
     * @param terms the {@code [5]} diagnostics above
     * @param supervisedWeight λ as applied at this step: the objective's λ when SuNCEt was on, else 0
     */
    public record Result(NDArray loss, long rowsForwarded, NDArray terms, float supervisedWeight) {

        /**
         * Reads {@link #terms()} to the host (one transfer).
         *
         * @return the diagnostics as doubles
         */
        public Terms readTerms() {
            double[] values = terms.toType(DataType.FLOAT64, false).toDoubleArray();
            return new Terms(
                    values[0], values[1], supervisedWeight, values[2], values[3], values[4]);
        }
    }

    /**
     * One step's terms on the host (see {@link Result}).
     *
     * @param ntXent the NT-Xent value
     * @param suncet the SuNCEt value without λ; NaN when SuNCEt was off
     * @param supervisedWeight λ as applied (0 when SuNCEt was off)
     * @param ntXentGradientNorm ‖∂L_ntxent/∂z‖, Frobenius, over the view rows
     * @param suncetGradientNorm ‖λ·∂L_suncet/∂z‖, Frobenius, over the support rows; 0 when off
     * @param meanFeatureNorm mean ‖h_i‖ over the forwarded rows; NaN when the model gives no h
     */
    public record Terms(
            double ntXent,
            double suncet,
            double supervisedWeight,
            double ntXentGradientNorm,
            double suncetGradientNorm,
            double meanFeatureNorm) {}
}
