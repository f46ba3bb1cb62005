package org.suncet.models;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The projection head g of SimCLR (Chen et al. 2020, arXiv 2002.05709): an MLP mapping encoder
 * features {@code h [B, d]} to the embeddings {@code z [B, D]} the contrastive loss sees. Layer
 * {@code i < L} is {@code relu([bn](linear(x)))}; the last layer is {@code [bn](linear(x))}, no
 * ReLU.
 *
 * <ul>
 *   <li>{@link #simclrV1(int)}: Linear(d, d) + bias → ReLU → Linear(d, 128) + bias, no batch norm
 *       (SimCLR; SuNCEt's first code).
 *   <li>{@link #simclrV2(int)}: three layers; hidden Linear(d, d, no bias) → BN → ReLU; last
 *       Linear(d, 128, no bias) → BN without β (SimCLRv2, Chen et al. 2020, arXiv 2006.10029).
 * </ul>
 *
 * <p>{@link #firstLayers(int)} gives the head cut after layer k, sharing its parameters, for
 * fine-tuning from the middle of the head (SimCLRv2 keeps the first layer). Linear weights start
 * from DJL's default (He-normal over the input fan), biases at 0, batch norm at γ = 1, β = 0.
 *
 * <p>Bad input: {@link IllegalArgumentException} from the builder for sizes or a layer count ≤ 0,
 * or a multi-layer head without a hidden or input size; from {@code forward} for an input that is
 * not {@code [B, d]} with the configured (or initialised) d.
 */
public final class ProjectionHead extends AbstractBlock {

    /** SimCLR's projection output size. */
    public static final int SIMCLR_OUTPUT_SIZE = 128;

    private static final byte VERSION = 1;

    private final List<Block> layers;
    private final int inputSize;
    private final int[] layerSizes;

    private ProjectionHead(List<Block> layers, int inputSize, int[] layerSizes) {
        super(VERSION);
        List<Block> added = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            added.add(addChildBlock("layer" + (i + 1), layers.get(i)));
        }
        this.layers = Collections.unmodifiableList(added);
        this.inputSize = inputSize;
        this.layerSizes = layerSizes.clone();
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
     * SimCLR's head: Linear(d, d) + bias → ReLU → Linear(d, 128) + bias, no batch norm.
     *
     * @param inputSize d, the encoder's feature size
     * @return the head
     */
    public static ProjectionHead simclrV1(int inputSize) {
        return builder()
                .optInputSize(inputSize)
                .optNumLayers(2)
                .setOutputSize(SIMCLR_OUTPUT_SIZE)
                .build();
    }

    /**
     * SimCLRv2's head: two hidden layers Linear(d, d, no bias) → BN → ReLU, then Linear(d, 128, no
     * bias) → BN without β.
     *
     * @param inputSize d, the encoder's feature size
     * @return the head
     */
    public static ProjectionHead simclrV2(int inputSize) {
        return builder()
                .optInputSize(inputSize)
                .optNumLayers(3)
                .setOutputSize(SIMCLR_OUTPUT_SIZE)
                .optBatchNorm(true)
                .build();
    }

    /**
     * The number of layers.
     *
     * @return L (0 for a head cut before its first layer)
     */
    public int getNumLayers() {
        return layers.size();
    }

    /**
     * The input size d, if it was given.
     *
     * @return d, or −1 when the head infers it at initialisation
     */
    public int getInputSize() {
        return inputSize;
    }

    /**
     * The output size of layer k.
     *
     * @param k 1 to {@link #getNumLayers()}; 0 gives {@link #getInputSize()}
     * @return the size
     */
    public int getLayerOutputSize(int k) {
        checkLayerIndex(k);
        return k == 0 ? inputSize : layerSizes[k - 1];
    }

    /**
     * The size of the head's output.
     *
     * @return the last layer's size (the input size for a head without layers)
     */
    public int getOutputSize() {
        return getLayerOutputSize(layers.size());
    }

    /**
     * The head cut after layer k, sharing this head's layers and their parameters; its output is
     * the output of layer k (the input itself for k = 0).
     *
     * @param k 0 to {@link #getNumLayers()}
     * @return the first k layers as a head
     */
    public ProjectionHead firstLayers(int k) {
        checkLayerIndex(k);
        int[] sizes = new int[k];
        System.arraycopy(layerSizes, 0, sizes, 0, k);
        return new ProjectionHead(layers.subList(0, k), inputSize, sizes);
    }

    private void checkLayerIndex(int k) {
        if (k < 0 || k > layers.size()) {
            throw new IllegalArgumentException(
                    "layer index must be in [0, " + layers.size() + "]; got " + k);
        }
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        if (inputs.size() != 1) {
            throw new IllegalArgumentException(
                    "ProjectionHead takes one input [B, d]; got " + inputs.size() + " arrays");
        }
        checkInputShape(inputs.head().getShape());
        return LayerSequence.chain(layers, parameterStore, inputs, training, params);
    }

    private void checkInputShape(Shape shape) {
        long expected = inputSize > 0 ? inputSize : -1;
        if (expected < 0 && inputShapes != null) {
            expected = inputShapes[0].get(1);
        }
        if (shape.dimension() != 2 || (expected > 0 && shape.get(1) != expected)) {
            throw new IllegalArgumentException(
                    "ProjectionHead input must be [B, d] with d = "
                            + (expected > 0 ? Long.toString(expected) : "any")
                            + "; got shape "
                            + shape);
        }
    }

    @Override
    protected void beforeInitialize(Shape... shapes) {
        checkInputShape(shapes[0]);
        super.beforeInitialize(shapes);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... shapes) {
        Shape[] current = shapes;
        for (Block layer : layers) {
            layer.initialize(manager, dataType, current);
            current = layer.getOutputShapes(current);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] shapes) {
        Shape[] current = shapes;
        for (Block layer : layers) {
            current = layer.getOutputShapes(current);
        }
        return current;
    }

    /**
     * Builds a {@link ProjectionHead}. {@link #setOutputSize(int)} is required; a head of more than
     * one layer also needs {@link #optHiddenSize(int)} or {@link #optInputSize(int)} (the hidden
     * size defaults to the input size, as in SimCLR). All checks happen in {@link #build()}.
     */
    public static final class Builder {

        private int numLayers = 2;
        private Integer inputSize;
        private Integer hiddenSize;
        private Integer outputSize;
        private boolean batchNorm;
        private Boolean bias;
        private boolean lastBatchNormCenter;
        private float momentum = 0.9f;
        private float epsilon = 1e-5f;

        Builder() {}

        /**
         * Sets the output size D (required; SimCLR: 128).
         *
         * @param outputSize D &gt; 0
         * @return this builder
         */
        public Builder setOutputSize(int outputSize) {
            this.outputSize = outputSize;
            return this;
        }

        /**
         * Sets the number of layers L (default 2).
         *
         * @param numLayers L &gt;= 1
         * @return this builder
         */
        public Builder optNumLayers(int numLayers) {
            this.numLayers = numLayers;
            return this;
        }

        /**
         * Sets the input size d, checked at forward (default: inferred at initialisation).
         *
         * @param inputSize d &gt; 0
         * @return this builder
         */
        public Builder optInputSize(int inputSize) {
            this.inputSize = inputSize;
            return this;
        }

        /**
         * Sets the size of the hidden layers (default: the input size).
         *
         * @param hiddenSize &gt; 0
         * @return this builder
         */
        public Builder optHiddenSize(int hiddenSize) {
            this.hiddenSize = hiddenSize;
            return this;
        }

        /**
         * Puts batch norm after every linear layer (default false).
         *
         * @param batchNorm whether to
         * @return this builder
         */
        public Builder optBatchNorm(boolean batchNorm) {
            this.batchNorm = batchNorm;
            return this;
        }

        /**
         * Gives the linear layers a bias (default: only without batch norm, where β makes it
         * redundant).
         *
         * @param bias whether to
         * @return this builder
         */
        public Builder optBias(boolean bias) {
            this.bias = bias;
            return this;
        }

        /**
         * Gives the last batch norm a β (default false: SimCLRv2's last batch norm has none).
         *
         * @param center whether to
         * @return this builder
         */
        public Builder optLastBatchNormCenter(boolean center) {
            this.lastBatchNormCenter = center;
            return this;
        }

        /**
         * Sets the batch-norm decay (DJL meaning, default 0.9) and ε (default 1e-5).
         *
         * @param momentum decay in [0, 1]
         * @param epsilon ε &gt; 0
         * @return this builder
         */
        public Builder optBatchNormSettings(float momentum, float epsilon) {
            this.momentum = momentum;
            this.epsilon = epsilon;
            return this;
        }

        /**
         * Builds the head.
         *
         * @return the head
         * @throws IllegalArgumentException for any invalid setting, naming it
         */
        public ProjectionHead build() {
            if (outputSize == null || outputSize <= 0) {
                throw new IllegalArgumentException(
                        "outputSize must be set and > 0 (setOutputSize); got " + outputSize);
            }
            if (numLayers <= 0) {
                throw new IllegalArgumentException("numLayers must be >= 1; got " + numLayers);
            }
            if (inputSize != null && inputSize <= 0) {
                throw new IllegalArgumentException("inputSize must be > 0; got " + inputSize);
            }
            if (hiddenSize != null && hiddenSize <= 0) {
                throw new IllegalArgumentException("hiddenSize must be > 0; got " + hiddenSize);
            }
            int input = inputSize != null ? inputSize : -1;
            int hidden = hiddenSize != null ? hiddenSize : input;
            if (numLayers > 1 && hidden <= 0) {
                throw new IllegalArgumentException(
                        "a head of " + numLayers + " layers needs optHiddenSize or optInputSize");
            }
            if (!(momentum >= 0 && momentum <= 1) || !(epsilon > 0)) {
                throw new IllegalArgumentException(
                        "batch-norm momentum must be in [0, 1] and epsilon > 0; got "
                                + momentum
                                + ", "
                                + epsilon);
            }
            boolean withBias = bias != null ? bias : !batchNorm;
            List<Block> layers = new ArrayList<>();
            int[] sizes = new int[numLayers];
            for (int i = 0; i < numLayers; i++) {
                boolean last = i == numLayers - 1;
                sizes[i] = last ? outputSize : hidden;
                LayerSequence layer = new LayerSequence();
                layer.add("linear", Linear.builder().setUnits(sizes[i]).optBias(withBias).build());
                if (batchNorm) {
                    BatchNorm norm =
                            BatchNorm.builder()
                                    .optMomentum(momentum)
                                    .optEpsilon(epsilon)
                                    .optCenter(!last || lastBatchNormCenter)
                                    .build();
                    layer.add("bn", norm);
                }
                if (!last) {
                    layer.add("relu", ParameterFreeOp.relu());
                }
                layers.add(layer);
            }
            return new ProjectionHead(layers, input, sizes);
        }
    }
}
