package org.suncet.examples.recipe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.training.dataset.Dataset;
import ai.djl.util.Pair;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.suncet.examples.data.DebianFashionMnist;
import org.suncet.examples.data.ImageData;
import org.suncet.train.LabelSplit;
import org.suncet.train.PretrainingStep;

class ContrastivePretrainingTest {

    static ImageData subset(NDManager manager, Path scratch, int size) throws Exception {
        ImageData all =
                ImageData.fashionMnist(DebianFashionMnist.DEFAULT_FOLDER, Dataset.Usage.TEST, manager, scratch);
        return new ImageData(
                all.images().get(new NDIndex("0:{}", size)), Arrays.copyOf(all.labels(), size), 10);
    }

    @Test
    void aShortSuNCEtPretrainingLowersTheObjectiveAndCountsRows(@TempDir Path scratch) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ImageData data = subset(manager, scratch, 512);
            LabelSplit split = LabelSplit.balanced(data.labels(), 0.2, 1);
            PretrainConfig defaults = PretrainConfig.defaults(true, 3, 7);
            PretrainConfig config =
                    // base learning rate 0.1: with 0.3, 24 steps moved the per-epoch objective up and
                    // down by ±0.2 (AMD EPYC Zen 5, right kernels: 7.07, 6.85, 7.14); with 0.1 it fell
                    // 7.07, 7.01, 6.82
                    new PretrainConfig(true, 3, 64, 5, 2, 0.5f, 0.1f, 1f, 3, 0.1f, 1e-6f, 0.1f, 18, 0.125f, 7, 0);
            assertTrue(defaults.suncet());
            try (ContrastivePretraining run = new ContrastivePretraining(config, data, split)) {
                long start = System.nanoTime();
                double first = run.runEpoch(0, null);
                run.runEpoch(1, null);
                double last = run.runEpoch(2, null);
                System.out.printf("pretraining: %.1f s for 3 epochs of 8 steps, loss %.3f -> %.3f%n",
                        (System.nanoTime() - start) / 1e9, first, last);
                assertEquals(8, run.getStepsPerEpoch());
                assertEquals(3L * 8 * (2 * 64 + 5 * 2), run.getRowsForwarded());
                assertTrue(last < first, "objective " + first + " -> " + last);
                PretrainingStep.Terms terms = run.getEpochTerms();
                System.out.println("last epoch's mean terms: " + terms);
                assertEquals(1.0, terms.supervisedWeight());
                assertTrue(terms.ntXent() > 0 && terms.suncet() > 0, terms.toString());
                assertTrue(terms.ntXentGradientNorm() > 0 && terms.suncetGradientNorm() > 0, terms.toString());
                assertTrue(terms.meanFeatureNorm() > 0, terms.toString());
                // bound: the mean objective is the mean of NT-Xent + λ·SuNCEt per step, each step's
                // float32 total rounded once (~1e-7 relative), the means summed in double
                assertEquals(last, terms.ntXent() + terms.suncet(), 1e-5 * last);
            }
        }
    }

    /**
     * A SuNCEt run with λ = 0 never draws nor forwards a support batch, so it is the SimCLR run of
     * the same seed, bit for bit (the meaning of "λ = 0 is SimCLR at the same rows" for a recipe
     * whose support shares batch norm with the views: see PretrainingStepTermsTest).
     */
    @Test
    void aSuNCEtRunWithLambdaZeroIsTheSimclrRunBitForBit(@TempDir Path scratch) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ImageData data = subset(manager, scratch, 128);
            LabelSplit split = LabelSplit.balanced(data.labels(), 0.2, 1);
            double[] losses = new double[2];
            List<float[]> parameters = new ArrayList<>();
            for (int variant = 0; variant < 2; variant++) {
                PretrainConfig config =
                        new PretrainConfig(variant == 0, 1, 32, 5, 2, 0.5f, 0.1f, variant == 0 ? 0f : 1f, 1,
                                0.3f, 1e-6f, 0.1f, 18, 0.125f, 7, 2);
                try (ContrastivePretraining run = new ContrastivePretraining(config, data, split)) {
                    losses[variant] = run.runEpoch(0, null);
                    assertEquals(2L * 2 * 32, run.getRowsForwarded(), "no support forwarded");
                    assertEquals(0.0, run.getEpochTerms().supervisedWeight());
                    for (Pair<String, Parameter> p : run.getNetwork().getParameters()) {
                        float[] values = p.getValue().getArray().toFloatArray();
                        if (variant == 0) {
                            parameters.add(values);
                        } else {
                            assertArrayEquals(parameters.remove(0), values, p.getKey()); // bit for bit
                        }
                    }
                }
            }
            assertEquals(losses[1], losses[0]); // bit for bit
        }
    }

    /**
     * A labeled image drawn twice in one epoch gets two different views (the key of a support view
     * is the draw, step·S + position, not the image), and the same seed gives the same views.
     */
    @Test
    void aSupportImageDrawnAgainGetsAFreshViewReplayableFromTheSeed(@TempDir Path scratch) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ImageData data = subset(manager, scratch, 128);
            LabelSplit split = LabelSplit.balanced(data.labels(), 0.2, 1);
            PretrainConfig config =
                    new PretrainConfig(true, 1, 32, 2, 2, 0.5f, 0.1f, 1f, 1, 0.3f, 1e-6f, 0.1f, 18, 0.125f, 7, 2);
            long[] images = {3, 5, 3, 9}; // image 3 twice in a step, and again at the next step
            float[][] first = new float[3][];
            try (ContrastivePretraining run = new ContrastivePretraining(config, data, split);
                    NDManager views = manager.newSubManager()) {
                NDArray step0 = run.supportViews(views, 0, 0, images);
                NDArray step1 = run.supportViews(views, 0, 1, images);
                first[0] = step0.get(0).toFloatArray();
                first[1] = step0.get(2).toFloatArray();
                first[2] = step1.get(0).toFloatArray();
                assertFalse(Arrays.equals(first[0], first[1]), "two draws in one step");
                assertFalse(Arrays.equals(first[0], first[2]), "draws at two steps");
                NDArray otherEpoch = run.supportViews(views, 1, 0, images);
                assertFalse(Arrays.equals(first[0], otherEpoch.get(0).toFloatArray()), "another epoch");
            }
            try (ContrastivePretraining again = new ContrastivePretraining(config, data, split);
                    NDManager views = manager.newSubManager()) {
                NDArray step0 = again.supportViews(views, 0, 0, images);
                NDArray step1 = again.supportViews(views, 0, 1, images);
                assertArrayEquals(first[0], step0.get(0).toFloatArray()); // bit for bit
                assertArrayEquals(first[1], step0.get(2).toFloatArray());
                assertArrayEquals(first[2], step1.get(0).toFloatArray());
            }
        }
    }
}
