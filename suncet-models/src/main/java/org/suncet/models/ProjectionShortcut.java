package org.suncet.models;

import ai.djl.nn.Block;

/**
 * Builds the shortcut of a residual block (He et al. 2016, option B; torchvision's {@code
 * downsample}): the identity when neither the channel count nor the resolution changes, else a
 * projection. The plain projection is a 1×1 convolution with the block's stride followed by batch
 * norm; with a stride it is computed as {@link SubsampledProjection} (the strided pixels first, then
 * a stride-1 1×1 convolution: the same function and parameters, without oneDNN's faulty strided 1×1
 * backward-weights kernel). The ResNet-D projection (He et al. 2019, arXiv 1812.01187; used by SimCLRv2 together with
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
     * @return an identity block (no children) or a projection
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
        if (stride > 1 && !averagePool) {
            return new SubsampledProjection(
                    layers.conv(outChannels, 1, 1), layers.batchNorm(), stride);
        }
        LayerSequence projection = new LayerSequence();
        if (stride > 1) {
            projection.add("pool", ParameterFreeOp.averagePool2x2Stride2());
        }
        projection.add("conv", layers.conv(outChannels, 1, 1));
        projection.add("bn", layers.batchNorm());
        return projection;
    }
}
