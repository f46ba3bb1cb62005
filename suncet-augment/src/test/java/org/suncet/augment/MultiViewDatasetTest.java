package org.suncet.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link MultiViewDataset} makes the batches a contrastive loss reads: view-major rows, each the
 * keyed view of its image, the support's keyed draws after them and their class ids as labels; the
 * same settings give the same bits, the batched and per-image paths agree bit for bit (no blur),
 * and bad settings are rejected.
 */
class MultiViewDatasetTest {

    private static final int IMAGES = 20;
    private static final int CHANNELS = 3;
    private static final int SIDE = 10;
    private static final int OUT = 8;
    private static final int N = 6;
    private static final long SEED = 42;

    /** 20 random images {@code [3, 10, 10]} with float32 class ids {@code i mod 4}. */
    private static ArrayDataset source(NDManager manager) {
        NDArray images = Images.array(manager, Images.random(3, IMAGES * CHANNELS, SIDE, SIDE, false),
                IMAGES, CHANNELS, SIDE, SIDE);
        float[] labels = new float[IMAGES];
        for (int i = 0; i < IMAGES; i++) {
            labels[i] = i % 4;
        }
        return new ArrayDataset.Builder()
                .setData(images)
                .optLabels(manager.create(labels))
                .setSampling(1, false)
                .build();
    }

    private static SimClrAugmentation view(long seed) {
        return SimClrAugmentation.cifar(OUT).optSeed(seed).build();
    }

