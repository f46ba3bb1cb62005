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
 * The network pre-trained by SimCLR (Chen et al. 2020, arXiv 2002.05709, Fig. 2) and SuNCEt (Assran
 * et al. 2020, arXiv 2006.10803): an encoder f followed by a projection head g. Forward maps images
 * {@code [B, C, H, W]} to {@code NDList(h, z)}, the representation {@code h = f(x) [B, F]} (what
 * downstream tasks use) and the projection {@code z = g(h) [B, D]} (what the contrastive loss
 * sees).
 *
 * <p>After pre-training, {@link #fineTuneClassifier(int, int)} and {@link #linearProbe(int)} derive
 * the evaluation networks; both share this model's parameters. Save and load through DJL's {@code
 * Model} ({@code model.setBlock(contrastiveModel); model.save(dir, name)}; to load, build the same
 * architecture, {@code setBlock} and {@code load}).
 *
 * <p>Bad input: {@link IllegalArgumentException} from the builder for a missing encoder or head or
 * a head whose input size differs from a {@link ResNet} encoder's feature size; from the derivation
 * methods for k outside [0, L] or numClasses ≤ 0; from forward, whatever the encoder and head
 * reject (a wrong channel count for a ResNet).
 */
public final class ContrastiveModel extends AbstractBlock {

    private static final byte VERSION = 1;

    private final Block encoder;
    private final ProjectionHead head;

    private ContrastiveModel(Builder builder) {
        super(VERSION);
        encoder = addChildBlock("encoder", builder.encoder);
        head = addChildBlock("head", builder.head);
    }

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The encoder f.
     *
     * @return the encoder
     */
    public Block getEncoder() {
        return encoder;
    }

    /**
     * The projection head g.
     *
     * @return the head
     */
    public ProjectionHead getHead() {
        return head;
    }

    /**
     * The fine-tuning network: encoder, the first {@code headLayersKept} head layers, and a
     * zero-initialised linear classifier, all but the classifier shared with this model.
     *
     * @param headLayersKept k in [0, L]: 0 for SimCLR v1 (drop the head), 1 for SimCLRv2
     * @param numClasses the number of classes, &gt; 0
     * @return the classifier network
     */
    public FineTuneClassifier fineTuneClassifier(int headLayersKept, int numClasses) {
        ProjectionHead kept = head.firstLayers(headLayersKept);
        return new FineTuneClassifier(encoder, kept, numClasses);
    }

    /**
     * The linear-evaluation network: a zero-initialised linear classifier on the frozen encoder's
     * features. This freezes the encoder's (shared) parameters; see {@link LinearProbe}.
     *
     * @param numClasses the number of classes, &gt; 0
     * @return the probe
     */
    public LinearProbe linearProbe(int numClasses) {
        if (numClasses <= 0) {
            throw new IllegalArgumentException("numClasses must be > 0; got " + numClasses);
        }
        return new LinearProbe(encoder, numClasses);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray h = encoder.forward(parameterStore, inputs, training, params).singletonOrThrow();
        NDArray z =
                head.forward(parameterStore, new NDList(h), training, params).singletonOrThrow();
        return new NDList(h, z);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... shapes) {
        encoder.initialize(manager, dataType, shapes);
        head.initialize(manager, dataType, encoder.getOutputShapes(shapes));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] shapes) {
        Shape[] features = encoder.getOutputShapes(shapes);
        return new Shape[] {features[0], head.getOutputShapes(features)[0]};
    }

    /** Builds a {@link ContrastiveModel}; both setters are required. */
    public static final class Builder {

        private Block encoder;
        private ProjectionHead head;

        Builder() {}

        /**
         * Sets the encoder f (required), a block mapping images to {@code [B, F]}, typically a
         * {@link ResNet}.
         *
         * @param encoder the encoder
         * @return this builder
         */
        public Builder setEncoder(Block encoder) {
            this.encoder = encoder;
            return this;
        }

        /**
         * Sets the projection head g (required).
         *
         * @param head the head
         * @return this builder
         */
        public Builder setHead(ProjectionHead head) {
            this.head = head;
            return this;
        }

        /**
         * Builds the model.
         *
         * @return the model
         * @throws IllegalArgumentException if a part is missing or the sizes do not fit
         */
        public ContrastiveModel build() {
            if (encoder == null) {
                throw new IllegalArgumentException("encoder is required (setEncoder)");
            }
            if (head == null) {
                throw new IllegalArgumentException("head is required (setHead)");
            }
            if (encoder instanceof ResNet
                    && head.getInputSize() > 0
                    && head.getInputSize() != ((ResNet) encoder).getFeatureSize()) {
                throw new IllegalArgumentException(
                        "head input size "
                                + head.getInputSize()
                                + " differs from the encoder's feature size "
                                + ((ResNet) encoder).getFeatureSize());
            }
            return new ContrastiveModel(this);
        }
    }
}
