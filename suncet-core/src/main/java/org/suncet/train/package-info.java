/**
 * Reusable pieces for assembling SimCLR, SimCLR v2 and SuNCEt training from DJL parts: the {@link
 * org.suncet.train.Lars} optimizer, the {@link org.suncet.train.WarmupCosineSchedule} learning-rate
 * tracker with its {@link org.suncet.train.LearningRateScaling} rules, the class-balanced labeled
 * {@link org.suncet.train.LabelSplit}, the C-classes × K-images {@link
 * org.suncet.train.ClassBalancedSampler} of SuNCEt's support batches, the steps ({@link
 * org.suncet.train.PretrainingStep}, {@link org.suncet.train.SupervisedStep} for fine-tuning,
 * linear probes and supervised baselines with {@link org.suncet.train.NesterovSgd}, and {@link
 * org.suncet.train.DistillationStep}, each of which checks by default that its loss and gradients
 * are finite before it updates anything: {@link org.suncet.train.FiniteCheck}, {@link
 * org.suncet.train.NonFiniteTrainingException}, and tells the trainer's DJL training listeners
 * about each batch as {@code EasyTrain} does, at the {@link org.suncet.train.BatchProgress} its
 * caller gives, with the step's loss in the trainer's DJL metrics: {@link
 * org.suncet.train.StepMetrics}), and evaluation ({@link org.suncet.train.ClassifierEvaluation}, {@link
 * org.suncet.train.SoftNearestNeighbour}, and as training listeners that measure held-out accuracy
 * every k epochs: {@link org.suncet.train.SoftKnnTrainingListener}, {@link
 * org.suncet.train.LinearProbeTrainingListener}).
 *
 * <p>Every random choice takes an explicit seed; all tensor arithmetic runs in NDArrays on the
 * device of its inputs and closes its temporaries.
 */
package org.suncet.train;
