package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Transform;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A random augmentation split kornia-style into {@link #draw drawing} its parameters {@code P} (a
 * small value on the host) and {@link #apply applying} them with deterministic tensor ops, so that
 * every view can be recorded, logged, tested and replayed exactly.
 *
 * <p>Three ways to call it:
 * <ul>
 *   <li>{@link #transform(NDArray, ViewKey)}: parameters are a pure function of {@code (seed, epoch,
 *       sampleIndex, viewIndex)}; the reproducible path.</li>
 *   <li>{@link #transform(NDArray)} (DJL's {@link Transform}, e.g. in a {@code Pipeline}): the n-th
 *       call of this instance (counting from 0 across threads) uses the key {@code (epoch 0,
 *       sampleIndex n, view 0)}; reproducible only when calls arrive in the same order.</li>
 *   <li>{@link #transformBatch}: a batch {@code [B, C, H, W]} with one key per sample; subclasses may
 *       do it with batched tensor ops (see {@link SimClrAugmentation}).</li>
 * </ul>
 * Images are float32 {@code [C, H, W]} in [0, 1] (C = 1 or 3); bad shapes get an
 * {@link IllegalArgumentException}. Outputs are new arrays owned by the input's manager.
 *
 * @param <P> the parameters of one view
 */
public abstract class RandomTransform<P> implements Transform {

    private final long seed;
    private final long stream;
    private final AtomicLong calls = new AtomicLong();

    /**
     * Creates the transform.
     *
     * @param seed the seed of every draw
     * @param streamName a fixed name that separates transforms sharing a seed
     */
    protected RandomTransform(long seed, String streamName) {
        this.seed = seed;
        this.stream = streamName.hashCode();
    }

    /**
     * Returns the seed.
     *
     * @return the seed given at construction
     */
    public final long getSeed() {
        return seed;
    }

    /**
     * Draws one view's parameters from a random stream.
     *
     * @param random the stream to draw from
     * @param height the height of the image the parameters are for
     * @param width the width of the image the parameters are for
     * @return the parameters
     */
    public abstract P draw(SplittableRandom random, long height, long width);

    /**
     * Applies given parameters to an image: deterministic.
     *
     * @param image float32 {@code [C, H, W]}
     * @param parameters parameters drawn by {@link #draw} or recorded earlier
     * @return the augmented view
     */
    public abstract NDArray apply(NDArray image, P parameters);

    /**
     * Draws the parameters of the view {@code key}: a pure function of the seed, the key and the size.
     *
     * @param key the view
     * @param height the image height
     * @param width the image width
     * @return the parameters
     */
    public final P draw(ViewKey key, long height, long width) {
        return draw(key.random(seed, stream), height, width);
    }

    /**
     * Draws and applies the parameters of the view {@code key}.
     *
     * @param image float32 {@code [C, H, W]}
     * @param key the view
     * @return the augmented view
     */
    public final NDArray transform(NDArray image, ViewKey key) {
        ImageChecks.requireImage(image, "image", false);
        if (image.getShape().dimension() != 3) {
            throw new IllegalArgumentException("image must be one image [C, H, W], got " + image.getShape()
                    + "; use transformBatch for [B, C, H, W]");
        }
        return apply(image, draw(key, image.getShape().get(1), image.getShape().get(2)));
    }

    /** {@inheritDoc} Uses the key {@code (0, n, 0)} for the n-th call of this instance. */
    @Override
    public NDArray transform(NDArray image) {
        return transform(image, new ViewKey(0, calls.getAndIncrement(), 0));
    }

    /**
     * Draws the parameters of view {@code viewIndex} of each sample.
     *
     * @param epoch the epoch
     * @param sampleIndices the dataset index of each sample
     * @param viewIndex the view
     * @param height the images' height
     * @param width the images' width
     * @return one parameter value per sample
     */
    public final List<P> drawBatch(long epoch, long[] sampleIndices, int viewIndex, long height, long width) {
        List<P> out = new ArrayList<>(sampleIndices.length);
        for (long index : sampleIndices) {
            out.add(draw(new ViewKey(epoch, index, viewIndex), height, width));
        }
        return out;
    }

    /**
     * Applies one parameter value per sample to a batch. This default slices the batch and applies
     * {@link #apply} image by image; subclasses override it with batched tensor ops.
     *
     * @param batch float32 {@code [B, C, H, W]}
     * @param parameters B parameter values
     * @return the augmented batch
     */
    public NDArray applyBatch(NDArray batch, List<P> parameters) {
        ImageChecks.requireBatch(batch, "batch");
        ImageChecks.requireOnePerSample(batch, parameters.size(), "parameters");
        return Scoped.compute(scope -> {
            NDList views = new NDList();
            for (int i = 0; i < parameters.size(); i++) {
                views.add(apply(batch.get(i), parameters.get(i)));
            }
            return NDArrays.stack(views);
        }, batch);
    }

    /**
     * Applies the parameters of several views of one batch, one list of B values per view. This default
     * calls {@link #applyBatch} once per view; a subclass may make all views in one pass.
     *
     * @param batch float32 {@code [B, C, H, W]}
     * @param parameters per view, B parameter values
     * @return one augmented batch per view
     */
    NDList applyBatchViews(NDArray batch, List<List<P>> parameters) {
        NDList out = new NDList(parameters.size());
        for (List<P> view : parameters) {
            out.add(applyBatch(batch, view));
        }
        return out;
    }

    /**
     * Draws and applies the views {@code viewIndices} of each sample of a batch: the same as calling
     * {@link #transformBatch} once per view index.
     *
     * @param batch float32 {@code [B, C, H, W]}
     * @param epoch the epoch
     * @param sampleIndices the dataset index of each sample
     * @param viewIndices the views
     * @return one augmented batch per view index
     */
    final NDList transformBatchViews(NDArray batch, long epoch, long[] sampleIndices, int[] viewIndices) {
        ImageChecks.requireBatch(batch, "batch");
        ImageChecks.requireOnePerSample(batch, sampleIndices.length, "sampleIndices");
        Shape shape = batch.getShape();
        List<List<P>> parameters = new ArrayList<>(viewIndices.length);
        for (int view : viewIndices) {
            parameters.add(drawBatch(epoch, sampleIndices, view, shape.get(2), shape.get(3)));
        }
        return applyBatchViews(batch, parameters);
    }

    /**
     * Draws and applies view {@code viewIndex} of each sample of a batch.
     *
     * @param batch float32 {@code [B, C, H, W]}
     * @param epoch the epoch
     * @param sampleIndices the dataset index of each sample
     * @param viewIndex the view
     * @return the augmented batch
     */
    public final NDArray transformBatch(NDArray batch, long epoch, long[] sampleIndices, int viewIndex) {
        ImageChecks.requireBatch(batch, "batch");
        ImageChecks.requireOnePerSample(batch, sampleIndices.length, "sampleIndices");
        Shape shape = batch.getShape();
        return applyBatch(batch, drawBatch(epoch, sampleIndices, viewIndex, shape.get(2), shape.get(3)));
    }

    /** Applies parameters of unknown static type, as recorded by {@link MultiViewTransform}. */
    @SuppressWarnings("unchecked")
    final NDArray applyRecorded(NDArray image, Object parameters, String name) {
        try {
            return apply(image, (P) parameters);
        } catch (ClassCastException e) {
            throw new IllegalArgumentException(name + " has the wrong type for " + getClass().getSimpleName()
                    + ": " + (parameters == null ? "null" : parameters.getClass().getSimpleName()), e);
        }
    }

    static double uniform(SplittableRandom random, double low, double high) {
        return low == high ? low : low + (high - low) * random.nextDouble();
    }
}
