package org.suncet.models;

/**
 * The bottleneck residual block of ResNet-50/101/152/200 in torchvision's "v1.5" layout: 1×1
 * convolution to the stage width, 3×3 convolution carrying the stride, 1×1 convolution to 4× the
 * width, each followed by batch norm, ReLU after the first two and after the sum with the shortcut
 * (He et al. 2016, Fig. 5 right; the stride on the 3×3 rather than the first 1×1 follows
 * torchvision and SimCLR).
 *
 * <p>With selective kernels (SimCLRv2, Chen et al. 2020, arXiv 2006.10029) the 3×3 convolution and
 * its batch norm and ReLU become a {@link SelectiveKernelConv}, and the projection shortcut uses
 * ResNet-D's average pooling.
 */
public final class BottleneckBlock extends ResidualBlock {

    /** Output channels per unit of stage width. */
    static final int EXPANSION = 4;

    BottleneckBlock(
            int inChannels,
            int width,
            int stride,
            float selectiveKernelRatio,
            ConvBnFactory layers) {
        super(
                branch(width, stride, selectiveKernelRatio, layers),
                ProjectionShortcut.create(
                        inChannels, EXPANSION * width, stride, selectiveKernelRatio > 0, layers),
                inChannels,
                EXPANSION * width,
                stride);
    }

    private static LayerSequence branch(
            int width, int stride, float selectiveKernelRatio, ConvBnFactory layers) {
        LayerSequence branch = new LayerSequence();
        layers.addConvBnRelu(branch, "1", width, 1, 1);
        if (selectiveKernelRatio > 0) {
            branch.add("sk2", new SelectiveKernelConv(width, stride, selectiveKernelRatio, layers));
        } else {
            layers.addConvBnRelu(branch, "2", width, 3, stride);
        }
        branch.add("conv3", layers.conv(EXPANSION * width, 1, 1));
        branch.add("bn3", layers.residualOutputNorm());
        return branch;
    }
}
