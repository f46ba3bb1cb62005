package org.suncet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.suncet.train.LarsTest.assertMessage;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.translate.TranslateException;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.Set;

class ClassBalancedSamplerTest {

    /** A label array with class c holding {@code sizes[c]} images, classes interleaved by seed. */
    static long[] labelsWithSizes(int[] sizes, long seed) {
        List<Long> labels = new ArrayList<>();
        for (int c = 0; c < sizes.length; c++) {
            for (int i = 0; i < sizes[c]; i++) {
                labels.add((long) c);
            }
        }
        Collections.shuffle(labels, new Random(seed));
        return labels.stream().mapToLong(Long::longValue).toArray();
    }

    static List<List<Long>> collect(Iterator<List<Long>> batches) {
        List<List<Long>> all = new ArrayList<>();
        batches.forEachRemaining(all::add);
        return all;
    }

    /** A stand-in dataset of {@code size} rows: the sampler only asks its size. */
    static RandomAccessDataset datasetOfSize(NDManager manager, long size) {
        return new ArrayDataset.Builder()
                .setData(manager.arange(0f, size, 1f).reshape(size, 1))
                .setSampling(1, false)
                .build();
    }

    @Property(tries = 60)
    void batchesAreCDistinctClassesTimesKDistinctImagesAndAnEpochReachesEveryImage(
            @ForAll @IntRange(min = 1, max = 9) int classes,
            @ForAll @IntRange(min = 1, max = 9) int classesPerBatchRaw,
            @ForAll @IntRange(min = 1, max = 5) int imagesPerClassRaw,
            @ForAll long seed) {
        Random random = new Random(seed);
        int[] sizes = new int[classes];
        for (int c = 0; c < classes; c++) {
            sizes[c] = 1 + random.nextInt(12);
        }
        int smallest = Arrays.stream(sizes).min().getAsInt();
        int classesPerBatch = 1 + (classesPerBatchRaw - 1) % classes;
        int imagesPerClass = 1 + (imagesPerClassRaw - 1) % smallest;
        long[] labels = labelsWithSizes(sizes, seed);
        ClassBalancedSampler sampler =
                ClassBalancedSampler.builder()
                        .setLabels(labels)
                        .setClassesPerBatch(classesPerBatch)
                        .setImagesPerClass(imagesPerClass)
                        .setSeed(seed)
                        .build();
        int largest = Arrays.stream(sizes).max().getAsInt();
        int passes = (largest + imagesPerClass - 1) / imagesPerClass;
        int stepsPerPass = (classes + classesPerBatch - 1) / classesPerBatch;
        assertEquals(passes * stepsPerPass, sampler.getStepsPerEpoch());
        assertEquals(classesPerBatch * imagesPerClass, sampler.getBatchSize());
        for (int epoch = 0; epoch < 2; epoch++) {
            List<List<Long>> batches = collect(sampler.batchesOfEpoch(epoch));
            assertEquals(sampler.getStepsPerEpoch(), batches.size());
            Set<Long> reached = new HashSet<>();
            Set<Long> classesThisPass = new HashSet<>();
            for (int step = 0; step < batches.size(); step++) {
                List<Long> batch = batches.get(step);
                assertEquals(classesPerBatch * imagesPerClass, batch.size());
                assertEquals(batch.size(), new HashSet<>(batch).size(), "repeat inside a batch");
                Set<Long> batchClasses = new HashSet<>();
                for (int c = 0; c < classesPerBatch; c++) {
                    long label = labels[(int) (long) batch.get(c * imagesPerClass)];
                    for (int k = 0; k < imagesPerClass; k++) {
                        assertEquals(
                                label,
                                labels[(int) (long) batch.get(c * imagesPerClass + k)],
                                "class-major");
                    }
                    batchClasses.add(label);
                }
                assertEquals(classesPerBatch, batchClasses.size(), "distinct classes");
                reached.addAll(batch);
                classesThisPass.addAll(batchClasses);
                if ((step + 1) % stepsPerPass == 0) {
                    assertEquals(classes, classesThisPass.size(), "a pass shows every class");
                    classesThisPass.clear();
                }
            }
            assertEquals(labels.length, reached.size(), "an epoch reaches every labeled image");
        }
    }

