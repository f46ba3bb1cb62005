package org.suncet.models;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The ResNet depths of He et al. 2016 (Table 1) as torchvision and SimCLR build them: which
 * residual block each uses and how many blocks each of the four stages holds.
 *
 * <ul>
 *   <li>18, 34: basic blocks (two 3×3 convolutions), stages {@code [2,2,2,2]}, {@code [3,4,6,3]};
 *   <li>50, 101, 152, 200: bottleneck blocks (1×1, 3×3, 1×1, expansion 4), stages {@code
 *       [3,4,6,3]}, {@code [3,4,23,3]}, {@code [3,8,36,3]}, {@code [3,24,36,3]}.
 * </ul>
 */
public enum ResNetDepth {
    /** ResNet-18. */
    RESNET_18(18, false, 2, 2, 2, 2),
    /** ResNet-34. */
    RESNET_34(34, false, 3, 4, 6, 3),
    /** ResNet-50. */
    RESNET_50(50, true, 3, 4, 6, 3),
    /** ResNet-101. */
    RESNET_101(101, true, 3, 4, 23, 3),
    /** ResNet-152. */
    RESNET_152(152, true, 3, 8, 36, 3),
    /** ResNet-200 (SimCLR's deepest). */
    RESNET_200(200, true, 3, 24, 36, 3);

    private final int depth;
    private final boolean bottleneck;
    private final int[] blocksPerStage;

    ResNetDepth(int depth, boolean bottleneck, int... blocksPerStage) {
        this.depth = depth;
        this.bottleneck = bottleneck;
        this.blocksPerStage = blocksPerStage;
    }

    /**
     * Looks a depth up.
     *
     * @param depth 18, 34, 50, 101, 152 or 200
     * @return the depth
     * @throws IllegalArgumentException for any other depth
     */
    public static ResNetDepth of(int depth) {
        for (ResNetDepth candidate : values()) {
            if (candidate.depth == depth) {
                return candidate;
            }
        }
        throw new IllegalArgumentException(
                "depth must be one of "
                        + Arrays.stream(values())
                                .map(d -> Integer.toString(d.depth))
                                .collect(Collectors.joining(", "))
                        + "; got "
                        + depth);
    }

    /**
     * The number of weighted layers.
     *
     * @return 18, 34, 50, 101, 152 or 200
     */
    public int getDepth() {
        return depth;
    }

    /**
     * Whether the blocks are bottlenecks (expansion 4) rather than basic blocks.
     *
     * @return true from depth 50 on
     */
    public boolean isBottleneck() {
        return bottleneck;
    }

    /**
     * The output channels of a block relative to its stage width.
     *
     * @return 4 for bottlenecks, 1 for basic blocks
     */
    public int getExpansion() {
        return bottleneck ? 4 : 1;
    }

    /**
     * The number of residual blocks in stage {@code stage}.
     *
     * @param stage 0 to 3
     * @return the block count
     */
    public int getBlocks(int stage) {
        return blocksPerStage[stage];
    }
}
