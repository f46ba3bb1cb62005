package org.suncet.models;

import ai.djl.nn.Block;

/**
 * Builds the shortcut of a residual block (He et al. 2016, option B; torchvision's {@code
 * downsample}): the identity when neither the channel count nor the resolution changes, else a
 * projection. The plain projection is a 1×1 convolution with the block's stride followed by batch
 * norm. The ResNet-D projection (He et al. 2019, arXiv 1812.01187; used by SimCLRv2 together with
 * selective kernels) first averages 2×2 cells with stride 2 when the block downsamples, then
 * applies a 1×1 convolution of stride 1 and batch norm, so no input pixel is skipped.
 */
final class ProjectionShortcut {

    private ProjectionShortcut() {}

    /**
     * Builds a shortcut.
     *
     * @param inChannels input channels
     * @param outChannels output channels
     * @param stride 1 or 2
     * @param averagePool whether to use the ResNet-D projection
     * @param layers the conv/batch-norm conventions
     * @return an identity block (no children) or a projection sequence
     */
    static Block create(
            int inChannels,
            int outChannels,
            int stride,
            boolean averagePool,
            ConvBnFactory layers) {
        if (inChannels == outChannels && stride == 1) {
            return ParameterFreeOp.identity();
        }
        LayerSequence projection = new LayerSequence();
        if (averagePool && stride > 1) {
            projection.add("pool", ParameterFreeOp.averagePool2x2Stride2());
            projection.add("conv", layers.conv(outChannels, 1, 1));
        } else {
            projection.add("conv", layers.conv(outChannels, 1, stride));
        }
        projection.add("bn", layers.batchNorm());
        return projection;
    }
}
