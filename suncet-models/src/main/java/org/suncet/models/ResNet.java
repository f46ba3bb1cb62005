package org.suncet.models;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A ResNet encoder (He et al. 2016) in torchvision's layout, with the options SimCLR (Chen et al.
 * 2020, arXiv 2002.05709) and SimCLRv2 (Chen et al. 2020, arXiv 2006.10029) add: a width
 * multiplier, a CIFAR stem, selective kernels and zero-initialised residual branches. It maps
 * images {@code [B, C, H, W]} to globally average-pooled features {@code [B, F]}, with {@code F =
 * 512·w} for depths 18/34 and {@code 2048·w} from depth 50 on ({@link #getFeatureSize()}). There is
 * no classifier.
 *
 * <p>Layout: stem ({@link ResNetStem}: 7×7/2 + max-pool, or the CIFAR 3×3/1 stem), four stages of
 * {@link BasicBlock}s or {@link BottleneckBlock}s of widths {@code 64w, 128w, 256w, 512w}, strides
 * 1, 2, 2, 2 on the first block of each stage, projection shortcuts exactly where the shape
 * changes (a downsampling shortcut subsamples first and then runs a stride-1 1×1 convolution, the
 * same function as torchvision's strided one: see {@code SubsampledProjection} for the oneDNN bug
 * this avoids). Convolutions have no bias; batch norm has decay 0.9 and ε = 1e-5 by default. At width 1
 * the trainable parameter counts equal torchvision's {@code resnet18..152} without the fc layer
 * (11,176,512 / 21,284,672 / 23,508,032 / 42,500,160 / 58,143,808).
 *
 * <p>A fractional width multiplier scales each width as {@code max(1, round(base·w))}, so 0.25
 * gives 16, 32, 64, 128. Parameters are initialised with the engine's random generator: call {@code
 * Engine.getInstance().setRandomSeed(seed)} before initialising for a reproducible model.
 *
 * <p>On the CPU the network stores its feature maps channels-last by default ({@link
 * MemoryLayout}; with several intra-op threads from the first stage of 16 channels on): the same
 * shapes and values up to float rounding, without libtorch's layout copies around every
 * convolution.
 *
 * <p>Bad input: {@link IllegalArgumentException} from the builder for an unsupported depth, a width
 * multiplier ≤ 0, a selective-kernel ratio outside [0, 1), input channels ≤ 0, a batch-norm
 * momentum outside [0, 1] or ε ≤ 0; and from {@code forward}/{@code initialize} for an input that
 * is not {@code [B, C, H, W]} with the configured channel count.
 */
public final class ResNet extends AbstractBlock {

    private static final byte VERSION = 1;

    private final ResNetDepth depth;
    private final int inputChannels;
    private final int featureSize;
    private final Block stem;
    private final List<Block> stages;
    private final MemoryLayout memoryLayout;
    private final int[] narrowestChannels;

    private ResNet(Builder builder) {
        super(VERSION);
        depth = builder.resolvedDepth;
        memoryLayout = builder.memoryLayout;
        inputChannels = builder.inputChannels;
        featureSize = builder.getFeatureSize();
        boolean selectiveKernels = builder.selectiveKernelRatio > 0;
        ConvBnFactory layers =
                new ConvBnFactory(builder.momentum, builder.epsilon, builder.zeroInitResidual);
        int stemWidth = builder.stageWidth(0);
        stem =
                addChildBlock(
                        "stem",
                        ResNetStem.create(stemWidth, builder.cifarStem, selectiveKernels, layers));
        List<Block> built = new ArrayList<>();
        int channels = stemWidth;
        for (int stage = 0; stage < 4; stage++) {
            int width = builder.stageWidth(stage);
            LayerSequence blocks = new LayerSequence();
            for (int i = 0; i < depth.getBlocks(stage); i++) {
                int stride = (stage > 0 && i == 0) ? 2 : 1;
                ResidualBlock block =
                        depth.isBottleneck()
                                ? new BottleneckBlock(
                                        channels,
                                        width,
                                        stride,
                                        builder.selectiveKernelRatio,
                                        layers)
                                : new BasicBlock(channels, width, stride, selectiveKernels, layers);
                blocks.add("block" + (i + 1), block);
                channels = block.getOutChannels();
            }
            built.add(addChildBlock("stage" + (stage + 1), blocks));
        }
        stages = Collections.unmodifiableList(built);
        // the narrowest batch norm of the stem (ResNet-D: its first two convolutions) and stages
        narrowestChannels = new int[5];
        narrowestChannels[0] = ResNetStem.narrowestWidth(stemWidth, builder.cifarStem, selectiveKernels);
        for (int stage = 0; stage < 4; stage++) {
            narrowestChannels[stage + 1] = builder.stageWidth(stage);
        }
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
     * How the network stores its feature maps.
     *
     * @return the layout set with {@link Builder#optMemoryLayout}
     */
    public MemoryLayout getMemoryLayout() {
        return memoryLayout;
    }

    /**
     * The depth.
     *
     * @return the depth
     */
    public ResNetDepth getDepth() {
        return depth;
    }

    /**
     * The channel count the input must have.
     *
     * @return C
     */
    public int getInputChannels() {
        return inputChannels;
    }

    /**
     * The size of the pooled features.
     *
     * @return F = 512·w (basic blocks) or 2048·w (bottlenecks), rounded as the widths are
     */
    public int getFeatureSize() {
        return featureSize;
    }

    /**
     * The stem.
     *
     * @return the stem block
     */
    public Block getStem() {
        return stem;
    }

    /**
     * The four stages; each one's children are its residual blocks.
     *
     * @return the stages, in order
     */
    public List<Block> getStages() {
        return stages;
    }

    /**
     * All residual blocks, in forward order.
     *
     * @return the blocks
     */
    public List<ResidualBlock> getResidualBlocks() {
        List<ResidualBlock> blocks = new ArrayList<>();
        for (Block stage : stages) {
            for (Block block : stage.getChildren().values()) {
                blocks.add((ResidualBlock) block);
            }
        }
        return blocks;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        if (inputs.size() != 1) {
            throw new IllegalArgumentException(
                    "ResNet takes one input [B, C, H, W]; got " + inputs.size() + " arrays");
        }
        NDArray images = inputs.head();
        checkInputShape(images.getShape());
        int convertBefore = firstChannelsLastChild(images);
        NDList maps = inputs;
        int index = 0;
        for (Block child : children.values()) {
            if (index++ == convertBefore) {
                NDArray laidOut = MemoryLayout.toChannelsLast(maps.head());
                LayerSequence.closeIntermediate(maps, inputs, new NDList());
                maps = new NDList(laidOut);
            }
            NDList next = child.forward(parameterStore, maps, training, params);
            LayerSequence.closeIntermediate(maps, inputs, next);
            maps = next;
        }
        NDArray features = SpatialMean.of(maps.head(), false); // [B, F, H', W'] -> [B, F]
        maps.head().close();
        return new NDList(features);
    }

    /**
     * {@link #firstChannelsLastChild(boolean, int, int, int)} for this input in this process: on
     * its device, with libtorch's current intra-op thread count, its element size, and, on the CPU
     * with more than one thread, {@link OneDnnChannelBlock#forThisProcess()} (else {@link
     * OneDnnChannelBlock#BELOW_AVX512}, which the rule then does not read).
     *
     * @param images the forward's input
     * @return the child index
     */
    int firstChannelsLastChild(NDArray images) {
        int threads = images instanceof PtNDArray ? JniUtils.getNumThreads() : 1;
        boolean cpu = Device.Type.CPU.equals(images.getDevice().getDeviceType());
        return firstChannelsLastChild(
                cpu,
                threads,
                images.getDataType().getNumOfBytes(),
                cpu && threads > 1
                        ? OneDnnChannelBlock.forThisProcess()
                        : OneDnnChannelBlock.BELOW_AVX512);
    }

    /**
     * The child (0 = stem, 1..4 = stages) before which the feature maps are made channels-last,
     * or {@code children.size()} for none: the first whose narrowest batch norm the layout stores
     * channels-last ({@link MemoryLayout}; the widths grow with depth, so every later one is too).
     *
     * @param cpu whether the input is on the CPU
     * @param threads libtorch's intra-op threads
     * @param elementBytes bytes per element of the input
     * @param oneDnnChannelBlock the float32 channels oneDNN blocks plain maps by ({@link
     *     OneDnnChannelBlock})
     * @return the child index
     */
    int firstChannelsLastChild(boolean cpu, int threads, int elementBytes, int oneDnnChannelBlock) {
        for (int i = 0; i < narrowestChannels.length; i++) {
            if (memoryLayout.channelsLastFor(
                    cpu, threads, narrowestChannels[i], elementBytes, oneDnnChannelBlock)) {
                return i;
            }
        }
        return narrowestChannels.length;
    }

    private void checkInputShape(Shape shape) {
        if (shape.dimension() != 4 || shape.get(1) != inputChannels) {
            throw new IllegalArgumentException(
                    "ResNet input must be [B, C, H, W] with C = "
                            + inputChannels
                            + " channels (optInputChannels); got shape "
                            + shape);
        }
    }

    @Override
    protected void beforeInitialize(Shape... inputShapes) {
        if (inputShapes.length != 1) {
            throw new IllegalArgumentException(
                    "ResNet takes one input [B, C, H, W]; got " + inputShapes.length + " shapes");
        }
        checkInputShape(inputShapes[0]);
        super.beforeInitialize(inputShapes);
    }

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape[] shapes = inputShapes;
        for (Block child : children.values()) {
            child.initialize(manager, dataType, shapes);
            shapes = child.getOutputShapes(shapes);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), featureSize)};
    }

    /**
     * Builds a {@link ResNet}. {@link #setDepth(int)} is required; every {@code opt*} has the
     * default given in its description. All checks happen in {@link #build()}.
     */
    public static final class Builder {

        private Integer depth;
        private ResNetDepth resolvedDepth;
        private float widthMultiplier = 1f;
        private boolean cifarStem;
        private float selectiveKernelRatio;
        private boolean zeroInitResidual;
        private int inputChannels = 3;
        private float momentum = 0.9f;
        private float epsilon = 1e-5f;
        private MemoryLayout memoryLayout = MemoryLayout.AUTO;

        Builder() {}

        /**
         * Sets the depth (required).
         *
         * @param depth 18, 34, 50, 101, 152 or 200
         * @return this builder
         */
        public Builder setDepth(int depth) {
            this.depth = depth;
            return this;
        }

        /**
         * Sets the width multiplier w: stage widths {@code 64w..512w} (default 1; SimCLR uses 1, 2,
         * 4, SimCLRv2 up to 3). Fractional widths are rounded per stage, at least 1 channel.
         *
         * @param widthMultiplier w &gt; 0
         * @return this builder
         */
        public Builder optWidthMultiplier(float widthMultiplier) {
            this.widthMultiplier = widthMultiplier;
            return this;
        }

        /**
         * Uses the CIFAR stem: 3×3 stride-1 convolution, batch norm, ReLU, no max-pool (default
         * false: torchvision's 7×7/2 stem and max-pool).
         *
         * @param cifarStem whether to use it
         * @return this builder
         */
        public Builder optCifarStem(boolean cifarStem) {
            this.cifarStem = cifarStem;
            return this;
        }

        /**
         * Turns on SimCLRv2's selective kernels with this ratio (default 0 = off; SimCLRv2 uses
         * 0.0625): ResNet-D stem (unless the CIFAR stem is on), average-pool projection shortcuts
         * and {@link SelectiveKernelConv} in place of the bottlenecks' 3×3 convolutions.
         *
         * @param ratio in [0, 1)
         * @return this builder
         */
        public Builder optSelectiveKernelRatio(float ratio) {
            this.selectiveKernelRatio = ratio;
            return this;
        }

        /**
         * Starts the last batch norm of every residual branch with γ = 0, so each block is {@code
         * relu(shortcut(x))} at initialisation (default false, as torchvision; SimCLR: true).
         *
         * @param zeroInitResidual whether to do it
         * @return this builder
         */
        public Builder optZeroInitResidual(boolean zeroInitResidual) {
            this.zeroInitResidual = zeroInitResidual;
            return this;
        }

        /**
         * Sets the input channel count (default 3; 1 for grayscale data).
         *
         * @param inputChannels C &gt; 0
         * @return this builder
         */
        public Builder optInputChannels(int inputChannels) {
            this.inputChannels = inputChannels;
            return this;
        }

        /**
         * Sets the batch-norm decay m of DJL's {@code BatchNorm}: {@code running ← m·running + (1 −
         * m)·batch} (default 0.9 = SimCLR's {@code batch_norm_decay} = PyTorch's momentum 0.1).
         *
         * @param momentum m in [0, 1]
         * @return this builder
         */
        public Builder optBatchNormMomentum(float momentum) {
            this.momentum = momentum;
            return this;
        }

        /**
         * Sets the batch-norm ε (default 1e-5).
         *
         * @param epsilon ε &gt; 0
         * @return this builder
         */
        public Builder optBatchNormEpsilon(float epsilon) {
            this.epsilon = epsilon;
            return this;
        }

        /**
         * Sets how the network stores its feature maps (default {@link MemoryLayout#AUTO}:
         * channels-last on the CPU, where libtorch's convolutions then skip a layout copy of
         * every input, output and gradient, and with more than one intra-op thread only from the
         * first stage of at least 16 float32 channels on; see {@link MemoryLayout}). The feature
         * maps are copied into that layout once per forward, before the first stage it applies
         * to; shapes and values are unchanged, results equal up to float rounding.
         *
         * @param layout the layout, not null
         * @return this builder
         */
        public Builder optMemoryLayout(MemoryLayout layout) {
            this.memoryLayout = layout;
            return this;
        }

        /**
         * The feature size the built network will output.
         *
         * @return F
         * @throws IllegalArgumentException if the depth or the width multiplier is invalid
         */
        public int getFeatureSize() {
            validateShape();
            return stageWidth(3) * resolvedDepth.getExpansion();
        }

        /**
         * Builds the network (parameters are created at initialisation). The first build in a
         * process runs {@link ConvolutionKernelCheck#ensureChecked()}, which makes libtorch's
         * float32 convolutions right where oneDNN's are wrong (repairing oneDNN's view of the CPU
         * caches, or capping its ISA, or switching it off).
         *
         * @return the ResNet
         * @throws IllegalArgumentException for any invalid setting, naming it
         */
        public ResNet build() {
            validateShape();
            if (!(selectiveKernelRatio >= 0 && selectiveKernelRatio < 1)) {
                throw new IllegalArgumentException(
                        "selectiveKernelRatio must be in [0, 1) (0 = off); got "
                                + selectiveKernelRatio);
            }
            if (inputChannels <= 0) {
                throw new IllegalArgumentException(
                        "inputChannels must be > 0; got " + inputChannels);
            }
            if (!(momentum >= 0 && momentum <= 1)) {
                throw new IllegalArgumentException(
                        "batch-norm momentum (decay) must be in [0, 1]; got " + momentum);
            }
            if (!(epsilon > 0) || Float.isInfinite(epsilon)) {
                throw new IllegalArgumentException(
                        "batch-norm epsilon must be finite and > 0; got " + epsilon);
            }
            if (memoryLayout == null) {
                throw new IllegalArgumentException(
                        "memoryLayout must not be null (AUTO, CHANNELS_LAST or AS_GIVEN)");
            }
            // wrong float32 convolutions where a VM hides the CPU caches: see the class
            ConvolutionKernelCheck.ensureChecked();
            return new ResNet(this);
        }

        private void validateShape() {
            if (depth == null) {
                throw new IllegalArgumentException(
                        "depth is required: call setDepth(18|34|50|101|152|200)");
            }
            resolvedDepth = ResNetDepth.of(depth);
            if (!(widthMultiplier > 0) || 2048.0 * widthMultiplier > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(
                        "widthMultiplier must be > 0 (and small enough for int channel counts); got"
                            + " "
                                + widthMultiplier);
            }
        }

        /** Width of stage {@code stage} (0..3): {@code max(1, round(64·2^stage·w))}. */
        int stageWidth(int stage) {
            return (int) Math.max(1, Math.round((64L << stage) * (double) widthMultiplier));
        }
    }
}
