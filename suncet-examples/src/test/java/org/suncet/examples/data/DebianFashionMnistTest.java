package org.suncet.examples.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.basicdataset.cv.classification.FashionMnist;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.dataset.Record;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DebianFashionMnistTest {

    @Test
    void loadsBothSplitsOfficiallySizedWithLabelsInRange(@TempDir Path repository) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            FashionMnist test =
                    DebianFashionMnist.load(
                            DebianFashionMnist.DEFAULT_FOLDER, Dataset.Usage.TEST, manager, repository);
            assertEquals(10_000, test.size());
            Record first = test.get(manager, 0);
            // a record is the raw image: HWC, 0-255 (DJL applies its pipeline only when batching)
            assertEquals(new ai.djl.ndarray.types.Shape(28, 28, 1), first.getData().head().getShape());
            // the first test image of Fashion-MNIST is an ankle boot (class 9)
            assertEquals(9f, first.getLabels().head().getFloat());
            float max = first.getData().head().max().getFloat();
            assertTrue(max > 127f && max <= 255f, "pixel values 0-255, max " + max);
        }
    }

    @Test
    void aFolderWithoutTheFilesIsNamed(@TempDir Path empty) {
        try (NDManager manager = NDManager.newBaseManager()) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> DebianFashionMnist.load(empty, Dataset.Usage.TRAIN, manager, empty));
            assertTrue(e.getMessage().contains(empty.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("dataset-fashion-mnist"), e.getMessage());
        }
    }
}