    @Test
    void epochLengthByHand() {
        // classes of 5, 3 and 8 images, C = 2, K = 3: ⌈8/3⌉ = 3 passes of ⌈3/2⌉ = 2 steps
        long[] labels = labelsWithSizes(new int[] {5, 3, 8}, 1);
        ClassBalancedSampler sampler =
                ClassBalancedSampler.builder()
                        .setLabels(labels)
                        .setClassesPerBatch(2)
                        .setImagesPerClass(3)
                        .setSeed(4)
                        .build();
        assertEquals(6, sampler.getStepsPerEpoch());
        assertEquals(6, collect(sampler.batchesOfEpoch(0)).size());
        ClassBalancedSampler shorter =
                ClassBalancedSampler.builder()
                        .setLabels(labels)
                        .setClassesPerBatch(2)
                        .setImagesPerClass(3)
                        .setSeed(4)
                        .optStepsPerEpoch(2)
                        .build();
        assertEquals(
                collect(sampler.batchesOfEpoch(0)).subList(0, 2),
                collect(shorter.batchesOfEpoch(0)));
    }

    @Test
    void sameSeedSameOrderAnotherSeedAnotherOrder() {
        long[] labels = labelsWithSizes(new int[] {20, 20, 20, 20, 20, 20}, 3);
        ClassBalancedSampler first = sampler(labels, 42);
        ClassBalancedSampler second = sampler(labels, 42);
        ClassBalancedSampler other = sampler(labels, 43);
        try (NDManager manager = NDManager.newBaseManager()) {
            RandomAccessDataset dataset = datasetOfSize(manager, labels.length);
            List<List<Long>> epoch0 = collect(first.sample(dataset));
            List<List<Long>> epoch1 = collect(first.sample(dataset));
            assertEquals(epoch0, collect(second.sample(dataset)));
            assertEquals(epoch1, collect(second.sample(dataset)));
            assertNotEquals(epoch0, epoch1, "successive epochs differ");
            assertNotEquals(epoch0, collect(other.sample(dataset)));
            assertEquals(2, first.getNextEpoch());
            // resuming at epoch 1 gives what an uninterrupted run gave
            ClassBalancedSampler resumed = sampler(labels, 42);
            resumed.setNextEpoch(1);
            assertEquals(epoch1, collect(resumed.sample(dataset)));
            assertEquals(epoch1, collect(first.batchesOfEpoch(1)));
        }
    }

    @Test
    void drawsOnlyTheSplitsIndices() {
        long[] labels = LabelSplitTest.interleaved(5, 40);
        LabelSplit split = LabelSplit.balanced(labels, 0.1, 9); // 4 per class
        ClassBalancedSampler sampler =
                ClassBalancedSampler.builder()
                        .setLabeledSplit(split)
                        .setClassesPerBatch(5)
                        .setImagesPerClass(4)
                        .setSeed(1)
                        .build();
        assertEquals(1, sampler.getStepsPerEpoch());
        List<Long> batch = collect(sampler.batchesOfEpoch(0)).get(0);
        List<Long> sorted = new ArrayList<>(batch);
        sorted.sort(null);
        long[] expected = split.indices();
        assertArrayEquals(expected, sorted.stream().mapToLong(Long::longValue).toArray());
        for (int c = 0; c < 5; c++) {
            for (int k = 1; k < 4; k++) {
                assertEquals(
                        labels[batch.get(c * 4).intValue()],
                        labels[batch.get(c * 4 + k).intValue()]);
            }
        }
    }

