package org.suncet.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Linear evaluation of a representation (SimCLR, Chen et al. 2020, arXiv 2002.05709, §B.6): a
 * linear classifier trained on the frozen encoder's pooled features, {@code logits = W·sg(f(x)) +
 * b}, W and b starting at zero.
 *
 * <p>Frozen means three things here. The encoder always runs in inference mode (batch norm uses,
 * and never updates, its running statistics), even in a training pass. Its output is detached with
 * {@code stopGradient}, so no gradient reaches it. And its parameters are frozen with DJL's {@code
 * Block.freezeParameters(true)} when the probe is made, so an optimizer step (weight decay
 * included) leaves them unchanged. The freeze is on the shared {@code Parameter} objects, so the
 * model the encoder came from sees it too: call {@code encoder.freezeParameters(false)} to train
 * the encoder again. Input {@code [B, C, H, W]}, output {@code [B, numClasses]}. Obtain one from
 * {@link ContrastiveModel#linearProbe(int)}.
 */
public final class LinearProbe extends AbstractBlock {

    private static final byte VERSION = 1;

    private final Block encoder;
    private final Block classifier;
    private final int numClasses;

    LinearProbe(Block encoder, int numClasses) {
        super(VERSION);
        this.encoder = addChildBlock("encoder", encoder);
        this.classifier = addChildBlock("classifier", LinearClassifier.zeroInitialised(numClasses));
        this.numClasses = numClasses;
        encoder.freezeParameters(true);
    }

    /**
     * The frozen encoder (shared).
     *
     * @return f
     */
    public Block getEncoder() {
        return encoder;
    }

    /**
     * The zero-initialised linear classifier, the only trained part.
     *
     * @return the classifier
     */
    public Block getClassifier() {
        return classifier;
    }

    /**
     * The number of classes.
     *
     * @return the logit count
     */
    public int getNumClasses() {
        return numClasses;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray features =
                encoder.forward(parameterStore, inputs, false, params).singletonOrThrow();
        NDArray frozen = features.stopGradient();
        features.close();
        NDList logits = classifier.forward(parameterStore, new NDList(frozen), training, params);
        frozen.close();
        return logits;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... shapes) {
        encoder.initialize(manager, dataType, shapes);
        classifier.initialize(manager, dataType, encoder.getOutputShapes(shapes));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] shapes) {
        return new Shape[] {new Shape(shapes[0].get(0), numClasses)};
    }
}
