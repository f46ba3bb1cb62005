package org.suncet.train;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.IntFunction;

/**
 * The labeled part of a training set in semi-supervised learning: a set of dataset indices with
 * their labels (SuNCEt, Assran et al. 2020, "Supervision Accelerates Pre-training in Contrastive
 * Semi-Supervised Learning of Visual Representations", arXiv 2006.10803; SimCLR's 1 % and 10 %
 * ImageNet subsets). The unlabeled set is the whole training set; only this split's labels are
 * used.
 *
 * <p><b>Class-balanced split by seed</b> ({@link #balanced(long[], double, long)}): with N images
 * in C classes (the distinct label values) and a fraction φ ∈ (0, 1], every class contributes the
 * same number of images
 *
 * <pre>
 *   k = round(φ · N / C)        (half up; so the split holds about φ·N images, k·C exactly)
 * </pre>
 *
 * <p>chosen as the first k of that class's indices shuffled by {@link java.util.Random} (whose
 * algorithm Java specifies, so a seed gives the same split on every JVM) seeded once with the seed
 * and walked over the classes in ascending label order. The same seed gives the same split; a
 * smaller fraction with the same seed gives a subset of a larger one (the 1 % split lies inside the
 * 10 % split). k &lt; 1, or k larger than the smallest class, is an error: a class-balanced split
 * of that fraction does not exist.
 *
 * <p><b>File of indices</b> ({@link #read(Path, long[])}, {@link #write(Path)}): UTF-8 text, one
 * decimal dataset index per line; blank lines and lines starting with {@code #} are skipped when
 * reading. {@link #write(Path)} writes the indices in ascending order. A file's split need not be
 * class-balanced.
 *
 * <p>Indices are stored in ascending order; {@link #labels()} is aligned with {@link #indices()}.
 *
 * <p>Bad input ({@link IllegalArgumentException}, naming the argument or the file line): empty
 * labels, a negative label, a fraction outside (0, 1], a fraction giving fewer than 1 image per
 * class or more than the smallest class holds, an index outside [0, N), a repeated index, a file
 * line that is not an integer, a file with no index.
 */
public final class LabelSplit {

    private final long[] indices;
    private final long[] labels;
    private final int datasetSize;

    private LabelSplit(long[] sortedIndices, long[] datasetLabels) {
        this.indices = sortedIndices;
        this.labels = new long[sortedIndices.length];
        for (int i = 0; i < sortedIndices.length; i++) {
            labels[i] = datasetLabels[(int) sortedIndices[i]];
        }
        this.datasetSize = datasetLabels.length;
    }

