/**
 * Contrastive and distillation losses as DJL {@link ai.djl.training.loss.Loss}es: {@link
 * org.suncet.loss.NtXentLoss} (SimCLR), {@link org.suncet.loss.SuNCEtLoss} (SuNCEt), {@link
 * org.suncet.loss.SupConLoss} (SupCon), {@link org.suncet.loss.NcaLoss} (NCA), {@link
 * org.suncet.loss.DistillationLoss} (SimCLRv2), the combined {@link
 * org.suncet.loss.SuNCEtPretrainingLoss}, and {@link org.suncet.loss.ContrastiveAccuracy}.
 *
 * <p>The four contrastive losses differ only in their {@link org.suncet.loss.Similarity}, their
 * positive set (other views of the image, or other rows of the class) and their {@link
 * org.suncet.loss.PositiveAggregation}; {@link org.suncet.loss.ContrastiveCore} computes all of
 * them with one masked, max-shifted log-sum-exp, on the input's device, with no per-row loops.
 * By default the losses use a fused computation instead ({@code FusedContrastiveCore}): the same
 * loss and its gradient in one pass over blocks of rows, without the {@code M × M} matrix;
 * {@code optFused(false)} selects {@code ContrastiveCore}'s autograd computation (see {@link
 * org.suncet.loss.AbstractContrastiveLoss}).
 */
package org.suncet.loss;
