package org.suncet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.suncet.train.LarsTest.assertMessage;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

class LabelSplitTest {

    /** 10 classes × 100 images, labels interleaved: index i has class i mod 10. */
    static long[] interleaved(int classes, int perClass) {
        long[] labels = new long[classes * perClass];
        Arrays.setAll(labels, i -> i % classes);
        return labels;
    }

    @Test
    void tenPercentOfABalancedSetIsTenPerClass() {
        long[] labels = interleaved(10, 100);
        LabelSplit split = LabelSplit.balanced(labels, 0.1, 7);
        assertEquals(100, split.size());
        assertEquals(1000, split.datasetSize());
        for (int count : split.countsPerClass().values()) {
            assertEquals(10, count);
        }
        assertEquals(10, split.countsPerClass().size());
        long[] indices = split.indices();
        long[] sorted = indices.clone();
        Arrays.sort(sorted);
        assertArrayEquals(sorted, indices, "indices ascending");
        assertEquals(100, Arrays.stream(indices).distinct().count());
        long[] splitLabels = split.labels();
        for (int i = 0; i < indices.length; i++) {
            assertEquals(labels[(int) indices[i]], splitLabels[i]);
        }
    }

    @Test
    void roundingRuleIsHalfUpOfFractionTimesImagesOverClasses() {
        long[] labels = interleaved(4, 10); // 40 images in 4 classes
        // 0.125 · 40 / 4 = 1.25 → 1 per class; 0.15 · 40 / 4 = 1.5 → 2; 0.01 · 40 / 4 = 0.1 → error
        assertEquals(4, LabelSplit.balanced(labels, 0.125, 1).size());
        assertEquals(8, LabelSplit.balanced(labels, 0.15, 1).size());
        assertMessage("fraction", () -> LabelSplit.balanced(labels, 0.01, 1));
        assertEquals(40, LabelSplit.balanced(labels, 1.0, 1).size());
    }

