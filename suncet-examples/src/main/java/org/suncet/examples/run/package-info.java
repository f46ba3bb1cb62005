/**
 * What a training program needs around its loop: a {@link org.suncet.examples.run.RunFolder} that
 * records the resolved configuration, seeds and {@link org.suncet.examples.run.Versions} and refuses
 * to clobber an earlier run; a per-epoch {@link org.suncet.examples.run.ProgressBar}, which a {@link
 * org.suncet.examples.run.ProgressBarTrainingListener} draws from a DJL trainer's listener events; metrics as an
 * append-only {@link org.suncet.examples.run.MetricsCsv} that a resumed run truncates back to its
 * checkpoint; PNG curves drawn by {@link org.suncet.examples.run.LinePlot}; and a {@link
 * org.suncet.examples.run.Checkpoint} of the model parameters and {@link
 * org.suncet.examples.run.TrainingState}, written atomically through {@link
 * org.suncet.examples.run.ChecksummedFile} so that a failed write never replaces a good checkpoint
 * and a corrupt one is refused on load; beside it, the DJL model folder {@link
 * org.suncet.examples.run.ModelDirectory} that DJL's {@code Criteria} loads without the training code.
 *
 * <p>The order a loop uses them in, per epoch: train with the progress bar; append the epoch's
 * metrics row; redraw the plots; write the model folder; save the checkpoint last. A run
 * interrupted at any point then resumes from its last checkpoint with {@link org.suncet.examples.run.MetricsCsv#resume} dropping
 * any row written after it, and ends with the same CSV as an uninterrupted run.
 *
 * <p>A {@link org.suncet.examples.run.StagedRunFolder} builds a new or overwritten run beside its
 * target and swaps it in at the first checkpoint, so a command that fails or is killed before then
 * leaves the earlier run intact; a write that fails (a full disk) ends with a {@link
 * org.suncet.examples.run.RunWriteException} naming the file and the last complete checkpoint. {@link
 * org.suncet.examples.run.TestHooks} lets tests fail or pause a run at an exact point.
 */
package org.suncet.examples.run;
