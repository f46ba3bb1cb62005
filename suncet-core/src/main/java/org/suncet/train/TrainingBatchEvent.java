package org.suncet.train;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.listener.TrainingListener.BatchData;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tells a trainer's listeners about one training batch, as DJL's {@code EasyTrain.trainBatch}
 * does: {@code onTrainingBatch(trainer, new BatchData(batch, labels, predictions))}, the labels
 * and predictions keyed by the predictions' device (one device: the steps forward the whole batch
 * at once). The library's steps call it after backward and their finite check, before {@code
 * trainer.step()}, so the listeners see the same point of a step as in EasyTrain, where {@code
 * trainer.step()} follows {@code trainBatch}.
 *
 * <p>The listeners' {@link Batch} holds the step's arrays without owning them: its own manager is
 * a fresh sub-manager of the trainer's, closed after the listeners return, so nothing the step's
 * caller owns changes manager. A trainer without listeners costs nothing.
 */
final class TrainingBatchEvent {

    private TrainingBatchEvent() {}

    /**
     * Notifies the trainer's listeners of a training batch.
     *
     * @param trainer the trainer whose listeners are told
     * @param data the rows forwarded
     * @param labels the labels the trainer's loss reads
     * @param predictions the model's outputs on {@code data}, at least one array
     * @param size the batch size the listeners see (rows forwarded)
     * @param progress where the batch stands in its epoch
     */
    static void notify(
            Trainer trainer,
            NDList data,
            NDList labels,
            NDList predictions,
            long size,
            BatchProgress progress) {
        boolean[] any = {false};
        trainer.notifyListeners(listener -> any[0] = true);
        if (!any[0]) {
            return;
        }
        Device device = predictions.head().getDevice();
        Map<Device, NDList> labelsByDevice = new ConcurrentHashMap<>();
        labelsByDevice.put(device, labels);
        Map<Device, NDList> predictionsByDevice = new ConcurrentHashMap<>();
        predictionsByDevice.put(device, predictions);
        try (StepBatch batch =
                new StepBatch(trainer.getManager().newSubManager(), data, labels, size, progress)) {
            BatchData batchData = new BatchData(batch, labelsByDevice, predictionsByDevice);
            trainer.notifyListeners(listener -> listener.onTrainingBatch(trainer, batchData));
        }
    }

    /** A {@link Batch} over arrays it does not own: closing it closes only its own manager. */
    private static final class StepBatch extends Batch {
        private final NDList data;
        private final NDList labels;

        StepBatch(NDManager manager, NDList data, NDList labels, long size, BatchProgress progress) {
            // empty lists to the super class, which would otherwise attach the arrays to manager
            super(
                    manager,
                    new NDList(),
                    new NDList(),
                    Math.toIntExact(size),
                    null,
                    null,
                    progress.progress(),
                    progress.total());
            this.data = data;
            this.labels = labels;
        }

        @Override
        public NDList getData() {
            return data;
        }

        @Override
        public NDList getLabels() {
            return labels;
        }

        @Override
        public Batch[] split(Device[] devices, boolean evenSplit) {
            throw new UnsupportedOperationException(
                    "a step's batch was forwarded whole on one device and cannot be split");
        }
    }
}
