package org.suncet.examples.recipe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.Pair;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.suncet.examples.data.ImageData;
import org.suncet.train.LabelSplit;

/**
 * SimCLR + SuNCEt pre-training of the narrow ResNets that used to turn to NaN on some AVX-512
 * machines (oneDNN's strided 1×1 backward-weights kernel, see {@code SubsampledProjection} in
 * suncet-models) stays finite for 50 steps with 2 intra-op threads, and is reproducible: the same
 * seed and thread count give the same losses, bit for bit.
 */
class TrainingStabilityTest {

    private int threadsBefore;

    @BeforeEach
    void twoThreads() {
        Engine.getInstance(); // loads libtorch before its JNI functions are called
        threadsBefore = JniUtils.getNumThreads();
        JniUtils.setNumThreads(2);
    }

    @AfterEach
    void restoreThreads() {
        JniUtils.setNumThreads(threadsBefore);
    }

    private static PretrainConfig config(float width, int steps) {
        // SimCLR + SuNCEt, 64 unlabeled images (128 view rows) + a 5 × 2 support a step, LARS at
        // the CLI's default base rate 0.3 with warm-up; SuNCEt on for the whole epoch
        return new PretrainConfig(
                true, 1, 64, 5, 2, 0.5f, 0.1f, 1f, 1, 0.3f, 1e-6f, 0.1f, 18, width, 7, steps);
    }

    @ParameterizedTest(name = "width {0}")
    @ValueSource(floats = {0.0625f, 0.125f})
    void fiftyStepsStayFinite(float width, @TempDir Path scratch) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ImageData data = ContrastivePretrainingTest.subset(manager, scratch, 50 * 64);
            LabelSplit split = LabelSplit.balanced(data.labels(), 0.1, 1);
            List<Double> means = new ArrayList<>();
            try (ContrastivePretraining run = new ContrastivePretraining(config(width, 50), data, split)) {
                run.runEpoch(0, (epoch, step, steps, meanLoss, rows) -> means.add(meanLoss));
                assertEquals(50, means.size());
                for (int step = 0; step < means.size(); step++) {
                    // the running mean is finite exactly when every loss so far is
                    assertTrue(Double.isFinite(means.get(step)),
                            "loss not finite by step " + (step + 1) + ": " + means);
                }
                // a non-finite gradient would have made its parameter non-finite through LARS
                for (Pair<String, Parameter> pair : run.getNetwork().getParameters()) {
                    for (float value : pair.getValue().getArray().toFloatArray()) {
                        assertTrue(Float.isFinite(value), pair.getKey() + " is not finite");
                    }
                }
            }
        }
    }

    @Test
    void sameSeedAndThreadsGiveTheSameLosses(@TempDir Path scratch) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ImageData data = ContrastivePretrainingTest.subset(manager, scratch, 12 * 64);
            LabelSplit split = LabelSplit.balanced(data.labels(), 0.1, 1);
            double[] first = losses(data, split);
            double[] second = losses(data, split);
            assertEquals(12, first.length);
            // exact: the same kernels on the same data with the same threads, in the same order
            assertArrayEquals(first, second, 0);
        }
    }

    private static double[] losses(ImageData data, LabelSplit split) {
        List<Double> means = new ArrayList<>();
        try (ContrastivePretraining run = new ContrastivePretraining(config(0.0625f, 12), data, split)) {
            run.runEpoch(0, (epoch, step, steps, meanLoss, rows) -> means.add(meanLoss));
        }
        return means.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
