package org.suncet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import org.suncet.loss.SuNCEtPretrainingLoss;

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
 */
public final class PretrainingStep {

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
     * @return the loss (a scalar owned by the views' manager) and the rows forwarded
     * @throws NonFiniteTrainingException if the check is on and the objective or a gradient is
     *     non-finite; nothing was updated and the gradients are zeroed
     */
    public Result run(
            Trainer trainer,
            NDArray unlabeledViews,
            NDArray supportImages,
            NDArray supportLabels,
            int epoch) {
        boolean supervised = supportImages != null && needsSupport(epoch);
        if (supervised) {
            checkSupport(unlabeledViews, supportImages, supportLabels);
        }
        long viewRows = unlabeledViews.getShape().get(0);
        long rows = viewRows + (supervised ? supportImages.getShape().get(0) : 0);
        NDArray loss;
        try (GradientCollector collector = trainer.newGradientCollector()) {
            NDArray batch =
                    supervised
                            ? NDArrays.concat(new NDList(unlabeledViews, supportImages))
                            : unlabeledViews;
            NDList outputs = trainer.forward(new NDList(batch));
            NDArray z = outputs.get(projectionIndex < 0 ? outputs.size() - 1 : projectionIndex);
            if (supervised) {
                try (NDArray views = z.get(new NDIndex("0:{}", viewRows));
                        NDArray support = z.get(new NDIndex("{}:", viewRows))) {
                    loss = objective.compute(views, support, supportLabels, epoch);
                }
            } else {
                loss = objective.compute(z, null, null, epoch);
            }
            collector.backward(loss);
            outputs.close();
            if (batch != unlabeledViews) {
                batch.close();
            }
        }
        loss.attach(unlabeledViews.getManager());
        if (checkFinite) {
            FiniteCheck.checkBeforeUpdate(loss, trainer);
        }
        trainer.step();
        return new Result(loss, rows);
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
     * @param loss the scalar objective of the step, detached from the graph after backward
     * @param rowsForwarded the number of image rows the model forwarded
     */
    public record Result(NDArray loss, long rowsForwarded) {}
}