    /** Support batches of 4 draws per step, a pure function of the epoch; none in epoch 2. */
    private static Iterator<List<Long>> supportOf(int epoch) {
        if (epoch == 2) {
            return null;
        }
        Random random = new Random(100 + epoch);
        List<List<Long>> batches = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            List<Long> batch = new ArrayList<>();
            for (int p = 0; p < 4; p++) {
                batch.add((long) random.nextInt(IMAGES));
            }
            batches.add(batch);
        }
        return batches.iterator();
    }

    private static MultiViewDataset.Builder builder(ArrayDataset source) {
        return MultiViewDataset.builder()
                .setSource(source)
                .setViews(MultiViewTransform.repeat(view(SEED), 2))
                .setImagesPerBatch(N)
                .setSeed(SEED);
    }

    private static List<float[]> bits(Iterable<Batch> batches) {
        List<float[]> out = new ArrayList<>();
        for (Batch batch : batches) {
            try (batch) {
                out.add(batch.getData().singletonOrThrow().toFloatArray());
                out.add(batch.getLabels().singletonOrThrow().toType(DataType.FLOAT32, false).toFloatArray());
            }
        }
        return out;
    }

    private static void assertSameBits(List<float[]> expected, List<float[]> actual, String message) {
        assertEquals(expected.size(), actual.size(), message);
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), message + ": array " + i);
        }
    }

    @Test
    void rowsAreViewMajorKeyedViewsAndLabelsTheImageIndices() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ArrayDataset source = source(manager);
            MultiViewDataset dataset = builder(source).build();
            assertEquals(IMAGES / N, dataset.getStepsPerEpoch(), "⌊20 / 6⌋, the last partial batch dropped");
            assertEquals(2, dataset.getViewCount());
            MultiViewTransform views = MultiViewTransform.repeat(view(SEED), 2);
            List<Long> seen = new ArrayList<>();
            int step = 0;
            for (Batch batch : dataset.epoch(manager, 1)) {
                try (batch) {
                    long[] images = dataset.imagesOf(1, step);
                    NDArray rows = batch.getData().singletonOrThrow();
                    assertEquals(new Shape(2 * N, CHANNELS, OUT, OUT), rows.getShape());
                    assertEquals(DataType.FLOAT32, rows.getDataType());
                    for (int i = 0; i < N; i++) {
                        NDList expected = views.transform(source.get(manager, images[i]).getData().head(), 1, images[i]);
                        for (int v = 0; v < 2; v++) {
                            assertArrayEquals(expected.get(v).toFloatArray(),
                                    rows.get(new NDIndex("{}", v * N + i)).toFloatArray(),
                                    "row v·n + i is view v of image i (step " + step + ")");
                        }
                    }
                    long[] ids = batch.getLabels().singletonOrThrow().toLongArray();
                    long[] tiled = new long[2 * N];
                    for (int r = 0; r < 2 * N; r++) {
                        tiled[r] = images[r % N];
                    }
                    assertArrayEquals(tiled, ids, "labels: each row's image index");
                    assertEquals(2 * N, batch.getSize(), "size: the rows");
                    assertEquals((step + 1L) * N, batch.getProgress());
                    assertEquals(3L * N, batch.getProgressTotal());
                    assertEquals(Arrays.stream(images).boxed().toList(), batch.getIndices());
                    for (long image : images) {
                        seen.add(image);
                    }
                }
                step++;
            }
            assertEquals(3, step);
            assertEquals(seen.size(), seen.stream().distinct().count(), "no image twice in an epoch");
            long[] order = SeededPermutation.of(IMAGES, SEED * 1_000_003L + 1);
            assertEquals(Arrays.stream(order).limit(3L * N).boxed().toList(), seen,
                    "the order is the recipe's seeded Fisher–Yates permutation");
        }
    }

    @Test
    void theSupportFollowsTheViewsWithDrawKeyedViewsAndItsClassIdsAsLabels() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ArrayDataset source = source(manager);
            SimClrAugmentation supportView = view(SEED + 1);
            MultiViewDataset dataset =
                    builder(source).optSupport(MultiViewDatasetTest::supportOf, supportView).build();
            Iterator<List<Long>> schedule = supportOf(0);
            int step = 0;
            for (Batch batch : dataset.getData(manager)) {
                try (batch) {
                    List<Long> support = schedule.next();
                    NDArray rows = batch.getData().singletonOrThrow();
                    assertEquals(new Shape(2 * N + 4, CHANNELS, OUT, OUT), rows.getShape(), "[views; support]");
                    for (int p = 0; p < 4; p++) {
                        NDArray image = source.get(manager, support.get(p)).getData().head();
                        NDArray expected = supportView.transform(image, new ViewKey(0, step * 4L + p, 0));
                        assertArrayEquals(expected.toFloatArray(),
                                rows.get(new NDIndex("{}", 2 * N + p)).toFloatArray(),
                                "support draw p of step s keyed (epoch, s·S + p, 0)");
                    }
                    long[] classes = support.stream().mapToLong(i -> i % 4).toArray();
                    NDArray labels = batch.getLabels().singletonOrThrow();
                    assertEquals(DataType.INT64, labels.getDataType());
                    assertArrayEquals(classes, labels.toLongArray(), "labels: the support's class ids");
                    assertEquals(2 * N + 4, batch.getSize());
                    assertEquals(N + 4, batch.getIndices().size(), "unlabeled then support indices");
                    assertEquals(support, batch.getIndices().subList(N, N + 4));
                }
                step++;
            }
            assertEquals(1, dataset.getNextEpoch(), "getData moved the epoch counter");
            dataset.setNextEpoch(2);
            for (Batch batch : dataset.getData(manager)) {
                try (batch) {
                    assertEquals(new Shape(2 * N, CHANNELS, OUT, OUT), batch.getData().head().getShape(),
                            "an epoch without support has only views");
                    assertEquals(new Shape(0), batch.getLabels().head().getShape(), "and labels y [0]");
                }
            }
        }
    }

    @Test
    void theSameSettingsGiveTheSameBitsAndBothPathsAgree() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ArrayDataset source = source(manager);
            MultiViewDataset.Builder settings =
                    builder(source).optSupport(MultiViewDatasetTest::supportOf, view(SEED + 1));
            List<float[]> batched = bits(settings.build().epoch(manager, 1));
            assertSameBits(batched, bits(settings.build().epoch(manager, 1)), "same settings");
            MultiViewDataset perImage = settings.optBatchedAugmentation(false).optDevice(Device.cpu()).build();
            assertSameBits(batched, bits(perImage.epoch(manager, 1)), "per-image path");
            List<float[]> otherEpoch = bits(settings.build().epoch(manager, 0));
            assertFalse(Arrays.equals(batched.get(0), otherEpoch.get(0)), "another epoch, other views");
            List<float[]> otherSeed = bits(builder(source).setSeed(SEED + 5).build().epoch(manager, 1));
            assertFalse(Arrays.equals(batched.get(1), otherSeed.get(1)), "another seed, another order");
        }
    }

    @Test
    void batchesCloseEverythingTheyMadeAndRefuseToBeSplit() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ArrayDataset source = source(manager);
            MultiViewDataset dataset =
                    builder(source).optSupport(MultiViewDatasetTest::supportOf, view(SEED + 1)).build();
            try (NDManager epochManager = manager.newSubManager()) {
                for (Batch batch : dataset.epoch(epochManager, 0)) {
                    Batch used = batch;
                    assertThrows(IllegalStateException.class,
                            () -> used.split(new Device[] {Device.cpu(), Device.cpu()}, false));
                    batch.close();
                }
                assertEquals(0, epochManager.getManagedArrays().size(), "nothing left behind");
            }
        }
    }

    @Test
    void badSettingsAreRejected() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ArrayDataset source = source(manager);
            List<Runnable> bad = List.of(
                    () -> MultiViewDataset.builder().setViews(MultiViewTransform.repeat(view(1), 2))
                            .setImagesPerBatch(2).setSeed(1).build(),
                    () -> builder(source).setViews(null).build(),
                    () -> MultiViewDataset.builder().setSource(source)
                            .setViews(MultiViewTransform.repeat(view(1), 2)).setImagesPerBatch(2).build(),
                    () -> builder(source).setImagesPerBatch(0).build(),
                    () -> builder(source).setImagesPerBatch(IMAGES + 1).build(),
                    () -> builder(source).optStepsPerEpoch(4).build(),
                    () -> builder(source).optStepsPerEpoch(0).build(),
                    () -> builder(source).optSupport(MultiViewDatasetTest::supportOf, null).build(),
                    () -> builder(source).build().epoch(manager, -1),
                    () -> builder(source).build().setNextEpoch(-1),
                    () -> builder(source).build().imagesOf(0, 3));
            for (Runnable settings : bad) {
                assertThrows(IllegalArgumentException.class, settings::run);
            }
            // a schedule with fewer batches than the dataset's steps fails when the batch is made
            MultiViewDataset short1 = builder(source)
                    .optSupport(epoch -> List.of(List.of(1L, 2L)).iterator(), view(2)).build();
            Iterator<Batch> batches = short1.epoch(manager, 0).iterator();
            batches.next().close();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, batches::next);
            assertTrue(e.getMessage().contains("optStepsPerEpoch(3)"), e.getMessage());
        }
    }
}
