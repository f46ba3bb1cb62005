package org.suncet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.metric.Metric;
import ai.djl.metric.Metrics;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.training.tracker.Tracker;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The soft-kNN listener measures what {@link SoftNearestNeighbour} computes on the frozen
 * features, every k epochs, records it in its history, the trainer's metrics and the model's
 * properties, and leaves training bit for bit as it was.
 */
class SoftKnnTrainingListenerTest {

    static final int PER_CLASS = 10;

    /** A tiny classifier with batch norm (so inference mode matters): 8 → 16 → BN → ReLU → 3. */
    static SequentialBlock network() {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(16).build())
                .add(BatchNorm.builder().build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(TinyClassification.CLASSES).build());
    }

    /** Memory, queries and a training set drawn from the same seeded clusters. */
    record Data(NDArray memory, NDArray memoryLabels, NDArray queries, NDArray queryLabels, NDList train) {}

    static Data data(NDManager manager) {
        manager.getEngine().setRandomSeed(12);
        NDArray prototypes = TinyClassification.prototypes(manager);
        NDList memory = TinyClassification.sample(prototypes, PER_CLASS);
        NDList queries = TinyClassification.sample(prototypes, PER_CLASS);
        NDList train = TinyClassification.sample(prototypes, 2 * PER_CLASS);
        return new Data(memory.get(0), memory.get(1), queries.get(0), queries.get(1), train);
    }

    /**
     * Trains {@link #network()} with EasyTrain for {@code epochs} epochs from seed 4, with the
     * given extra listeners and DJL's metrics on; returns the final parameters.
     */
    static List<byte[]> train(
            Data data, int epochs, Consumer<Trainer> atEnd, TrainingListener... listeners) throws Exception {
        try (Model model = Model.newInstance("knn-listener")) {
            model.getNDManager().getEngine().setRandomSeed(4);
            model.setBlock(network());
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                            .optDevices(new Device[] {Device.cpu()})
                            .optOptimizer(
                                    NesterovSgd.builder()
                                            .setLearningRateTracker(Tracker.fixed(0.05f))
                                            .build())
                            .addTrainingListeners(listeners);
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.setMetrics(new Metrics());
                trainer.initialize(new Shape(10, TinyClassification.FEATURES));
                ArrayDataset dataset =
                        new ArrayDataset.Builder()
                                .setData(data.train().get(0))
                                .optLabels(data.train().get(1))
                                .setSampling(10, false)
                                .build();
                EasyTrain.fit(trainer, epochs, dataset, null);
                atEnd.accept(trainer);
                return TinyClassification.bytes(model.getBlock());
            }
        }
    }

    private static SoftKnnTrainingListener.Builder listener(Data data) {
        return SoftKnnTrainingListener.builder()
                .setMemory(data.memory(), data.memoryLabels())
                .setQueries(data.queries(), data.queryLabels())
                .setNumClasses(TinyClassification.CLASSES);
    }

    @Test
    void measuresTheSoftNearestNeighbourAccuracyOfTheFrozenFeatures() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Data data = data(manager);
            Block block = network();
            block.initialize(manager, DataType.FLOAT32, new Shape(10, TinyClassification.FEATURES));
            List<byte[]> before = TinyClassification.bytes(block);
            SoftKnnTrainingListener knn = listener(data).optTemperature(0.5f).build();
            double accuracy = knn.evaluate(block);
            TinyClassification.assertBitIdentical(
                    before, TinyClassification.bytes(block), "parameters and BN statistics untouched");
            double expected;
            try (NDManager scratch = manager.newSubManager()) {
                ClassifierEvaluation extraction = ClassifierEvaluation.builder().build();
                NDArray memory = extraction.extractFeatures(block, data.memory());
                NDArray queries = extraction.extractFeatures(block, data.queries());
                memory.attach(scratch);
                queries.attach(scratch);
                expected =
                        SoftNearestNeighbour.builder()
                                .setNumClasses(TinyClassification.CLASSES)
                                .optTemperature(0.5f)
                                .build()
                                .accuracy(queries, data.queryLabels(), memory, data.memoryLabels());
            }
            assertEquals(expected, accuracy, "what SoftNearestNeighbour computes on the features");
            assertEquals(accuracy, knn.evaluate(block), "deterministic");
            assertTrue(knn.getHistory().isEmpty(), "evaluate records nothing");
        }
    }

    @Test
    void everyKEpochsItRecordsHistoryMetricsAndAModelPropertyAndTrainingIsUnchanged() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Data data = data(manager);
            List<byte[]> plain = train(data, 4, trainer -> {});
            SoftKnnTrainingListener knn = listener(data).optEvery(2).build();
            double[] atEnd = new double[1];
            String[] property = new String[1];
            List<List<Metric>> recorded = new ArrayList<>();
            List<byte[]> watched =
                    train(
                            data,
                            4,
                            trainer -> {
                                atEnd[0] = knn.evaluate(trainer.getModel().getBlock());
                                property[0] = trainer.getModel().getProperty(knn.getMetricName());
                                recorded.add(trainer.getMetrics().getMetric(knn.getMetricName()));
                            },
                            knn);
            TinyClassification.assertBitIdentical(plain, watched, "training with the listener");
            assertEquals(SoftKnnTrainingListener.DEFAULT_METRIC_NAME, knn.getMetricName());
            List<EpochAccuracy> history = knn.getHistory();
            assertEquals(List.of(2, 4), history.stream().map(EpochAccuracy::epoch).toList());
            assertEquals(atEnd[0], history.get(1).accuracy(), "the last measurement is of the final model");
            assertTrue(atEnd[0] >= 0.9, "separable clusters: " + history);
            assertEquals(2, recorded.get(0).size(), "one metric value per measurement");
            assertEquals(history.get(0).accuracy(), recorded.get(0).get(0).getValue().doubleValue(), 1e-12);
            assertEquals(String.format(java.util.Locale.ROOT, "%.5f", atEnd[0]), property[0]);
        }
    }

    @Test
    void badSettingsAreRejected() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Data data = data(manager);
            List<Runnable> bad =
                    List.of(
                            () -> SoftKnnTrainingListener.builder().setNumClasses(3).build(),
                            () -> listener(data).setMemory(null, null).build(),
                            () -> listener(data).setNumClasses(0).build(),
                            () -> listener(data).optTemperature(0f).build(),
                            () -> listener(data).optEvery(0).build(),
                            () -> listener(data).optFeatureIndex(-2).build(),
                            () -> listener(data).optBatchSize(0).build(),
                            () -> listener(data).optMetricName("").build(),
                            () -> listener(data).setQueries(data.queries(), data.memoryLabels().get("0:5")).build());
            for (Runnable settings : bad) {
                assertThrows(IllegalArgumentException.class, settings::run);
            }
        }
    }
}
