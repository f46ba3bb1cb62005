/**
 * Reusable pieces for assembling SimCLR, SimCLR v2 and SuNCEt training from DJL parts: the {@link
 * org.suncet.train.Lars} optimizer, the {@link org.suncet.train.WarmupCosineSchedule} learning-rate
 * tracker with its {@link org.suncet.train.LearningRateScaling} rules, the class-balanced labeled
 * {@link org.suncet.train.LabelSplit}, the C-classes × K-images {@link
 * org.suncet.train.ClassBalancedSampler} of SuNCEt's support batches, and the {@link
 * org.suncet.train.SoftNearestNeighbour} evaluation.
 *
 * <p>Every random choice takes an explicit seed; all tensor arithmetic runs in NDArrays on the
 * device of its inputs and closes its temporaries.
 */
package org.suncet.train;
