package org.suncet.examples.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.dataset.Dataset;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.suncet.examples.data.DebianFashionMnist;
import org.suncet.examples.data.ImageData;
import org.suncet.train.LabelSplit;

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
                    new PretrainConfig(true, 3, 64, 5, 2, 0.5f, 0.1f, 1f, 3, 0.3f, 1e-6f, 0.1f, 18, 0.125f, 7, 0);
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
            }
        }
    }
}
