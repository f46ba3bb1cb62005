package org.suncet.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The selective-kernel convolution of SimCLRv2 (Chen et al. 2020, arXiv 2006.10029; after Li et al.
 * 2019, arXiv 1903.06586), which replaces the strided 3×3 convolution of a bottleneck block.
 *
 * <pre>
 *   U      = relu(bn(conv3x3_s(x)))                     [B, 2F, H', W'] = two streams of F channels
 *   U1, U2 = U split along channels                      [B, F, H', W'] each
 *   g      = mean_{H',W'}(U1 + U2)                       [B, F, 1, 1]
 *   a      = conv1x1(relu(bn(conv1x1(g))))               [B, 2F, 1, 1] through M = max(⌊F·r⌋, 32)
 *   (w1, w2) = softmax over the two streams of a split in two
 *   y      = w1·U1 + w2·U2                               [B, F, H', W']
 * </pre>
 *
 * <p>Both streams are 3×3 (one convolution with 2F filters), as in SimCLRv2's code; the attention
 * convolutions have no bias. Parameters: {@code 9·C·2F} (stream convolution) {@code + 2·2F} (its
 * batch norm) {@code + F·M + 2M + M·2F} (attention). The output already went through batch norm and
 * ReLU (inside the streams), so the bottleneck continues with its last 1×1 convolution. A training
 * pass needs at least 2 images, because the attention's batch norm sees one value per channel and
 * image.
 */
public final class SelectiveKernelConv extends AbstractBlock {

    /** SimCLRv2's lower bound on the attention bottleneck. */
    public static final int MIN_ATTENTION_CHANNELS = 32;

    private static final byte VERSION = 1;

    private final int filters;
    private final int attentionChannels;
    private final Conv2d streams;
    private final Block streamsNorm;
    private final Conv2d reduce;
    private final Block reduceNorm;
    private final Conv2d expand;

    SelectiveKernelConv(int filters, int stride, float ratio, ConvBnFactory layers) {
        super(VERSION);
        this.filters = filters;
        this.attentionChannels = attentionChannels(filters, ratio);
        streams = addChildBlock("streams", layers.conv(2 * filters, 3, stride));
        streamsNorm = addChildBlock("streamsBn", layers.batchNorm());
        reduce = addChildBlock("reduce", layers.conv(attentionChannels, 1, 1));
        reduceNorm = addChildBlock("reduceBn", layers.batchNorm());
        expand = addChildBlock("expand", layers.conv(2 * filters, 1, 1));
    }

    /**
     * The attention bottleneck width {@code max(⌊filters·ratio⌋, 32)}.
     *
     * @param filters the channels of one stream
     * @param ratio the selective-kernel ratio
     * @return the width
     */
    static int attentionChannels(int filters, float ratio) {
        return Math.max((int) (filters * ratio), MIN_ATTENTION_CHANNELS);
    }

    /**
     * The channels of one stream and of the output.
     *
     * @return F
     */
    public int getFilters() {
        return filters;
    }

    /**
     * The width of the attention bottleneck.
     *
     * @return {@code max(⌊F·ratio⌋, 32)}
     */
    public int getAttentionChannels() {
        return attentionChannels;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray convolved =
                streams.forward(parameterStore, inputs, training, params).singletonOrThrow();
        NDArray normed = applyAndClose(streamsNorm, convolved, parameterStore, training, params);
        NDArray stacked = Activation.relu(normed);
        normed.close();
        Shape shape = stacked.getShape();
        // [B, 2F, H, W] -> [B, 2, F, H, W]: channels 0..F-1 are stream 1, F..2F-1 stream 2
        NDArray twoStreams = stacked.reshape(new Shape(-1, 2, filters, shape.get(2), shape.get(3)));
        stacked.close();
        NDArray summed = twoStreams.sum(new int[] {1});
        NDArray global = SpatialMean.of(summed, true); // [B, F, 1, 1]
        summed.close();
        NDArray reduced = applyAndClose(reduce, global, parameterStore, training, params);
        NDArray reducedNormed =
                applyAndClose(reduceNorm, reduced, parameterStore, training, params);
        NDArray activated = Activation.relu(reducedNormed);
        reducedNormed.close();
        NDArray logits = applyAndClose(expand, activated, parameterStore, training, params);
        // [B, 2F, 1, 1] -> [B, 2, F, 1, 1], softmax over the two streams
        NDArray split = logits.reshape(new Shape(-1, 2, filters, 1, 1));
        logits.close();
        NDArray weights = split.softmax(1);
        split.close();
        NDArray weighted = twoStreams.mul(weights);
        twoStreams.close();
        weights.close();
        NDArray output = weighted.sum(new int[] {1}); // [B, F, H, W]
        weighted.close();
        return new NDList(output);
    }

    private static NDArray applyAndClose(
            Block layer,
            NDArray input,
            ParameterStore parameterStore,
            boolean training,
            PairList<String, Object> params) {
        NDArray output =
                layer.forward(parameterStore, new NDList(input), training, params)
                        .singletonOrThrow();
        input.close();
        return output;
    }

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        streams.initialize(manager, dataType, inputShapes);
        Shape[] streamShapes = streams.getOutputShapes(inputShapes);
        streamsNorm.initialize(manager, dataType, streamShapes);
        long batch = inputShapes[0].get(0);
        Shape[] global = {new Shape(batch, filters, 1, 1)};
        reduce.initialize(manager, dataType, global);
        Shape[] reduced = reduce.getOutputShapes(global);
        reduceNorm.initialize(manager, dataType, reduced);
        expand.initialize(manager, dataType, reduced);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape streamShape = streams.getOutputShapes(inputShapes)[0];
        return new Shape[] {
            new Shape(streamShape.get(0), filters, streamShape.get(2), streamShape.get(3))
        };
    }
}