    /**
     * Chooses a class-balanced fraction of a labeled dataset by seed.
     *
     * @param labels the label of every dataset index, {@code labels[i] ≥ 0}
     * @param fraction φ ∈ (0, 1], the share of the dataset to keep labeled
     * @param seed the seed of the choice
     * @return the split
     * @throws IllegalArgumentException for bad input (see {@link LabelSplit})
     */
    public static LabelSplit balanced(long[] labels, double fraction, long seed) {
        checkLabels(labels);
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("fraction must be in (0, 1], got " + fraction);
        }
        Map<Long, List<Integer>> byClass = indicesByClass(labels);
        double perClassExact = fraction * labels.length / byClass.size();
        long perClass = Math.round(perClassExact);
        if (perClass < 1) {
            throw new IllegalArgumentException(
                    "fraction "
                            + fraction
                            + " of "
                            + labels.length
                            + " images in "
                            + byClass.size()
                            + " classes gives round("
                            + perClassExact
                            + ") = 0 images per class; it needs at least 1");
        }
        for (Map.Entry<Long, List<Integer>> entry : byClass.entrySet()) {
            if (entry.getValue().size() < perClass) {
                throw new IllegalArgumentException(
                        "fraction "
                                + fraction
                                + " asks "
                                + perClass
                                + " images per class but class "
                                + entry.getKey()
                                + " has only "
                                + entry.getValue().size()
                                + "; a class-balanced split of that fraction does not exist");
            }
        }
        Random random = new Random(seed);
        long[] chosen = new long[Math.toIntExact(perClass * byClass.size())];
        int next = 0;
        for (List<Integer> members : byClass.values()) {
            int[] shuffled = members.stream().mapToInt(Integer::intValue).toArray();
            shuffle(shuffled, random);
            for (int i = 0; i < perClass; i++) {
                chosen[next++] = shuffled[i];
            }
        }
        Arrays.sort(chosen);
        return new LabelSplit(chosen, labels);
    }

    /**
     * Returns the split of every index: all images labeled.
     *
     * @param labels the label of every dataset index, {@code labels[i] ≥ 0}
     * @return the split holding indices 0 … N−1
     * @throws IllegalArgumentException if labels are empty or negative
     */
    public static LabelSplit all(long[] labels) {
        checkLabels(labels);
        long[] every = new long[labels.length];
        Arrays.setAll(every, i -> i);
        return new LabelSplit(every, labels);
    }

    /**
     * Returns the split of the given indices.
     *
     * @param labels the label of every dataset index, {@code labels[i] ≥ 0}
     * @param indices the labeled indices, distinct, each in [0, N), in any order
     * @return the split
     * @throws IllegalArgumentException for empty or negative labels, no index, an index out of
     *     range, a repeated index
     */
    public static LabelSplit of(long[] labels, long[] indices) {
        checkLabels(labels);
        return checked(labels, indices, i -> "indices[" + i + "]", "indices");
    }

    /**
     * Reads a split from a file of indices (see {@link LabelSplit} for the format).
     *
     * @param file the file
     * @param labels the label of every dataset index, {@code labels[i] ≥ 0}
     * @return the split
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException for bad labels, or a bad line (named by its number, from 1)
     */
    public static LabelSplit read(Path file, long[] labels) throws IOException {
        checkLabels(labels);
        List<String> text = Files.readAllLines(file, StandardCharsets.UTF_8);
        long[] indices = new long[text.size()];
        int[] lines = new int[text.size()];
        int count = 0;
        for (int line = 1; line <= text.size(); line++) {
            String entry = text.get(line - 1).strip();
            if (entry.isEmpty() || entry.startsWith("#")) {
                continue;
            }
            try {
                indices[count] = Long.parseLong(entry);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        file + " line " + line + ": '" + entry + "' is not an index", e);
            }
            lines[count++] = line;
        }
        return checked(
                labels,
                Arrays.copyOf(indices, count),
                i -> file + " line " + lines[i],
                "file " + file);
    }

    /**
     * Writes the indices, ascending, one per line.
     *
     * @param file the file to write (replaced if it exists)
     * @throws IOException if it cannot be written
     */
    public void write(Path file) throws IOException {
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (long index : indices) {
                out.write(Long.toString(index));
                out.newLine();
            }
        }
    }

    /**
     * Returns the labeled dataset indices, ascending.
     *
     * @return a copy of the indices
     */
    public long[] indices() {
        return indices.clone();
    }

    /**
     * Returns the dataset indices outside the split, ascending: with a split used as a held-out
     * validation set, the images left to train on.
     *
     * @return the N − {@link #size()} indices in [0, N) that {@link #indices()} does not hold
     */
    public long[] complement() {
        long[] rest = new long[datasetSize - indices.length];
        int next = 0;
        int inSplit = 0;
        for (long i = 0; i < datasetSize; i++) {
            if (inSplit < indices.length && indices[inSplit] == i) {
                inSplit++;
            } else {
                rest[next++] = i;
            }
        }
        return rest;
    }

    /**
     * Returns the label of each index of {@link #indices()}, in the same order.
     *
     * @return a copy of the labels
     */
    public long[] labels() {
        return labels.clone();
    }

    /**
     * Returns the number of labeled images.
     *
     * @return the split's size
     */
    public int size() {
        return indices.length;
    }

    /**
     * Returns the size N of the dataset the indices point into.
     *
     * @return N
     */
    public int datasetSize() {
        return datasetSize;
    }

    /**
     * Returns the number of labeled images of each class present in the split, by ascending label.
     *
     * @return label → count
     */
    public Map<Long, Integer> countsPerClass() {
        Map<Long, Integer> counts = new TreeMap<>();
        for (long label : labels) {
            counts.merge(label, 1, Integer::sum);
        }
        return counts;
    }

    /** Checks that labels are present and non-negative. */
    static void checkLabels(long[] labels) {
        if (labels == null || labels.length == 0) {
            throw new IllegalArgumentException("labels must not be empty");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0) {
                throw new IllegalArgumentException(
                        "labels[" + i + "] must be >= 0, got " + labels[i]);
            }
        }
    }

    /** Groups the indices by label, labels ascending, indices ascending within a class. */
    static Map<Long, List<Integer>> indicesByClass(long[] labels) {
        Map<Long, List<Integer>> byClass = new TreeMap<>();
        for (int i = 0; i < labels.length; i++) {
            byClass.computeIfAbsent(labels[i], label -> new ArrayList<>()).add(i);
        }
        return byClass;
    }

    /** Fisher–Yates shuffle in place. */
    static void shuffle(int[] values, Random random) {
        for (int i = values.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = values[i];
            values[i] = values[j];
            values[j] = swap;
        }
    }

    /**
     * Validates indices against the dataset, naming entry {@code i} as {@code where.apply(i)}, and
     * returns the sorted split.
     */
    private static LabelSplit checked(
            long[] labels, long[] indices, IntFunction<String> where, String source) {
        if (indices.length == 0) {
            throw new IllegalArgumentException(source + " must hold at least one index, got none");
        }
        Map<Long, Integer> seen = new HashMap<>();
        for (int i = 0; i < indices.length; i++) {
            long index = indices[i];
            if (index < 0 || index >= labels.length) {
                throw new IllegalArgumentException(
                        where.apply(i)
                                + ": index "
                                + index
                                + " is outside [0, "
                                + labels.length
                                + ")");
            }
            Integer first = seen.putIfAbsent(index, i);
            if (first != null) {
                throw new IllegalArgumentException(
                        where.apply(i) + ": index " + index + " repeats " + where.apply(first));
            }
        }
        long[] sorted = indices.clone();
        Arrays.sort(sorted);
        return new LabelSplit(sorted, labels);
    }
}
