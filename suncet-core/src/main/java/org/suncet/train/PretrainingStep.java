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
 * projections, backward, and {@code trainer.step()}.
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
 */
public final class PretrainingStep {

    private final SuNCEtPretrainingLoss objective;
    private final int projectionIndex;

    /**
     * Creates a step.
     *
     * @param objective the combined objective (λ, E_sup and both temperatures live there)
     * @param projectionIndex which output of the model holds the projections; −1 for the last
     */
    public PretrainingStep(SuNCEtPretrainingLoss objective, int projectionIndex) {
        if (objective == null) {
            throw new IllegalArgumentException("objective must not be null");
        }
        if (projectionIndex < -1) {
            throw new IllegalArgumentException(
                    "projectionIndex must be >= 0, or -1 for the last output; got " + projectionIndex);
        }
        this.objective = objective;
        this.projectionIndex = projectionIndex;
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
     * Runs one step: forward, objective, backward, optimizer update.
     *
     * @param trainer the trainer of the model (its optimizer is applied)
     * @param unlabeledViews {@code [V·n, C, H, W]} view-major augmented views
     * @param supportImages {@code [S, C, H, W]} labeled images, or null for plain SimCLR
     * @param supportLabels {@code [S]} their class ids, or null with no support
     * @param epoch the 0-based epoch
     * @return the loss (a scalar owned by the views' manager) and the rows forwarded
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
        trainer.step();
        loss.attach(unlabeledViews.getManager());
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
