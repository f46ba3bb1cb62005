package org.suncet.benchmarks;

import org.suncet.models.ContrastiveModel;
import org.suncet.models.MemoryLayout;
import org.suncet.models.ProjectionHead;
import org.suncet.models.ResNet;

/**
 * The network the pre-training benchmarks time: a ResNet-18 with the CIFAR stem (3 × 3, stride 1,
 * no max-pool) and zero-initialised residual branches, a width multiplier, and SimCLR's v1 head
 * (Linear → ReLU → Linear) on its features.
 */
final class CifarPretrainingNetwork {

    private CifarPretrainingNetwork() {}

    /**
     * Builds the (uninitialised) network.
     *
     * @param width the ResNet width multiplier (1: SimCLR's CIFAR ResNet-18)
     * @param inputChannels 1 for Fashion-MNIST, 3 for CIFAR-10
     * @return encoder and head as one block
     */
    static ContrastiveModel build(float width, int inputChannels) {
        return build(width, inputChannels, MemoryLayout.AUTO);
    }

    /**
     * Builds the (uninitialised) network with a chosen memory layout.
     *
     * @param width the ResNet width multiplier (1: SimCLR's CIFAR ResNet-18)
     * @param inputChannels 1 for Fashion-MNIST, 3 for CIFAR-10
     * @param layout how the encoder stores its feature maps
     * @return encoder and head as one block
     */
    static ContrastiveModel build(float width, int inputChannels, MemoryLayout layout) {
        ResNet encoder =
                ResNet.builder()
                        .setDepth(18)
                        .optWidthMultiplier(width)
                        .optCifarStem(true)
                        .optInputChannels(inputChannels)
                        .optZeroInitResidual(true)
                        .optMemoryLayout(layout)
                        .build();
        return ContrastiveModel.builder()
                .setEncoder(encoder)
                .setHead(ProjectionHead.simclrV1(encoder.getFeatureSize()))
                .build();
    }
}