    @Test
    void aFractionLargerThanTheSmallestClassAllowsIsAnError() {
        long[] labels = {0, 0, 0, 0, 0, 0, 1, 1}; // 8 images, class 1 has 2
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class, () -> LabelSplit.balanced(labels, 1.0, 3));
        assertTrue(
                e.getMessage().contains("fraction") && e.getMessage().contains("class 1"),
                e.getMessage());
        assertEquals(4, LabelSplit.balanced(labels, 0.5, 3).size());
    }

    @Property(tries = 50)
    void sameSeedSameSplitAndSmallerFractionIsASubset(
            @ForAll @IntRange(min = 2, max = 12) int classes,
            @ForAll @IntRange(min = 5, max = 60) int perClass,
            @ForAll @DoubleRange(min = 0.2, max = 1.0) double larger,
            @ForAll long seed) {
        long[] labels = shuffledLabels(classes, perClass, seed);
        double smaller = larger / 2;
        LabelSplit big = LabelSplit.balanced(labels, larger, seed);
        assertArrayEquals(big.indices(), LabelSplit.balanced(labels, larger, seed).indices());
        Map<Long, Integer> counts = big.countsPerClass();
        assertEquals(classes, counts.size());
        assertEquals(1, new HashSet<>(counts.values()).size(), "class balance " + counts);
        if (smaller * perClass >= 1.0) {
            Set<Long> bigSet = new HashSet<>();
            for (long index : big.indices()) {
                bigSet.add(index);
            }
            for (long index : LabelSplit.balanced(labels, smaller, seed).indices()) {
                assertTrue(bigSet.contains(index), "smaller split not inside the larger one");
            }
        }
    }

    @Test
    void anotherSeedGivesAnotherSplit() {
        long[] labels = interleaved(10, 100);
        long[] first = LabelSplit.balanced(labels, 0.1, 1).indices();
        long[] second = LabelSplit.balanced(labels, 0.1, 2).indices();
        assertFalse(Arrays.equals(first, second));
    }

    @Test
    void fileRoundTrip(@TempDir Path folder) throws IOException {
        long[] labels = interleaved(10, 50);
        LabelSplit split = LabelSplit.balanced(labels, 0.1, 5);
        Path file = folder.resolve("split.txt");
        split.write(file);
        List<String> lines = Files.readAllLines(file);
        assertEquals(split.size(), lines.size());
        assertEquals(Long.toString(split.indices()[0]), lines.get(0));
        LabelSplit read = LabelSplit.read(file, labels);
        assertArrayEquals(split.indices(), read.indices());
        assertArrayEquals(split.labels(), read.labels());
    }

    @Test
    void fileWithCommentsBlankLinesAndAnyOrder(@TempDir Path folder) throws IOException {
        Path file = folder.resolve("subset.txt");
        Files.writeString(file, "# ten percent\n7\n\n  2 \n5\n", StandardCharsets.UTF_8);
        LabelSplit split = LabelSplit.read(file, interleaved(2, 5));
        assertArrayEquals(new long[] {2, 5, 7}, split.indices());
        assertArrayEquals(new long[] {0, 1, 1}, split.labels());
    }

    @Test
    void badFileLinesAreNamed(@TempDir Path folder) throws IOException {
        long[] labels = interleaved(2, 5);
        assertLine(folder, "1\n2\nx3\n", labels, "line 3", "'x3' is not an index");
        assertLine(folder, "1\n\n10\n", labels, "line 3", "outside [0, 10)");
        assertLine(folder, "1\n-1\n", labels, "line 2", "outside");
        assertLine(folder, "4\n2\n4\n", labels, "line 3", "repeats");
        assertLine(folder, "# nothing\n\n", labels, "file", "at least one index");
    }

    private static void assertLine(
            Path folder, String text, long[] labels, String where, String what) throws IOException {
        Path file = Files.createTempFile(folder, "split", ".txt");
        Files.writeString(file, text, StandardCharsets.UTF_8);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> LabelSplit.read(file, labels));
        assertTrue(e.getMessage().contains(where) && e.getMessage().contains(what), e.getMessage());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void explicitIndicesAreValidated() {
        long[] labels = interleaved(2, 3);
        assertArrayEquals(new long[] {0, 4}, LabelSplit.of(labels, new long[] {4, 0}).indices());
        assertMessage("indices[1]", () -> LabelSplit.of(labels, new long[] {0, 6}));
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> LabelSplit.of(labels, new long[] {3, 1, 3}));
        assertEquals("indices[2]: index 3 repeats indices[0]", e.getMessage());
        assertMessage("indices", () -> LabelSplit.of(labels, new long[0]));
        assertEquals(6, LabelSplit.all(labels).size());
    }

    @Test
    void badLabelsAndFractionsNameTheArgument() {
        long[] labels = interleaved(2, 10);
        for (double fraction : new double[] {0, -0.5, 1.0001, Double.NaN}) {
            assertMessage("fraction", () -> LabelSplit.balanced(labels, fraction, 0));
        }
        assertMessage("labels", () -> LabelSplit.balanced(new long[0], 0.5, 0));
        assertMessage("labels", () -> LabelSplit.balanced(null, 0.5, 0));
        assertMessage("labels[2]", () -> LabelSplit.balanced(new long[] {0, 1, -3}, 0.5, 0));
        assertMessage("labels[0]", () -> LabelSplit.all(new long[] {-1}));
    }

    static long[] shuffledLabels(int classes, int perClass, long seed) {
        long[] labels = interleaved(classes, perClass);
        Random random = new Random(seed ^ 0x5DEECE66DL);
        for (int i = labels.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            long swap = labels[i];
            labels[i] = labels[j];
            labels[j] = swap;
        }
        return labels;
    }

    @Property(tries = 30)
    void complementHoldsEveryOtherIndexOnce(
            @ForAll @IntRange(min = 1, max = 400) int size, @ForAll long seed) {
        Random random = new Random(seed);
        long[] labels = new long[size];
        long[] order = new long[size];
        for (int i = 0; i < size; i++) {
            labels[i] = random.nextInt(3);
            order[i] = i;
        }
        for (int i = size - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            long swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        int count = 1 + random.nextInt(size);
        LabelSplit split = LabelSplit.of(labels, Arrays.copyOf(order, count));
        long[] rest = split.complement();
        assertEquals(size - count, rest.length);
        Set<Long> seen = new HashSet<>();
        for (long index : split.indices()) {
            seen.add(index);
        }
        for (int i = 0; i < rest.length; i++) {
            assertTrue(rest[i] >= 0 && rest[i] < size, "index " + rest[i]);
            assertTrue(seen.add(rest[i]), "index " + rest[i] + " in both or twice");
            if (i > 0) {
                assertTrue(rest[i] > rest[i - 1], "ascending");
            }
        }
        assertEquals(size, seen.size());
    }
}
