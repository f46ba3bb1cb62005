package org.suncet.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Backward through the whole network (with intermediates closed during forward) agrees with central
 * finite differences in float64, batch norm in training mode.
 */
class ResNetGradientTest {

    /**
     * Training-mode cases keep at least 8 values per batch-norm channel: over 2 values batch norm
     * is nearly a sign function and finite differences stop meaning anything. The selective-kernel
     * attention normalises one value per image, so it is checked in inference mode.
     */
    @ParameterizedTest(name = "resnet{0} sk {1} training {2} at {3}px")
    @CsvSource({"18, 0, true, 8", "50, 0, true, 16", "50, 0.0625, false, 8"})
    void inputGradientMatchesFiniteDifferences(int depth, float sk, boolean training, int size) {
        ResNet network =
                ResNet.builder()
                        .setDepth(depth)
                        .optWidthMultiplier(1f / 16)
                        .optCifarStem(true)
                        .optSelectiveKernelRatio(sk)
                        .build();
        Shape input = new Shape(2, 3, size, size);
        try (NDManager parameters = NDManager.newBaseManager();
                NDManager data = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(21);
            network.initialize(parameters, DataType.FLOAT64, input);
            ParameterStore store = new ParameterStore(parameters, false);
            NDArray x = data.randomNormal(input).toType(DataType.FLOAT64, false);
            NDArray weights =
                    data.randomNormal(new Shape(2, network.getFeatureSize()))
                            .toType(DataType.FLOAT64, false);
            x.setRequiresGradient(true);
            double[] gradient;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray loss = objective(network, store, x, weights, training);
                collector.backward(loss);
                gradient = x.getGradient().toDoubleArray();
            }
            NDArray base = x.stopGradient();
            // small steps: batch norm over 2 images and ReLU kinks make the objective stiff
            double step = 1e-7;
            int[] coordinates = {0, 17, 95, 130, 250, (int) input.size() - 1};
            for (int coordinate : coordinates) {
                double[] unit = new double[(int) input.size()];
                unit[coordinate] = step;
                NDArray delta = data.create(unit, input);
                double plus =
                        objective(network, store, base.add(delta), weights, training).getDouble();
                double minus =
                        objective(network, store, base.sub(delta), weights, training).getDouble();
                double numeric = (plus - minus) / (2 * step);
                assertEquals(
                        numeric,
                        gradient[coordinate],
                        1e-6 + 1e-5 * Math.abs(numeric),
                        "coordinate " + coordinate);
            }
        }
    }

    private static NDArray objective(
            ResNet network, ParameterStore store, NDArray x, NDArray weights, boolean training) {
        NDArray features = network.forward(store, new NDList(x), training).singletonOrThrow();
        return features.mul(weights).sum();
    }
}
