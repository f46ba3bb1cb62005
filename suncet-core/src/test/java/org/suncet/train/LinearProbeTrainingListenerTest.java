package org.suncet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.metric.Metric;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.suncet.train.SoftKnnTrainingListenerTest.Data;

/**
 * The linear-probe listener trains a zero-initialised linear classifier on the frozen,
 * standardised features of the memory and reports its held-out top-1: high on separable clusters,
 * chance on labels that carry no signal, the same on every call, and training bit for bit as it
 * was without it.
 */
class LinearProbeTrainingListenerTest {

    private static LinearProbeTrainingListener.Builder listener(Data data) {
        return LinearProbeTrainingListener.builder()
                .setMemory(data.memory(), data.memoryLabels())
                .setQueries(data.queries(), data.queryLabels())
                .setNumClasses(TinyClassification.CLASSES)
                .optEpochs(30)
                .optBatchSize(8);
    }

    private static Block initialised(NDManager manager) {
        Block block = SoftKnnTrainingListenerTest.network();
        block.initialize(manager, DataType.FLOAT32, new Shape(10, TinyClassification.FEATURES));
        return block;
    }

    /** Features that are the images themselves, scaled: the clusters stay separable. */
    private static Block scaledInput(NDManager manager) {
        Block block = new LambdaBlock(list -> new NDList(list.singletonOrThrow().mul(3f)));
        block.initialize(manager, DataType.FLOAT32, new Shape(10, TinyClassification.FEATURES));
        return block;
    }

    @Test
    void separableFeaturesGiveAnAccurateProbeAndTheModelIsOnlyRead() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Data data = SoftKnnTrainingListenerTest.data(manager);
            Block network = initialised(manager);
            List<byte[]> before = TinyClassification.bytes(network);
            LinearProbeTrainingListener probe = listener(data).build();
            int arrays = OpenResources.count(manager);
            double untrained = probe.evaluate(network);
            assertEquals(arrays, OpenResources.count(manager), "every array of the probe is closed");
            TinyClassification.assertBitIdentical(
                    before, TinyClassification.bytes(network), "parameters and BN statistics untouched");
            Block block = scaledInput(manager);
            double accuracy = probe.evaluate(block);
            System.out.println(
                    "linear probe top-1: " + untrained + " on an untrained network's logits, "
                            + accuracy + " on the inputs");
            assertTrue(accuracy >= 0.9, "separable clusters: top-1 " + accuracy);
            assertEquals(accuracy, probe.evaluate(block), "the same probe every call");
            assertTrue(probe.getHistory().isEmpty(), "evaluate records nothing");
        }
    }

    @Test
    void oneFullBatchStepIsNesterovOnTheClosedFormCrossEntropyGradient() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Data data = SoftKnnTrainingListenerTest.data(manager);
            float[] x = {1, 2, 0, -1, 0.5f, -2, 1, 0, 3, 1, -1, 2, 0, 0, 1, 1, -1, 1, 2, -3, 0.5f, 0.5f, 0, -1};
            long[] y = {0, 1, 2, 2, 1, 0};
            LinearProbeTrainingListener probe =
                    listener(data).optEpochs(1).optBatchSize(6).optLearningRate(0.1f).build();
            NDList trained = probe.train(manager.create(x, new Shape(6, 4)), manager.create(y));
            float[] weight = trained.get(0).toFloatArray(); // [4, 3]
            float[] bias = trained.get(1).toFloatArray(); // [3]
            // zero start: softmax is uniform, G = (1/3 − onehot(y)) / 6, v = g, w = −lr·(1 + m)·g
            double step = -0.1 * (1 + LinearProbeTrainingListener.MOMENTUM);
            for (int c = 0; c < 3; c++) {
                double biasGradient = 0;
                for (int n = 0; n < 6; n++) {
                    biasGradient += (1.0 / 3 - (y[n] == c ? 1 : 0)) / 6;
                }
                assertEquals(step * biasGradient, bias[c], 1e-6, "b[" + c + "]");
                for (int d = 0; d < 4; d++) {
                    double gradient = 0;
                    for (int n = 0; n < 6; n++) {
                        gradient += x[n * 4 + d] * (1.0 / 3 - (y[n] == c ? 1 : 0)) / 6;
                    }
                    assertEquals(step * gradient, weight[d * 3 + c], 1e-6, "W[" + d + ", " + c + "]");
                }
            }
        }
    }

    @Test
    void labelsWithoutSignalGiveAboutChance() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Data data = SoftKnnTrainingListenerTest.data(manager);
            // the query labels rotated by one class: the clusters now predict the wrong class
            long[] rotated = data.queryLabels().toLongArray();
            for (int i = 0; i < rotated.length; i++) {
                rotated[i] = (rotated[i] + 1) % TinyClassification.CLASSES;
            }
            NDArray wrong = manager.create(rotated);
            LinearProbeTrainingListener probe =
                    listener(data).setQueries(data.queries(), wrong).build();
            double accuracy = probe.evaluate(scaledInput(manager));
            assertTrue(accuracy <= 0.1, "rotated labels: top-1 " + accuracy);
        }
    }

    @Test
    void everyKEpochsItRecordsHistoryMetricsAndAModelPropertyAndTrainingIsUnchanged() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Data data = SoftKnnTrainingListenerTest.data(manager);
            List<byte[]> plain = SoftKnnTrainingListenerTest.train(data, 3, trainer -> {});
            LinearProbeTrainingListener probe = listener(data).optEvery(3).optMetricName("probe").build();
            List<Double> atEnd = new ArrayList<>();
            List<String> property = new ArrayList<>();
            List<List<Metric>> recorded = new ArrayList<>();
            List<byte[]> watched =
                    SoftKnnTrainingListenerTest.train(
                            data,
                            3,
                            trainer -> {
                                atEnd.add(probe.evaluate(trainer.getModel().getBlock()));
                                property.add(trainer.getModel().getProperty("probe"));
                                recorded.add(trainer.getMetrics().getMetric("probe"));
                            },
                            probe);
            TinyClassification.assertBitIdentical(plain, watched, "training with the listener");
            List<EpochAccuracy> history = probe.getHistory();
            assertEquals(1, history.size(), "k = 3 over 3 epochs: one measurement");
            assertEquals(new EpochAccuracy(3, atEnd.get(0)), history.get(0));
            assertEquals(1, recorded.get(0).size());
            assertEquals(atEnd.get(0), recorded.get(0).get(0).getValue().doubleValue(), 1e-12);
            assertEquals(String.format(java.util.Locale.ROOT, "%.5f", atEnd.get(0)), property.get(0));
        }
    }

    @Test
    void badSettingsAreRejected() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Data data = SoftKnnTrainingListenerTest.data(manager);
            List<Runnable> bad =
                    List.of(
                            () -> LinearProbeTrainingListener.builder().setNumClasses(3).build(),
                            () -> listener(data).setNumClasses(0).build(),
                            () -> listener(data).optEpochs(0).build(),
                            () -> listener(data).optBatchSize(0).build(),
                            () -> listener(data).optLearningRate(Float.NaN).build(),
                            () -> listener(data).optEvery(0).build(),
                            () -> listener(data).optFeatureIndex(-2).build(),
                            () -> listener(data).setMemory(data.memory(), data.queryLabels().get("0:3")).build());
            for (Runnable settings : bad) {
                assertThrows(IllegalArgumentException.class, settings::run);
            }
        }
    }
}
