package org.suncet.models;

/**
 * The basic residual block of ResNet-18/34 (He et al. 2016, Fig. 2 left; torchvision's {@code
 * BasicBlock}): {@code relu(bn2(conv3x3(relu(bn1(conv3x3_s(x))))) + shortcut(x))}, the stride on
 * the first 3×3 convolution, output channels = width.
 *
 * <p>With selective kernels on, only the shortcut changes (ResNet-D average-pool projection); the
 * 3×3 convolutions stay plain, as in SimCLRv2's code, which puts selective kernels in bottleneck
 * blocks only.
 */
public final class BasicBlock extends ResidualBlock {

    BasicBlock(
            int inChannels, int width, int stride, boolean resnetDShortcut, ConvBnFactory layers) {
        super(
                branch(width, stride, layers),
                ProjectionShortcut.create(inChannels, width, stride, resnetDShortcut, layers),
                inChannels,
                width,
                stride);
    }

    private static LayerSequence branch(int width, int stride, ConvBnFactory layers) {
        LayerSequence branch = new LayerSequence();
        layers.addConvBnRelu(branch, "1", width, 3, stride);
        branch.add("conv2", layers.conv(width, 3, 1));
        branch.add("bn2", layers.residualOutputNorm());
        return branch;
    }
}
