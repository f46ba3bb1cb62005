/**
 * The training subcommands of the {@code suncet} program ({@code pretrain}, {@code finetune},
 * {@code evaluate}, {@code distill}) and what they share: flag parsing ({@link
 * org.suncet.examples.cli.Options}), the data a configuration names ({@link
 * org.suncet.examples.cli.TrainingData}) and the per-epoch bookkeeping of run folder, metrics,
 * plots and checkpoints.
 */
package org.suncet.examples.cli;
