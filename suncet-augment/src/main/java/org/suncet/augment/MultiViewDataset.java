package org.suncet.augment;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Pipeline;
import ai.djl.translate.TranslateException;
import ai.djl.util.Progress;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A DJL {@link Dataset} of contrastive pre-training batches over a {@link RandomAccessDataset} of
 * images: each batch holds V augmented views of n images, view-major, and optionally a labeled
 * support of S images, so that {@code EasyTrain.fit(trainer, epochs, dataset, null)} pre-trains
 * with {@code NtXentLoss} or SimCLR + SuNCEt ({@code SuNCEtPretrainingLoss}) without a hand-written
 * loop (SimCLR, Chen et al. 2020, arXiv 2002.05709; SuNCEt, Assran et al. 2020, arXiv 2006.10803).
 *
 * <p><b>Batch layout</b> (step s of epoch e, n images per batch, V = the views' count):
 *
 * <pre>
 *   data   = NDList(rows [V·n + S, C, h, w])          float32, on the batch's device
 *            row v·n + i      : view v of unlabeled image i          (v &lt; V, i &lt; n)
 *            row V·n + p      : the view of support draw p            (p &lt; S)
 *   labels = NDList(y [S])      int64 class ids of the support rows, with a support stream
 *                               (S = 0, an empty array, in an epoch whose support is null)
 *          = NDList(ids [V·n])  int64 dataset index of each row's image, without one
 * </pre>
 *
 * This is what the losses read: {@code NtXentLoss} takes view-major rows and ignores labels;
 * {@code SuNCEtPretrainingLoss} routes the last {@code S = y.size} rows to SuNCEt; {@code
 * ContrastiveAccuracy} (without support) counts a row right when its nearest row shows the same
 * image. The batch's size is its row count {@code V·n + S}; its progress counts unlabeled images,
 * {@code (s + 1)·n} of {@code steps·n}; its indices are the n unlabeled then the S support dataset
 * indices.
 *
 * <p><b>Reproducibility.</b> Every batch is a pure function of the seeds and {@code (epoch, step)}:
 * the unlabeled images of epoch e are a {@link SeededPermutation} of the source drawn from {@code
 * java.util.Random(seed·1000003 + e)} (the order {@code ContrastivePretraining} in suncet-examples
 * uses), cut into consecutive batches of n (the last partial batch dropped); view v of image i is
 * keyed {@code (e, i, v)} in the views' own seed ({@link ViewKey}); the support's indices are the
 * support schedule's batches of epoch e (for SuNCEt a {@code ClassBalancedSampler}:
 * {@code sampler::batchesOfEpoch}) and the view of support draw p of step s is keyed {@code (e, s·S
 * + p, 0)} in the support view's seed, so an image drawn twice in an epoch gets two fresh views.
 * The same settings give the same batches, bit for bit, on any thread count.
 *
 * <p><b>Epochs.</b> The n-th {@link #getData} call (from 0) gives epoch n, as {@code EasyTrain}
 * calls it once per epoch; {@link #setNextEpoch} resumes at another, and {@link #epoch(NDManager,
 * int)} gives any epoch without moving the counter.
 *
 * <p><b>Two augmentation paths</b> with the same parameters. Batched (default): the images are
 * stacked, moved to the batch's device and augmented there by {@link
 * MultiViewTransform#transformBatch} in one pass for all views. Per image ({@code
 * optBatchedAugmentation(false)}): each image is augmented on the source's device by the views' DJL
 * {@code Transform}s ({@link MultiViewTransform#transform(NDArray, long, long)}), the rows are
 * stacked and moved to the device. The two give the same bits except where a blur wider than one
 * tap is applied (equal to float rounding there, see {@link SimClrAugmentation}).
 *
 * <p><b>One device.</b> A contrastive loss must see the whole batch: split across devices, each
 * device's loss would see only its own negatives. The batches therefore carry a batchifier that
 * refuses to split ({@link IllegalStateException} from {@code EasyTrain} on several devices).
 *
 * <p>The source's records must hold {@code data = NDList(image)} with the image float32 {@code [C,
 * H, W]} in [0, 1] after {@code optPipeline} (DJL applies a dataset's own pipeline only in its own
 * loader, not in {@code get}), and {@code labels = NDList(class id)} (any numeric dtype; needed only
 * for the support). Bad settings get an {@link IllegalArgumentException} from {@link
 * Builder#build()}; a support schedule that runs out of batches, or bad images, get one when the
 * batch is made.
 */
public final class MultiViewDataset implements Dataset {

    private static final Batchifier UNSPLITTABLE = new Unsplittable();

    private final RandomAccessDataset source;
    private final MultiViewTransform views;
    private final int imagesPerBatch;
    private final long seed;
    private final int stepsPerEpoch;
    private final SupportSchedule support;
    private final MultiViewTransform supportView;
    private final boolean batched;
    private final Device device;
    private final Pipeline pipeline;
    private final AtomicInteger nextEpoch = new AtomicInteger();

    private MultiViewDataset(Builder builder) {
        if (builder.source == null) {
            throw new IllegalArgumentException("source must be set (setSource), got none");
        }
        if (builder.views == null) {
            throw new IllegalArgumentException("views must be set (setViews), got none");
        }
        if (builder.seed == null) {
            throw new IllegalArgumentException("seed must be set (setSeed), got none");
        }
        long size = builder.source.size();
        if (builder.imagesPerBatch < 1 || builder.imagesPerBatch > size) {
            throw new IllegalArgumentException(
                    "imagesPerBatch must be in [1, " + size + "] (the source's size), got "
                            + builder.imagesPerBatch);
        }
        int fullSteps = Math.toIntExact(Math.min(Integer.MAX_VALUE, size / builder.imagesPerBatch));
        if (builder.stepsPerEpoch != null
                && (builder.stepsPerEpoch < 1 || builder.stepsPerEpoch > fullSteps)) {
            throw new IllegalArgumentException(
                    "stepsPerEpoch must be in [1, " + fullSteps + "] (" + size + " images at "
                            + builder.imagesPerBatch + " per batch), got " + builder.stepsPerEpoch);
        }
        if (builder.support != null && builder.supportView == null) {
            throw new IllegalArgumentException("a support schedule needs a support view, got null");
        }
        source = builder.source;
        views = builder.views;
        imagesPerBatch = builder.imagesPerBatch;
        seed = builder.seed;
        stepsPerEpoch = builder.stepsPerEpoch == null ? fullSteps : builder.stepsPerEpoch;
        support = builder.support;
        supportView =
                builder.support == null ? null : MultiViewTransform.repeat(builder.supportView, 1);
        batched = builder.batched;
        device = builder.device;
        pipeline = builder.pipeline;
    }

    /**
     * Returns an empty builder: batched augmentation, ⌊size / n⌋ steps, no support.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the batches of the next epoch and advances the epoch counter.
     *
     * @param manager the manager whose sub-managers own the batches (EasyTrain: the trainer's); its
     *     device is the batches' device unless {@code optDevice} set one
     * @return the epoch's {@link #getStepsPerEpoch()} batches, made as they are iterated
     */
    @Override
    public Iterable<Batch> getData(NDManager manager) {
        return epoch(manager, nextEpoch.getAndIncrement());
    }

    /**
     * Returns the batches of one epoch, a pure function of the settings and {@code epoch}; it does
     * not move the epoch counter.
     *
     * @param manager the manager whose sub-managers own the batches
     * @param epoch the 0-based epoch
     * @return the epoch's batches, made as they are iterated; each iterator starts afresh
     * @throws IllegalArgumentException if {@code epoch} is negative
     */
    public Iterable<Batch> epoch(NDManager manager, int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
        }
        return () -> new EpochIterator(manager, epoch);
    }

    /** Prepares the source. */
    @Override
    public void prepare(Progress progress) throws IOException, TranslateException {
        source.prepare(progress);
    }

    /**
     * Returns the epoch the next {@link #getData} call gives.
     *
     * @return the next epoch
     */
    public int getNextEpoch() {
        return nextEpoch.get();
    }

    /**
     * Sets the epoch the next {@link #getData} call gives, to resume a run.
     *
     * @param epoch the next epoch, ≥ 0
     * @throws IllegalArgumentException if {@code epoch} is negative
     */
    public void setNextEpoch(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
        }
        nextEpoch.set(epoch);
    }

    /**
     * Returns the batches of an epoch.
     *
     * @return ⌊size / n⌋, or the set steps per epoch
     */
    public int getStepsPerEpoch() {
        return stepsPerEpoch;
    }

    /**
     * Returns the unlabeled images per batch.
     *
     * @return n
     */
    public int getImagesPerBatch() {
        return imagesPerBatch;
    }

    /**
     * Returns the number of views per unlabeled image.
     *
     * @return V
     */
    public int getViewCount() {
        return views.getViewCount();
    }

    /**
     * Returns the unlabeled images of step {@code step} of epoch {@code epoch}.
     *
     * @param epoch the 0-based epoch
     * @param step the 0-based step, below {@link #getStepsPerEpoch()}
     * @return n dataset indices
     * @throws IllegalArgumentException if the epoch or step is out of range
     */
    public long[] imagesOf(int epoch, int step) {
        if (epoch < 0 || step < 0 || step >= stepsPerEpoch) {
            throw new IllegalArgumentException(
                    "need epoch >= 0 and step in [0, " + stepsPerEpoch + "), got epoch " + epoch
                            + ", step " + step);
        }
        long[] order = orderOf(epoch);
        long[] out = new long[imagesPerBatch];
        System.arraycopy(order, step * imagesPerBatch, out, 0, imagesPerBatch);
        return out;
    }

    /** The order of the epoch asked for last, so that step-by-step queries draw it once. */
    private volatile EpochOrder lastOrder;

    private record EpochOrder(int epoch, long[] order) {}

    private long[] orderOf(int epoch) {
        EpochOrder last = lastOrder;
        if (last == null || last.epoch() != epoch) {
            last = new EpochOrder(epoch, SeededPermutation.of(Math.toIntExact(source.size()), seed * 1_000_003L + epoch));
            lastOrder = last;
        }
        return last.order();
    }

    /** One epoch's batches, made on demand. */
    private final class EpochIterator implements Iterator<Batch> {
        private final NDManager manager;
        private final int epoch;
        private final long[] order;
        private final Iterator<List<Long>> supportBatches;
        private int step;

        EpochIterator(NDManager manager, int epoch) {
            this.manager = manager;
            this.epoch = epoch;
            this.order = orderOf(epoch);
            this.supportBatches = support == null ? null : support.batchesOfEpoch(epoch);
        }

        @Override
        public boolean hasNext() {
            return step < stepsPerEpoch;
        }

        @Override
        public Batch next() {
            if (!hasNext()) {
                throw new NoSuchElementException("epoch " + epoch + " has " + stepsPerEpoch + " batches");
            }
            long[] images = new long[imagesPerBatch];
            System.arraycopy(order, step * imagesPerBatch, images, 0, imagesPerBatch);
            long[] supportImages = null;
            if (supportBatches != null) {
                if (!supportBatches.hasNext()) {
                    throw new IllegalArgumentException(
                            "the support schedule gave " + step + " batches for epoch " + epoch
                                    + ", the dataset needs " + stepsPerEpoch
                                    + " (build a ClassBalancedSampler with optStepsPerEpoch("
                                    + stepsPerEpoch + "))");
                }
                supportImages = supportBatches.next().stream().mapToLong(Long::longValue).toArray();
            }
            try {
                return batch(manager, epoch, step, images, supportImages);
            } catch (IOException e) {
                throw new IllegalStateException(
                        "loading batch " + step + " of epoch " + epoch + " failed", e);
            } finally {
                step++;
            }
        }
    }

    /** Makes one batch in a sub-manager of {@code manager}, temporaries in a scratch manager. */
    private Batch batch(NDManager manager, int epoch, int step, long[] images, long[] supportImages)
            throws IOException {
        Device target = device != null ? device : manager.getDevice();
        NDManager batchManager = manager.newSubManager(target);
        try {
            NDArray rows;
            NDArray labels;
            try (NDManager scratch = batchManager.newSubManager(target)) {
                NDList parts = new NDList(views(scratch, target, epoch, images));
                if (supportImages != null) {
                    NDList[] loaded = load(scratch, supportImages, true);
                    parts.add(supportViews(target, epoch, step, loaded[0]));
                    labels = NDArrays.concat(loaded[1]).toType(DataType.INT64, false); // [S]
                    labels = labels.toDevice(target, false);
                } else if (support != null) {
                    labels = scratch.zeros(new Shape(0), DataType.INT64, target);
                } else {
                    labels = scratch.create(images).tile(views.getViewCount()).toDevice(target, false);
                }
                rows = parts.size() == 1 ? parts.head() : NDArrays.concat(parts); // [V·n + S, C, h, w]
                rows = rows.toDevice(target, false);
                rows.attach(batchManager);
                labels.attach(batchManager);
            }
            int supportCount = supportImages == null ? 0 : supportImages.length;
            List<Long> indices = new ArrayList<>(images.length + supportCount);
            for (long index : images) {
                indices.add(index);
            }
            if (supportImages != null) {
                for (long index : supportImages) {
                    indices.add(index);
                }
            }
            return new Batch(
                    batchManager,
                    new NDList(rows),
                    new NDList(labels),
                    Math.toIntExact(rows.getShape().get(0)),
                    UNSPLITTABLE,
                    UNSPLITTABLE,
                    (step + 1L) * imagesPerBatch,
                    (long) stepsPerEpoch * imagesPerBatch,
                    indices);
        } catch (IOException | RuntimeException e) {
            batchManager.close();
            throw e;
        }
    }

    /** The V·n view rows, view-major, owned by {@code scratch}. */
    private NDArray views(NDManager scratch, Device target, int epoch, long[] images)
            throws IOException {
        int viewCount = views.getViewCount();
        if (batched) {
            NDList loaded = load(scratch, images, false)[0];
            NDArray batch = NDArrays.stack(loaded).toDevice(target, false); // [n, C, H, W]
            return NDArrays.concat(views.transformBatch(batch, epoch, images)); // [V·n, C, h, w]
        }
        NDList[] byView = new NDList[viewCount];
        for (int v = 0; v < viewCount; v++) {
            byView[v] = new NDList(images.length);
        }
        NDList loaded = load(scratch, images, false)[0];
        for (int i = 0; i < images.length; i++) {
            NDList imageViews = views.transform(loaded.get(i), epoch, images[i]);
            for (int v = 0; v < viewCount; v++) {
                byView[v].add(imageViews.get(v));
            }
        }
        NDList perView = new NDList(viewCount);
        for (NDList view : byView) {
            perView.add(NDArrays.stack(view)); // [n, C, h, w]
        }
        return NDArrays.concat(perView); // [V·n, C, h, w]
    }

    /** The S support rows, draw p of step s keyed {@code (epoch, s·S + p, 0)}. */
    private NDArray supportViews(Device target, int epoch, int step, NDList loaded) {
        int count = loaded.size();
        long[] drawKeys = new long[count];
        for (int p = 0; p < count; p++) {
            drawKeys[p] = (long) step * count + p;
        }
        if (batched) {
            NDArray batch = NDArrays.stack(loaded).toDevice(target, false); // [S, C, H, W]
            return supportView.transformBatch(batch, epoch, drawKeys).head();
        }
        NDList rows = new NDList(count);
        for (int p = 0; p < count; p++) {
            rows.add(supportView.transform(loaded.get(p), epoch, drawKeys[p]).head());
        }
        return NDArrays.stack(rows); // [S, C, h, w]
    }

    /**
     * The source's images at {@code indices}, each through the pipeline, and with {@code
     * withLabels} their class ids as {@code [1]} arrays: {@code {images, labels}}.
     */
    private NDList[] load(NDManager scratch, long[] indices, boolean withLabels)
            throws IOException {
        NDList images = new NDList(indices.length);
        NDList labels = new NDList(withLabels ? indices.length : 0);
        for (long index : indices) {
            Record record = source.get(scratch, index);
            NDList data = record.getData();
            if (pipeline != null) {
                data = pipeline.transform(data);
            }
            if (data.size() != 1) {
                throw new IllegalArgumentException(
                        "source records must hold one image, got " + data.size()
                                + " arrays at index " + index);
            }
            images.add(data.head());
            if (withLabels) {
                NDList label = record.getLabels();
                if (label == null || label.size() != 1 || label.head().size() != 1) {
                    throw new IllegalArgumentException(
                            "support records must hold one class id as their label, got "
                                    + (label == null ? "none" : label.size() + " arrays of shapes "
                                            + java.util.Arrays.toString(label.getShapes()))
                                    + " at index " + index);
                }
                labels.add(label.head().reshape(1));
            }
        }
        return new NDList[] {images, labels};
    }

    /**
     * The support's dataset indices per step of an epoch: a pure function of the epoch, such as
     * {@code ClassBalancedSampler::batchesOfEpoch} of suncet-core.
     */
    @FunctionalInterface
    public interface SupportSchedule {
        /**
         * Returns the support batches of one epoch.
         *
         * @param epoch the 0-based epoch
         * @return one list of S dataset indices per step (at least the dataset's steps per epoch),
         *     or null for an epoch without support (e.g. from SuNCEt's {@code E_sup} on)
         */
        Iterator<List<Long>> batchesOfEpoch(int epoch);
    }

    /** A batchifier for batches that are already whole: it refuses to split them across devices. */
    private static final class Unsplittable implements Batchifier {
        private static final long serialVersionUID = 1L;

        @Override
        public NDList batchify(NDList[] inputs) {
            throw new UnsupportedOperationException("MultiViewDataset makes its batches itself");
        }

        @Override
        public NDList[] unbatchify(NDList inputs) {
            throw new UnsupportedOperationException("MultiViewDataset's batches are for training");
        }

        @Override
        public NDList[] split(NDList list, int numOfSlices, boolean evenSplit) {
            throw new IllegalStateException(
                    "a contrastive batch cannot be split across " + numOfSlices
                            + " devices: each device's loss would see only its own negatives;"
                            + " train on one device (DefaultTrainingConfig.optDevices)");
        }
    }

    /** Builds a {@link MultiViewDataset}. */
    public static final class Builder {
        RandomAccessDataset source;
        MultiViewTransform views;
        int imagesPerBatch;
        Long seed;
        Integer stepsPerEpoch;
        SupportSchedule support;
        RandomTransform<?> supportView;
        boolean batched = true;
        Device device;
        Pipeline pipeline;

        Builder() {}

        /**
         * Sets the images (required): records {@code NDList(image [C, H, W])}, {@code
         * NDList(class id)}.
         *
         * @param source the dataset of images
         * @return this builder
         */
        public Builder setSource(RandomAccessDataset source) {
            this.source = source;
            return this;
        }

        /**
         * Sets the views of each unlabeled image (required), e.g. {@code
         * MultiViewTransform.repeat(SimClrAugmentation.cifar(32).optSeed(seed).build(), 2)}; their
         * seed fixes the views.
         *
         * @param views the V view transforms
         * @return this builder
         */
        public Builder setViews(MultiViewTransform views) {
            this.views = views;
            return this;
        }

        /**
         * Sets the unlabeled images per batch n (required, in [1, source size]).
         *
         * @param imagesPerBatch n
         * @return this builder
         */
        public Builder setImagesPerBatch(int imagesPerBatch) {
            this.imagesPerBatch = imagesPerBatch;
            return this;
        }

        /**
         * Sets the seed of the unlabeled images' order (required).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder setSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets the batches per epoch (default ⌊size / n⌋, the most there are; at least 1).
         *
         * @param stepsPerEpoch the batches per epoch
         * @return this builder
         */
        public Builder optStepsPerEpoch(int stepsPerEpoch) {
            this.stepsPerEpoch = stepsPerEpoch;
            return this;
        }

        /**
         * Adds a labeled support stream (SuNCEt): each batch ends with the S images the schedule
         * names for its step, each augmented by {@code view} keyed by its draw, and the labels
         * become their class ids.
         *
         * @param schedule the support's indices per step of each epoch, e.g. {@code
         *     sampler::batchesOfEpoch} of a {@code ClassBalancedSampler} built with {@code
         *     optStepsPerEpoch} equal to this dataset's steps
         * @param view the support's view, with a seed of its own (the recipe uses seed + 1)
         * @return this builder
         */
        public Builder optSupport(SupportSchedule schedule, RandomTransform<?> view) {
            this.support = schedule;
            this.supportView = view;
            return this;
        }

        /**
         * Sets where the views are made (default true: batched on the batch's device; false: image
         * by image on the source's device, then moved).
         *
         * @param batched whether to augment whole batches
         * @return this builder
         */
        public Builder optBatchedAugmentation(boolean batched) {
            this.batched = batched;
            return this;
        }

        /**
         * Sets the batches' device (default the device of the manager given to {@link #getData},
         * which for {@code EasyTrain} is the trainer's).
         *
         * @param device the device
         * @return this builder
         */
        public Builder optDevice(Device device) {
            this.device = device;
            return this;
        }

        /**
         * Sets a pipeline applied to each source image before the views (default none), e.g.
         * {@code new Pipeline(new ToTensor())} for {@code [H, W, C]} bytes.
         *
         * @param pipeline the pipeline
         * @return this builder
         */
        public Builder optPipeline(Pipeline pipeline) {
            this.pipeline = pipeline;
            return this;
        }

        /**
         * Builds the dataset.
         *
         * @return the dataset
         * @throws IllegalArgumentException for missing or bad settings (see {@link
         *     MultiViewDataset})
         */
        public MultiViewDataset build() {
            return new MultiViewDataset(this);
        }
    }
}
