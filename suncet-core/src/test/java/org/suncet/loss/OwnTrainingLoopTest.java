package org.suncet.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import org.junit.jupiter.api.Test;

/** The README's "own training step", run: the objective trains a small network and leaks nothing. */
class OwnTrainingLoopTest {

    @Test
    void theReadmeStepLowersTheObjectiveAndKeepsNativeMemoryFlat() {
        int n = 16;
        int classes = 4;
        int perClass = 2;
        int features = 24;
        SuNCEtPretrainingLoss objective =
                SuNCEtPretrainingLoss.builder()
                        .optContrastiveLoss(NtXentLoss.builder().optTemperature(0.5f).build())
                        .optSupervisedLoss(SuNCEtLoss.builder().optTemperature(0.1f).build())
                        .optSupervisedEpochs(250)
                        .build();
        SequentialBlock network =
                new SequentialBlock()
                        .add(Linear.builder().setUnits(32).build())
                        .add(Activation::relu)
                        .add(Linear.builder().setUnits(16).build());
        try (Model model = Model.newInstance("readme");
                NDManager data = NDManager.newBaseManager()) {
            model.setBlock(network);
            data.getEngine().setRandomSeed(3);
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(objective)
                            .optOptimizer(
                                    Optimizer.sgd()
                                            .setLearningRateTracker(Tracker.fixed(0.05f))
                                            .build())
                            .addTrainingListeners(objective.epochListener());
            NDArray images = data.randomNormal(new Shape(n, features));
            NDArray prototypes = data.randomNormal(new Shape(classes, features)).mul(2);
            NDArray supportLabels =
                    data.arange(0, classes, 1, DataType.INT64).repeat(perClass);
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(2 * n + classes * perClass, features));
                trainer.notifyListeners(listener -> listener.onTrainingBegin(trainer));
                float first = 0;
                float last = 0;
                int arraysAfterFirstStep = -1;
                for (int step = 0; step < 40; step++) {
                    float value;
                    try (NDManager stepManager = data.newSubManager()) {
                        NDArray view1 = noisy(images, stepManager);
                        NDArray view2 = noisy(images, stepManager);
                        NDArray support = noisy(prototypes.repeat(0, perClass), stepManager);
                        try (GradientCollector collector = trainer.newGradientCollector()) {
                            NDArray batch = NDArrays.concat(new NDList(view1, view2, support));
                            NDArray z = trainer.forward(new NDList(batch)).head();
                            NDArray loss =
                                    objective.compute(
                                            z.get("0:{}", 2 * n),
                                            z.get("{}:", 2 * n),
                                            supportLabels,
                                            objective.getEpoch());
                            value = loss.getFloat();
                            collector.backward(loss);
                        }
                        trainer.step();
                    }
                    if (step == 0) {
                        first = value;
                        arraysAfterFirstStep = trainer.getManager().getManagedArrays().size();
                    }
                    last = value;
                }
                assertTrue(last < first - 0.1f, "objective went from " + first + " to " + last);
                assertEquals(arraysAfterFirstStep, trainer.getManager().getManagedArrays().size());
                trainer.notifyListeners(listener -> listener.onEpoch(trainer));
                assertEquals(1, objective.getEpoch());
            }
        }
    }

    private static NDArray noisy(NDArray x, NDManager manager) {
        NDArray noise = manager.randomNormal(0f, 0.3f, x.getShape(), DataType.FLOAT32);
        return noise.add(x);
    }
}
