package org.suncet.train;

import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Sampler;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link Sampler} of SuNCEt's labeled support batches (Assran et al. 2020, "Supervision
 * Accelerates Pre-training in Contrastive Semi-Supervised Learning of Visual Representations",
 * arXiv 2006.10803): every batch holds C distinct classes × K distinct images of each.
 *
 * <ul>
 *   <li><b>Classes.</b> Steps walk a random permutation of all M classes in chunks of C; after a
 *       pass, a new permutation. When C does not divide M, the last chunk of a pass holds the M mod
 *       C classes left and is completed with classes drawn at random from the others, so every pass
 *       shows every class at least once and ⌈M / C⌉ steps long.
 *   <li><b>Images.</b> Each class keeps a shuffled list of its images and a cursor; a step takes
 *       the next K. When fewer than K are left, it takes those, reshuffles the list and takes the
 *       rest from the new order, skipping the ones just taken (they stay later in the new pass), so
 *       no image repeats inside a step.
 *   <li><b>Epoch.</b> One {@link #sample} call is one epoch of {@code S} steps, by default
 *       <pre>  S = ⌈max_c n_c / K⌉ · ⌈M / C⌉</pre>
 *       the fewest that reach every labeled image at least once: each class is shown in at least
 *       ⌈n_c / K⌉ passes and its first list pass covers all its n_c images. An epoch starts afresh
 *       (new permutation, new per-class shuffles) from a random source seeded by (seed, epoch
 *       number), so epoch e is the same whatever ran before it; successive {@link #sample} calls
 *       give epochs 0, 1, 2, …, and {@link #setNextEpoch(int)} resumes at any epoch.
 * </ul>
 *
 * <p>A batch lists {@code C·K} dataset indices class-major: the K images of the first class, then
 * of the second, and so on. The indices are the dataset's: built from a {@link LabelSplit} of the
 * whole training set, the sampler draws that split's indices from the whole set; built from labels
 * alone, index i is the i-th label's. {@link #getBatchSize()} is C·K. SuNCEt's ImageNet setting is
 * C = 20, K = 2 per device (SPEC §3).
 *
 * <p>Bad input ({@link IllegalArgumentException}): at build time, no labels, negative labels, C or
 * K &lt; 1, C larger than the number of classes, K larger than the smallest class, steps per epoch
 * &lt; 1, no seed; at sampling, a dataset smaller than the largest labeled index + 1.
 */
public final class ClassBalancedSampler implements Sampler {

    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private final long[][] imagesByClass;
    private final int classesPerBatch;
    private final int imagesPerClass;
    private final long seed;
    private final int stepsPerEpoch;
    private final long largestIndex;
    private final AtomicInteger nextEpoch = new AtomicInteger();

    private ClassBalancedSampler(Builder builder) {
        if (builder.split == null) {
            throw new IllegalArgumentException(
                    "labels must be set (setLabels or setLabeledSplit), got none");
        }
        if (builder.seed == null) {
            throw new IllegalArgumentException("seed must be set (setSeed), got none");
        }
        long[] indices = builder.split.indices();
        long[] labels = builder.split.labels();
        Map<Long, List<Integer>> positions = LabelSplit.indicesByClass(labels);
        int classes = positions.size();
        if (builder.classesPerBatch < 1 || builder.classesPerBatch > classes) {
            throw new IllegalArgumentException(
                    "classesPerBatch must be in [1, "
                            + classes
                            + "] (the number of labeled classes), got "
                            + builder.classesPerBatch);
        }
        int smallest = Integer.MAX_VALUE;
        int largest = 0;
        long smallestClass = -1;
        imagesByClass = new long[classes][];
        int c = 0;
        for (Map.Entry<Long, List<Integer>> entry : positions.entrySet()) {
            List<Integer> members = entry.getValue();
            imagesByClass[c] = members.stream().mapToLong(i -> indices[i]).toArray();
            if (members.size() < smallest) {
                smallest = members.size();
                smallestClass = entry.getKey();
            }
            largest = Math.max(largest, members.size());
            c++;
        }
        if (builder.imagesPerClass < 1 || builder.imagesPerClass > smallest) {
            throw new IllegalArgumentException(
                    "imagesPerClass must be in [1, "
                            + smallest
                            + "] (class "
                            + smallestClass
                            + " has "
                            + smallest
                            + " labeled images), got "
                            + builder.imagesPerClass);
        }
        classesPerBatch = builder.classesPerBatch;
        imagesPerClass = builder.imagesPerClass;
        seed = builder.seed;
        long passes = ceilDiv(largest, imagesPerClass);
        long coveringSteps = passes * ceilDiv(classes, classesPerBatch);
        if (builder.stepsPerEpoch != null) {
            if (builder.stepsPerEpoch < 1) {
                throw new IllegalArgumentException(
                        "stepsPerEpoch must be >= 1, got " + builder.stepsPerEpoch);
            }
            stepsPerEpoch = builder.stepsPerEpoch;
        } else {
            stepsPerEpoch = Math.toIntExact(coveringSteps);
        }
        largestIndex = indices[indices.length - 1];
    }

    /**
     * Returns an empty builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the next epoch's batches and advances the epoch counter.
     *
     * @param dataset the dataset the indices point into
     * @return an iterator over {@link #getStepsPerEpoch()} batches of {@code C·K} indices
     * @throws IllegalArgumentException if the dataset is smaller than the largest labeled index + 1
     */
    @Override
    public Iterator<List<Long>> sample(RandomAccessDataset dataset) {
        if (dataset.size() <= largestIndex) {
            throw new IllegalArgumentException(
                    "dataset must hold every labeled index (up to "
                            + largestIndex
                            + "), got a dataset of size "
                            + dataset.size());
        }
        return batchesOfEpoch(nextEpoch.getAndIncrement());
    }

    /**
     * Returns the batches of one epoch, a pure function of the seed, the labels, C, K and {@code
     * epoch}; it does not move the epoch counter.
     *
     * @param epoch the epoch number (≥ 0)
     * @return an iterator over {@link #getStepsPerEpoch()} batches of {@code C·K} indices
     * @throws IllegalArgumentException if {@code epoch} is negative
     */
    public Iterator<List<Long>> batchesOfEpoch(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
        }
        return new EpochIterator(new Random(mix(seed + GOLDEN_GAMMA * (epoch + 1L))));
    }

    /** {@inheritDoc} */
    @Override
    public int getBatchSize() {
        return classesPerBatch * imagesPerClass;
    }

    /**
     * Returns the number of steps (batches) in an epoch.
     *
     * @return the steps per epoch
     */
    public int getStepsPerEpoch() {
        return stepsPerEpoch;
    }

    /**
     * Returns the number of classes per batch C.
     *
     * @return C
     */
    public int getClassesPerBatch() {
        return classesPerBatch;
    }

    /**
     * Returns the number of images per class K.
     *
     * @return K
     */
    public int getImagesPerClass() {
        return imagesPerClass;
    }

    /**
     * Returns the epoch the next {@link #sample} call gives.
     *
     * @return the next epoch number
     */
    public int getNextEpoch() {
        return nextEpoch.get();
    }

    /**
     * Sets the epoch the next {@link #sample} call gives, to resume an interrupted run.
     *
     * @param epoch the next epoch number (≥ 0)
     * @throws IllegalArgumentException if {@code epoch} is negative
     */
    public void setNextEpoch(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
        }
        nextEpoch.set(epoch);
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /** SplitMix64's finaliser: spreads nearby seeds (seed, epoch) over unrelated streams. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** One epoch's walk over classes and per-class image lists. */
    private final class EpochIterator implements Iterator<List<Long>> {
        private final Random random;
        private final int[] classOrder;
        private int classCursor;
        private final long[][] imageOrder;
        private final int[] imageCursor;
        private int step;

        EpochIterator(Random random) {
            this.random = random;
            int classes = imagesByClass.length;
            classOrder = new int[classes];
            for (int c = 0; c < classes; c++) {
                classOrder[c] = c;
            }
            shuffle(classOrder);
            imageOrder = new long[classes][];
            imageCursor = new int[classes];
            for (int c = 0; c < classes; c++) {
                imageOrder[c] = imagesByClass[c].clone();
                shuffle(imageOrder[c]);
            }
        }

        @Override
        public boolean hasNext() {
            return step < stepsPerEpoch;
        }

        @Override
        public List<Long> next() {
            if (!hasNext()) {
                throw new NoSuchElementException("epoch has " + stepsPerEpoch + " steps");
            }
            step++;
            List<Long> batch = new ArrayList<>(classesPerBatch * imagesPerClass);
            for (int c : nextClasses()) {
                takeImages(c, batch);
            }
            return Collections.unmodifiableList(batch);
        }

        /** The next C distinct classes of the permutation walk. */
        private int[] nextClasses() {
            int classes = classOrder.length;
            int[] chosen = new int[classesPerBatch];
            int left = classes - classCursor;
            if (left >= classesPerBatch) {
                System.arraycopy(classOrder, classCursor, chosen, 0, classesPerBatch);
                classCursor += classesPerBatch;
            } else {
                // the pass's remainder, completed with other classes drawn at random
                System.arraycopy(classOrder, classCursor, chosen, 0, left);
                int[] others = new int[classes - left];
                System.arraycopy(classOrder, 0, others, 0, classes - left);
                for (int i = 0; i < classesPerBatch - left; i++) {
                    int j = i + random.nextInt(others.length - i);
                    int swap = others[i];
                    others[i] = others[j];
                    others[j] = swap;
                    chosen[left + i] = others[i];
                }
                classCursor = classes;
            }
            if (classCursor == classes) {
                shuffle(classOrder);
                classCursor = 0;
            }
            return chosen;
        }

        /** Appends the next K images of class {@code c}, reshuffling its list when used up. */
        private void takeImages(int c, List<Long> batch) {
            long[] order = imageOrder[c];
            int left = order.length - imageCursor[c];
            int fromOld = Math.min(left, imagesPerClass);
            List<Long> taken = new ArrayList<>(imagesPerClass);
            for (int i = 0; i < fromOld; i++) {
                taken.add(order[imageCursor[c] + i]);
            }
            imageCursor[c] += fromOld;
            if (fromOld < imagesPerClass) {
                shuffle(order);
                // move the first (K − fromOld) images not just taken to the front, keeping order
                int need = imagesPerClass - fromOld;
                long[] front = new long[order.length];
                long[] back = new long[order.length];
                int frontCount = 0;
                int backCount = 0;
                for (long image : order) {
                    if (frontCount < need && !taken.contains(image)) {
                        front[frontCount++] = image;
                    } else {
                        back[backCount++] = image;
                    }
                }
                System.arraycopy(front, 0, order, 0, frontCount);
                System.arraycopy(back, 0, order, frontCount, backCount);
                for (int i = 0; i < need; i++) {
                    taken.add(order[i]);
                }
                imageCursor[c] = need;
            } else if (imageCursor[c] == order.length) {
                shuffle(order);
                imageCursor[c] = 0;
            }
            batch.addAll(taken);
        }

        private void shuffle(int[] values) {
            for (int i = values.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int swap = values[i];
                values[i] = values[j];
                values[j] = swap;
            }
        }

        private void shuffle(long[] values) {
            for (int i = values.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                long swap = values[i];
                values[i] = values[j];
                values[j] = swap;
            }
        }
    }

    /** Builds a {@link ClassBalancedSampler}. */
    public static final class Builder {
        LabelSplit split;
        int classesPerBatch;
        int imagesPerClass;
        Long seed;
        Integer stepsPerEpoch;

        Builder() {}

        /**
         * Sets the labels of a fully labeled dataset: index i has label {@code labels[i] ≥ 0} (this
         * or {@link #setLabeledSplit(LabelSplit)} is required).
         *
         * @param labels the label of every dataset index
         * @return this builder
         * @throws IllegalArgumentException if labels are empty or negative
         */
        public Builder setLabels(long[] labels) {
            this.split = LabelSplit.all(labels);
            return this;
        }

        /**
         * Sets the labeled part of the dataset: the sampler draws only the split's indices (this or
         * {@link #setLabels(long[])} is required).
         *
         * @param split the labeled split
         * @return this builder
         */
        public Builder setLabeledSplit(LabelSplit split) {
            this.split = Objects.requireNonNull(split, "split");
            return this;
        }

        /**
         * Sets the number of classes per batch C (required, in [1, number of classes]).
         *
         * @param classesPerBatch C
         * @return this builder
         */
        public Builder setClassesPerBatch(int classesPerBatch) {
            this.classesPerBatch = classesPerBatch;
            return this;
        }

        /**
         * Sets the number of images per class K (required, in [1, smallest class size]).
         *
         * @param imagesPerClass K
         * @return this builder
         */
        public Builder setImagesPerClass(int imagesPerClass) {
            this.imagesPerClass = imagesPerClass;
            return this;
        }

        /**
         * Sets the seed of every random choice (required).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder setSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets the number of steps per epoch (default: the fewest that reach every labeled image,
         * see {@link ClassBalancedSampler}); fewer steps lose that guarantee. Use it to pair the
         * support batches one-to-one with an unlabeled loader's steps.
         *
         * @param stepsPerEpoch steps per {@link ClassBalancedSampler#sample} call (≥ 1)
         * @return this builder
         */
        public Builder optStepsPerEpoch(int stepsPerEpoch) {
            this.stepsPerEpoch = stepsPerEpoch;
            return this;
        }

        /**
         * Builds the sampler.
         *
         * @return the sampler
         * @throws IllegalArgumentException for bad input (see {@link ClassBalancedSampler})
         */
        public ClassBalancedSampler build() {
            return new ClassBalancedSampler(this);
        }
    }
}
