package org.suncet.models;

/**
 * Builds the stem of a ResNet, the layers before the first residual stage.
 *
 * <ul>
 *   <li>ImageNet (He et al. 2016; torchvision): 7×7 convolution stride 2, batch norm, ReLU, 3×3
 *       max-pool stride 2 — output at 1/4 resolution.
 *   <li>CIFAR (SimCLR appendix B.9): 3×3 convolution stride 1, batch norm, ReLU, no max-pool —
 *       output at full resolution.
 *   <li>ResNet-D (He et al. 2019, arXiv 1812.01187; SimCLRv2 with selective kernels): three 3×3
 *       convolutions of {@code w/2}, {@code w/2}, {@code w} channels, the first with stride 2, each
 *       followed by batch norm and ReLU, then the 3×3 max-pool — output at 1/4 resolution.
 * </ul>
 *
 * <p>As in SimCLR's code, the CIFAR stem takes precedence over the ResNet-D stem when both apply.
 */
final class ResNetStem {

    private ResNetStem() {}

    /**
     * The channels of the stem's narrowest convolution (and batch norm): half the width in the
     * ResNet-D stem's first two, the width otherwise.
     *
     * @param width output channels
     * @param cifar whether it is the CIFAR stem
     * @param deep whether it is the ResNet-D stem (ignored with the CIFAR stem)
     * @return the narrowest channel count, at least 1
     */
    static int narrowestWidth(int width, boolean cifar, boolean deep) {
        return deep && !cifar ? Math.max(1, width / 2) : width;
    }

    /**
     * Builds a stem.
     *
     * @param width output channels (64 × width multiplier)
     * @param cifar whether to use the CIFAR stem
     * @param deep whether to use the ResNet-D stem (ignored with the CIFAR stem)
     * @param layers the conv/batch-norm conventions
     * @return the stem
     */
    static LayerSequence create(int width, boolean cifar, boolean deep, ConvBnFactory layers) {
        LayerSequence stem = new LayerSequence();
        if (cifar) {
            layers.addConvBnRelu(stem, "1", width, 3, 1);
            return stem;
        }
        if (deep) {
            int half = narrowestWidth(width, false, true);
            layers.addConvBnRelu(stem, "1", half, 3, 2);
            layers.addConvBnRelu(stem, "2", half, 3, 1);
            layers.addConvBnRelu(stem, "3", width, 3, 1);
        } else {
            layers.addConvBnRelu(stem, "1", width, 7, 2);
        }
        stem.add("maxPool", ParameterFreeOp.maxPool3x3Stride2());
        return stem;
    }
}
