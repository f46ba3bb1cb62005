package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.translate.Transform;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.suncet.ndarray.MallocTuning;

/**
 * V views of one image, view {@code v} made by its own random transform with the key {@code (epoch,
 * sampleIndex, v)} (lightly's {@code MultiViewTransform}): {@code of(view, view)} gives SimCLR's two
 * views of one distribution (Chen et al. 2020, arXiv 2002.05709), {@code of(viewA, viewB)} asymmetric
 * setups (e.g. BYOL's two views).
 *
 * <p>{@link #transform(NDArray, long, long)} returns the V views as an {@link NDList};
 * {@link #transformBatch} returns V batches {@code [B, C, h, w]} in view order (concatenate them for
 * the view-major rows an NT-Xent loss expects; views of one transform instance are made in one batched
 * pass); {@link #draw} and {@link #apply(NDArray, List)} record
 * and replay. As a DJL {@link Transform} the n-th call uses {@code (epoch 0, sampleIndex n)} and
 * returns the views stacked {@code [V, C, h, w]} (all views must then share one output size).
 *
 * <p>No views, a null view, parameters of the wrong count or type, or a bad image get an
 * {@link IllegalArgumentException}.
 */
public final class MultiViewTransform implements Transform {

    private final List<RandomTransform<?>> views;
    private final AtomicLong calls = new AtomicLong();

    private MultiViewTransform(List<RandomTransform<?>> views) {
        MallocTuning.ensureApplied(); // the batched path writes large fresh outputs every call
        if (views.isEmpty() || views.contains(null)) {
            throw new IllegalArgumentException("need at least one view and no null views, got " + views);
        }
        this.views = List.copyOf(views);
    }

    /**
     * One view per transform given.
     *
     * @param views the view transforms, in view order
     * @return the multi-view transform
     */
    public static MultiViewTransform of(RandomTransform<?>... views) {
        List<RandomTransform<?>> list = new ArrayList<>();
        Collections.addAll(list, views);
        return new MultiViewTransform(list);
    }

    /**
     * {@code count} views of the same transform (they differ through the view index of their keys).
     *
     * @param view the view transform
     * @param count number of views, {@code >= 1}
     * @return the multi-view transform
     */
    public static MultiViewTransform repeat(RandomTransform<?> view, int count) {
        if (count < 1) {
            throw new IllegalArgumentException("view count must be >= 1, got " + count);
        }
        return new MultiViewTransform(Collections.nCopies(count, view));
    }

    /**
     * Returns the number of views.
     *
     * @return V
     */
    public int getViewCount() {
        return views.size();
    }

    /**
     * Makes the V views of one sample.
     *
     * @param image float32 {@code [C, H, W]}
     * @param epoch the epoch
     * @param sampleIndex the sample's dataset index
     * @return V views
     */
    public NDList transform(NDArray image, long epoch, long sampleIndex) {
        NDList out = new NDList(views.size());
        for (int v = 0; v < views.size(); v++) {
            out.add(views.get(v).transform(image, new ViewKey(epoch, sampleIndex, v)));
        }
        return out;
    }

    /**
     * Draws the parameters of the V views of one sample.
     *
     * @param epoch the epoch
     * @param sampleIndex the sample's dataset index
     * @param height the image height
     * @param width the image width
     * @return one parameter value per view
     */
    public List<Object> draw(long epoch, long sampleIndex, long height, long width) {
        List<Object> out = new ArrayList<>(views.size());
        for (int v = 0; v < views.size(); v++) {
            out.add(views.get(v).draw(new ViewKey(epoch, sampleIndex, v), height, width));
        }
        return out;
    }

    /**
     * Replays recorded views.
     *
     * @param image float32 {@code [C, H, W]}
     * @param parameters one parameter value per view, as returned by {@link #draw}
     * @return V views
     */
    public NDList apply(NDArray image, List<?> parameters) {
        if (parameters == null || parameters.size() != views.size()) {
            throw new IllegalArgumentException("need one parameter value per view (" + views.size() + "), got "
                    + (parameters == null ? "null" : parameters.size()));
        }
        NDList out = new NDList(views.size());
        for (int v = 0; v < views.size(); v++) {
            out.add(views.get(v).applyRecorded(image, parameters.get(v), "parameters of view " + v));
        }
        return out;
    }

    /**
     * Makes the V views of every sample of a batch, each view on its transform's batched path.
     *
     * @param batch float32 {@code [B, C, H, W]}
     * @param epoch the epoch
     * @param sampleIndices the dataset index of each sample
     * @return V batches in view order
     */
    public NDList transformBatch(NDArray batch, long epoch, long[] sampleIndices) {
        // Views made by the same transform instance run together (one batched pass for all of them).
        NDArray[] out = new NDArray[views.size()];
        for (int v = 0; v < views.size(); v++) {
            if (out[v] != null) {
                continue;
            }
            RandomTransform<?> view = views.get(v);
            int[] same = IntStream.range(v, views.size()).filter(u -> views.get(u) == view).toArray();
            NDList made = view.transformBatchViews(batch, epoch, sampleIndices, same);
            for (int j = 0; j < same.length; j++) {
                out[same[j]] = made.get(j);
            }
        }
        return new NDList(out);
    }

    /** {@inheritDoc} The n-th call makes the views of {@code (epoch 0, sampleIndex n)}, stacked. */
    @Override
    public NDArray transform(NDArray image) {
        NDList list = transform(image, 0, calls.getAndIncrement());
        try {
            for (NDArray view : list) {
                if (!view.getShape().equals(list.get(0).getShape())) {
                    throw new IllegalArgumentException("stacking needs views of one shape, got "
                            + list.get(0).getShape() + " and " + view.getShape()
                            + "; use transform(image, epoch, sampleIndex) for views of different sizes");
                }
            }
            return NDArrays.stack(list);
        } finally {
            list.close();
        }
    }
}
