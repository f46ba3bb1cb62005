package org.suncet.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A residual block of He et al. 2016: {@code y = relu(F(x) + S(x))}, where {@code F} is the
 * residual branch (see {@link BasicBlock}, {@link BottleneckBlock}) and {@code S} the shortcut: the
 * identity when the shape is kept, else a projection (1×1 convolution with the block's stride and
 * batch norm, computed as {@code SubsampledProjection}: every stride-th pixel, then a stride-1 1×1
 * convolution, which avoids a faulty oneDNN kernel; with selective kernels ResNet-D's 2×2 average
 * pool, then a 1×1 convolution of stride 1 and batch norm).
 *
 * <p>With zero-init residual the last batch norm of {@code F} starts with γ = 0, so at
 * initialisation {@code y = relu(S(x))} exactly (Goyal et al. 2017; SimCLR does this).
 *
 * <p>Input {@code [B, inChannels, H, W]}; output {@code [B, outChannels, ⌈H/stride⌉, ⌈W/stride⌉]}.
 * Intermediate arrays are closed inside {@code forward}.
 */
public class ResidualBlock extends AbstractBlock {

    private static final byte VERSION = 1;

    private final Block branch;
    private final Block shortcut;
    private final int inChannels;
    private final int outChannels;
    private final int stride;

    ResidualBlock(Block branch, Block shortcut, int inChannels, int outChannels, int stride) {
        super(VERSION);
        this.branch = addChildBlock("branch", branch);
        this.shortcut = addChildBlock("shortcut", shortcut);
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.stride = stride;
    }

    /**
     * The residual branch {@code F}.
     *
     * @return the branch (its children are the layers in order)
     */
    public Block getResidualBranch() {
        return branch;
    }

    /**
     * The shortcut {@code S}: an identity block or a projection.
     *
     * @return the shortcut
     */
    public Block getShortcut() {
        return shortcut;
    }

    /**
     * Whether the shortcut is a projection (the shape changes) rather than the identity.
     *
     * @return true when {@code stride > 1} or the channel count changes
     */
    public boolean hasProjection() {
        return !shortcut.getChildren().isEmpty();
    }

    /**
     * Input channels.
     *
     * @return the count
     */
    public int getInChannels() {
        return inChannels;
    }

    /**
     * Output channels (stage width × expansion).
     *
     * @return the count
     */
    public int getOutChannels() {
        return outChannels;
    }

    /**
     * The spatial stride of the block (1 or 2).
     *
     * @return the stride
     */
    public int getStride() {
        return stride;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray residual =
                branch.forward(parameterStore, inputs, training, params).singletonOrThrow();
        NDArray skip =
                shortcut.forward(parameterStore, inputs, training, params).singletonOrThrow();
        NDArray sum = residual.add(skip);
        NDArray output = Activation.relu(sum);
        residual.close();
        if (skip != inputs.head()) {
            skip.close();
        }
        sum.close();
        return new NDList(output);
    }

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        branch.initialize(manager, dataType, inputShapes);
        shortcut.initialize(manager, dataType, inputShapes);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return branch.getOutputShapes(inputShapes);
    }
}
