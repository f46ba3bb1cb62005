package org.suncet.train;

import ai.djl.metric.Metric;
import ai.djl.metric.Metrics;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.Trainer;
import java.util.List;

/**
 * The values of each step that the library's steps ({@link PretrainingStep}, {@link
 * SupervisedStep}, {@link DistillationStep}) record in their trainer's DJL {@link Metrics}, so that
 * a training listener reads them where DJL users look for such values ({@code
 * trainer.getMetrics()}), in {@code onTrainingBatch}:
 *
 * <ul>
 *   <li>{@value #LOSS}: the step's loss (for the pre-training step the whole objective, NT-Xent + λ·SuNCEt
 *       as applied; for distillation {@code α·L_distill + (1−α)·CE}), the same value as the step's
 *       {@code Result.loss()} read to the host;
 *   <li>{@value #ACCURACY} (the supervised step only): the fraction of the batch whose top-1
 *       prediction in the training forward pass was right, the same value as {@link
 *       SupervisedStep.Result#accuracy()}.
 * </ul>
 *
 * <p>A step records them after its finite check and before it tells the listeners, only when the
 * trainer has metrics ({@code trainer.setMetrics(new Metrics())}; DJL's {@code EasyTrain} does not
 * set them, the suncet-examples recipes do when they have listeners); without metrics nothing is
 * read or recorded. Recording reads one scalar to the host per value; the finite check, on by
 * default, has already waited for the step's work, so on an asynchronous device the read adds a
 * small transfer but no wait. A step that fails its finite check records nothing. The values are
 * stored as doubles, which DJL's {@link Metric} keeps exactly: {@link #latest} returns the float32
 * loss widened to double, bit for bit.
 *
 * <p>These names are the library's own, not {@code EvaluatorTrainingListener}'s {@code
 * train_all_<loss>}: that listener recomputes the trainer's loss from the batch and records it
 * under its own name, and the two never mix.
 */
public final class StepMetrics {

    /** Metric name: the step's loss, one value per step. */
    public static final String LOSS = "step-loss";

    /** Metric name: the supervised step's top-1 training accuracy, in [0, 1], one value per step. */
    public static final String ACCURACY = "step-accuracy";

    private StepMetrics() {}

    /**
     * Returns the last value recorded under {@code name} in the trainer's metrics.
     *
     * @param trainer the trainer
     * @param name a metric name, e.g. {@link #LOSS}
     * @return the latest value, or NaN when the trainer has no metrics or none under that name
     */
    public static double latest(Trainer trainer, String name) {
        Metrics metrics = trainer.getMetrics();
        if (metrics == null) {
            return Double.NaN;
        }
        List<Metric> values = metrics.getMetric(name);
        synchronized (values) { // DJL's lists are synchronised lists
            return values.isEmpty() ? Double.NaN : values.get(values.size() - 1).getValue();
        }
    }

    /** Records {@code loss} under {@link #LOSS} when the trainer has metrics. */
    static void recordLoss(Trainer trainer, NDArray loss) {
        Metrics metrics = trainer.getMetrics();
        if (metrics != null) {
            metrics.addMetric(LOSS, hostValue(loss));
        }
    }

    /** Records {@code correct / rows} under {@link #ACCURACY} when the trainer has metrics. */
    static void recordAccuracy(Trainer trainer, NDArray correct, long rows) {
        Metrics metrics = trainer.getMetrics();
        if (metrics != null) {
            metrics.addMetric(ACCURACY, (double) correct.getLong() / rows);
        }
    }

    /** A scalar's value on the host: a float32 read as such, anything else through float64. */
    private static double hostValue(NDArray scalar) {
        if (scalar.getDataType() == DataType.FLOAT32) {
            return scalar.getFloat();
        }
        try (NDArray wide = scalar.toType(DataType.FLOAT64, true)) {
            return wide.getDouble();
        }
    }
}
