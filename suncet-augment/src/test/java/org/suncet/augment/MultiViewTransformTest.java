package org.suncet.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class MultiViewTransformTest {

    @Test
    void viewsUseTheirOwnTransformAndViewIndex() {
        SimClrAugmentation simclr = SimClrAugmentation.imagenet(8).optSeed(1).build();
        SimClrAugmentation plain = SimClrAugmentation.cropAndFlip(6).optSeed(2).build();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray image = Images.array(m, Images.random(1, 3, 14, 14, false), 3, 14, 14);
            NDList two = MultiViewTransform.repeat(simclr, 2).transform(image, 3, 7);
            assertEquals(2, two.size());
            // exact equalities in this test: the same parameters through the same per-image ops
            assertArrayEquals(simclr.transform(image, new ViewKey(3, 7, 0)).toFloatArray(), two.get(0).toFloatArray());
            assertArrayEquals(simclr.transform(image, new ViewKey(3, 7, 1)).toFloatArray(), two.get(1).toFloatArray());
            assertFalse(Arrays.equals(two.get(0).toFloatArray(), two.get(1).toFloatArray()));
            MultiViewTransform asymmetric = MultiViewTransform.of(simclr, plain);
            NDList views = asymmetric.transform(image, 0, 1);
            assertEquals(new Shape(3, 8, 8), views.get(0).getShape());
            assertEquals(new Shape(3, 6, 6), views.get(1).getShape());
            List<Object> recorded = asymmetric.draw(0, 1, 14, 14);
            NDList replayed = asymmetric.apply(image, recorded);
            for (int v = 0; v < 2; v++) {
                assertArrayEquals(views.get(v).toFloatArray(), replayed.get(v).toFloatArray());
            }
            ImageOpsTest.assertMessage("wrong type", () -> asymmetric.apply(image, List.of(recorded.get(0), "x")));
            ImageOpsTest.assertMessage("one parameter value per view", () -> asymmetric.apply(image, List.of(recorded.get(0))));
        }
    }

    @Test
    void batchAndTransformPaths() {
        SimClrAugmentation simclr = SimClrAugmentation.cifar(8).optSeed(5).build();
        MultiViewTransform two = MultiViewTransform.repeat(simclr, 2);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray batch = Images.array(m, Images.random(2, 9, 10, 10, false), 3, 3, 10, 10);
            NDList views = two.transformBatch(batch, 2, new long[] {4, 5, 6});
            for (int v = 0; v < 2; v++) {
                for (int i = 0; i < 3; i++) {
                    // batched vs per image, bit-identical by construction: element-wise steps in the same
                    // order (BatchedSimClrView) and no blur in the CIFAR preset
                    ImageOpsTest.check(views.get(v).get(i),
                            simclr.transform(batch.get(i), new ViewKey(2, 4 + i, v)), 0);
                }
            }
            NDArray stacked = two.transform(batch.get(0));
            assertEquals(new Shape(2, 3, 8, 8), stacked.getShape());
            // the same per-image call: identical
            ImageOpsTest.check(stacked.get(1), simclr.transform(batch.get(0), new ViewKey(0, 0, 1)), 0);
        }
        ImageOpsTest.assertMessage("at least one view", () -> MultiViewTransform.of());
        ImageOpsTest.assertMessage("view count", () -> MultiViewTransform.repeat(simclr, 0));
    }
}
