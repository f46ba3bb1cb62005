package org.suncet.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

/** Parameter counts: torchvision's at width 1, the width multiplier, selective kernels. */
class ResNetParameterCountTest {

    /** Initialises at a small size: parameter shapes do not depend on the resolution. */
    private static long trainable(ResNet network, NDManager manager) {
        ModelTesting.initialize(
                network, manager, 1, new Shape(1, network.getInputChannels(), 32, 32));
        return ParameterCount.trainable(network);
    }

    @ParameterizedTest(name = "resnet{0}")
    @CsvSource({"18, 11176512", "34, 21284672", "50, 23508032", "101, 42500160", "152, 58143808"})
    void widthOneMatchesTorchvisionWithoutTheClassifier(int depth, long torchvision) {
        assertEquals(torchvision, ReferenceParameterCounts.resnet(depth, 1, false, 0, 3));
        try (NDManager manager = NDManager.newBaseManager()) {
            ResNet network = ResNet.builder().setDepth(depth).build();
            assertEquals(torchvision, trainable(network, manager));
            // running mean and variance exist but are not trainable: 2 per batch-norm channel
            long total = ParameterCount.total(network);
            long runningStatistics = 0;
            for (Parameter parameter : network.getParameters().values()) {
                if (parameter.getType() == Parameter.Type.RUNNING_MEAN
                        || parameter.getType() == Parameter.Type.RUNNING_VAR) {
                    assertTrue(!parameter.requiresGradient(), parameter.getName());
                    runningStatistics += parameter.getShape().size();
                }
            }
            assertEquals(total - torchvision, runningStatistics);
        }
    }

    @ParameterizedTest(name = "resnet{0} width {1} cifar {2} sk {3} channels {4}")
    @CsvSource({
        "18, 0.25, true, 0, 3",
        "18, 0.5, false, 0, 1",
        "18, 2, false, 0, 3",
        "18, 0.3, true, 0, 3",
        "34, 0.25, false, 0.0625, 3",
        "50, 0.25, false, 0, 3",
        "50, 0.5, true, 0.0625, 3",
        "50, 0.125, false, 0.0625, 1",
        "50, 2, false, 0, 3",
        "200, 0.0625, false, 0, 3"
    })
    void countsFollowTheArchitectureAtEveryWidth(
            int depth, float width, boolean cifar, float sk, int channels) {
        try (NDManager manager = NDManager.newBaseManager()) {
            ResNet network =
                    ResNet.builder()
                            .setDepth(depth)
                            .optWidthMultiplier(width)
                            .optCifarStem(cifar)
                            .optSelectiveKernelRatio(sk)
                            .optInputChannels(channels)
                            .build();
            assertEquals(
                    ReferenceParameterCounts.resnet(depth, width, cifar, sk, channels),
                    trainable(network, manager));
        }
    }

    @ParameterizedTest(name = "resnet{0}")
    @CsvSource({"18, 512", "50, 2048"})
    void widthTwoDoublesEveryStageWidth(int depth, int featureSizeAtWidthOne) {
        ResNet one = ResNet.builder().setDepth(depth).build();
        ResNet two = ResNet.builder().setDepth(depth).optWidthMultiplier(2).build();
        assertEquals(featureSizeAtWidthOne, one.getFeatureSize());
        assertEquals(2 * featureSizeAtWidthOne, two.getFeatureSize());
        List<Integer> filtersOne = convolutionFilters(one);
        List<Integer> filtersTwo = convolutionFilters(two);
        assertEquals(filtersOne.size(), filtersTwo.size());
        for (int i = 0; i < filtersOne.size(); i++) {
            assertEquals(2 * filtersOne.get(i), filtersTwo.get(i), "convolution " + i);
        }
    }

    @ParameterizedTest(name = "width {0}")
    @CsvSource({"0.25, 16, 32, 64, 128", "0.3, 19, 38, 77, 154", "0.001, 1, 1, 1, 1"})
    void fractionalWidthsRoundEachStageAndKeepOneChannel(
            float width, int stage1, int stage2, int stage3, int stage4) {
        ResNet network = ResNet.builder().setDepth(18).optWidthMultiplier(width).build();
        int[] expected = {stage1, stage2, stage3, stage4};
        for (int stage = 0; stage < 4; stage++) {
            Block first = network.getStages().get(stage).getChildren().values().get(0);
            assertEquals(expected[stage], ((ResidualBlock) first).getOutChannels());
        }
        assertEquals(stage4, network.getFeatureSize());
        assertEquals(
                4 * stage4,
                ResNet.builder().setDepth(50).optWidthMultiplier(width).getFeatureSize());
    }

    @org.junit.jupiter.api.Test
    void selectiveKernelResNet50IsAbout35MillionAsSimclrV2Reports() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ResNet network = ResNet.builder().setDepth(50).optSelectiveKernelRatio(0.0625f).build();
            long count = trainable(network, manager);
            assertEquals(ReferenceParameterCounts.resnet(50, 1, false, 0.0625f, 3), count);
            assertEquals(35_215_584L, count);
            assertTrue(
                    Math.abs(count - 35e6) < 0.5e6, "SimCLRv2 README: R50-1x+SK 35M; got " + count);
            // the SimCLR README's R50-2x: 94M
            long twoX = ReferenceParameterCounts.resnet(50, 2, false, 0, 3);
            assertTrue(Math.abs(twoX - 94e6) < 0.5e6, "R50-2x: " + twoX);
        }
    }

    private static List<Integer> convolutionFilters(Block block) {
        List<Integer> filters = new ArrayList<>();
        collect(block, filters);
        return filters;
    }

    private static void collect(Block block, List<Integer> filters) {
        if (block instanceof Conv2d) {
            filters.add(((Conv2d) block).getFilters());
        }
        for (Block child : block.getChildren().values()) {
            collect(child, filters);
        }
    }
}