    @Test
    void feedsADjlDatasetWithClassMajorBatches() throws IOException, TranslateException {
        long[] labels = labelsWithSizes(new int[] {6, 6, 6, 6}, 8);
        ClassBalancedSampler sampler =
                ClassBalancedSampler.builder()
                        .setLabels(labels)
                        .setClassesPerBatch(2)
                        .setImagesPerClass(3)
                        .setSeed(5)
                        .build();
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] labelValues = new float[labels.length];
            for (int i = 0; i < labels.length; i++) {
                labelValues[i] = labels[i];
            }
            ArrayDataset dataset =
                    new ArrayDataset.Builder()
                            .setData(
                                    manager.arange(0f, labels.length, 1f).reshape(labels.length, 1))
                            .optLabels(manager.create(labelValues))
                            .setSampling(6, false)
                            .build();
            int steps = 0;
            for (Batch batch : dataset.getData(manager, sampler)) {
                try (batch) {
                    assertEquals(new Shape(6, 1), batch.getData().head().getShape());
                    float[] y = batch.getLabels().head().toFloatArray();
                    assertEquals(y[0], y[1]);
                    assertEquals(y[1], y[2]);
                    assertEquals(y[3], y[4]);
                    assertEquals(y[4], y[5]);
                    assertNotEquals(y[0], y[3]);
                    steps++;
                }
            }
            assertEquals(sampler.getStepsPerEpoch(), steps);
        }
    }

    @Test
    void badInputNamesTheArgument() {
        long[] labels = labelsWithSizes(new int[] {4, 2, 3}, 0);
        assertMessage("classesPerBatch", () -> builder(labels).setClassesPerBatch(4).build());
        assertMessage("classesPerBatch", () -> builder(labels).setClassesPerBatch(0).build());
        IllegalArgumentException tooMany =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> builder(labels).setImagesPerClass(3).build());
        assertTrue(
                tooMany.getMessage().contains("imagesPerClass")
                        && tooMany.getMessage().contains("class 1"));
        assertMessage("imagesPerClass", () -> builder(labels).setImagesPerClass(0).build());
        assertMessage("stepsPerEpoch", () -> builder(labels).optStepsPerEpoch(0).build());
        assertMessage(
                "seed",
                () ->
                        ClassBalancedSampler.builder()
                                .setLabels(labels)
                                .setClassesPerBatch(1)
                                .setImagesPerClass(1)
                                .build());
        assertMessage("labels", () -> ClassBalancedSampler.builder().setSeed(1).build());
        assertMessage(
                "labels[1]", () -> ClassBalancedSampler.builder().setLabels(new long[] {0, -2}));
        assertMessage("epoch", () -> builder(labels).build().batchesOfEpoch(-1));
        assertMessage("epoch", () -> builder(labels).build().setNextEpoch(-1));
        try (NDManager manager = NDManager.newBaseManager()) {
            RandomAccessDataset small = datasetOfSize(manager, labels.length - 1);
            assertMessage("dataset", () -> builder(labels).build().sample(small));
        }
    }

    @Test
    void anExhaustedClassReshufflesWithoutRepeatingInsideAStep() {
        // one class of 5 images, K = 3: steps take 3, then 2 + 1 from a fresh shuffle, ...
        long[] labels = new long[5];
        ClassBalancedSampler sampler =
                ClassBalancedSampler.builder()
                        .setLabels(labels)
                        .setClassesPerBatch(1)
                        .setImagesPerClass(3)
                        .setSeed(77)
                        .optStepsPerEpoch(40)
                        .build();
        List<List<Long>> batches = collect(sampler.batchesOfEpoch(0));
        List<Long> stream = new ArrayList<>();
        for (List<Long> batch : batches) {
            assertEquals(3, new HashSet<>(batch).size());
            stream.addAll(batch);
        }
        // the first 5 draws are the first pass: all 5 images once
        assertEquals(5, new HashSet<>(stream.subList(0, 5)).size());
        assertFalse(
                stream.subList(0, 5).equals(stream.subList(5, 10))
                        && stream.subList(5, 10).equals(stream.subList(10, 15)),
                "reshuffles should change the order");
    }

    private static ClassBalancedSampler.Builder builder(long[] labels) {
        return ClassBalancedSampler.builder()
                .setLabels(labels)
                .setClassesPerBatch(2)
                .setImagesPerClass(2)
                .setSeed(3);
    }

    private static ClassBalancedSampler sampler(long[] labels, long seed) {
        return ClassBalancedSampler.builder()
                .setLabels(labels)
                .setClassesPerBatch(2)
                .setImagesPerClass(3)
                .setSeed(seed)
                .build();
    }
}
