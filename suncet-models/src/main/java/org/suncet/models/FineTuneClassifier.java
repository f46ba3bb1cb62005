package org.suncet.models;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.util.List;

/**
 * The network fine-tuned on labels after contrastive pre-training (SimCLR, Chen et al. 2020, arXiv
 * 2002.05709; SimCLRv2, arXiv 2006.10029): {@code logits = classifier(g_k(f(x)))}, where f is the
 * pre-trained encoder, {@code g_k} the first k layers of the projection head (SimCLR v1 keeps none,
 * SimCLRv2 keeps one) and the classifier a linear layer whose weights and bias start at zero.
 *
 * <p>The encoder and the kept head layers are the pre-trained blocks themselves: their parameters
 * are shared, and fine-tuning changes them in place (save the pre-trained model first to keep it).
 * Everything trains; batch norm runs in training mode in a training pass. Input {@code [B, C, H,
 * W]}, output {@code [B, numClasses]}. Obtain one from {@link
 * ContrastiveModel#fineTuneClassifier(int, int)}.
 */
public final class FineTuneClassifier extends AbstractBlock {

    private static final byte VERSION = 1;

    private final Block encoder;
    private final ProjectionHead headLayers;
    private final Block classifier;
    private final int numClasses;

    FineTuneClassifier(Block encoder, ProjectionHead headLayers, int numClasses) {
        super(VERSION);
        this.encoder = addChildBlock("encoder", encoder);
        this.headLayers = addChildBlock("head", headLayers);
        this.classifier = addChildBlock("classifier", LinearClassifier.zeroInitialised(numClasses));
        this.numClasses = numClasses;
    }

    /**
     * The shared encoder.
     *
     * @return f
     */
    public Block getEncoder() {
        return encoder;
    }

    /**
     * The kept head layers (shared).
     *
     * @return {@code g_k}; a head of 0 layers when none is kept
     */
    public ProjectionHead getHeadLayers() {
        return headLayers;
    }

    /**
     * The zero-initialised linear classifier.
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
        return LayerSequence.chain(
                List.of(encoder, headLayers, classifier), parameterStore, inputs, training, params);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... shapes) {
        encoder.initialize(manager, dataType, shapes);
        Shape[] features = encoder.getOutputShapes(shapes);
        headLayers.initialize(manager, dataType, features);
        classifier.initialize(manager, dataType, headLayers.getOutputShapes(features));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] shapes) {
        return new Shape[] {new Shape(shapes[0].get(0), numClasses)};
    }
}
