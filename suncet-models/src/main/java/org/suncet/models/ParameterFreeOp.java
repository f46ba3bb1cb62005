package org.suncet.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.util.function.UnaryOperator;

/**
 * A block without parameters that applies one array operation (ReLU, a pooling, the identity) and
 * knows its output shape without running it. DJL's {@code LambdaBlock} finds output shapes by
 * running its function on zeros of the full input shape; this one computes them, so initialising a
 * deep ResNet at 224 px allocates no activations.
 */
final class ParameterFreeOp extends AbstractBlock {

    private static final byte VERSION = 1;

    private final UnaryOperator<NDArray> op;
    private final UnaryOperator<Shape> shapeOf;
    private final String description;

    private ParameterFreeOp(
            UnaryOperator<NDArray> op, UnaryOperator<Shape> shapeOf, String description) {
        super(VERSION);
        this.op = op;
        this.shapeOf = shapeOf;
        this.description = description;
    }

    /** {@code max(x, 0)}. */
    static ParameterFreeOp relu() {
        return new ParameterFreeOp(Activation::relu, shape -> shape, "ReLU");
    }

    /** Returns its input unchanged (the same array). */
    static ParameterFreeOp identity() {
        return new ParameterFreeOp(x -> x, shape -> shape, "Identity");
    }

    /** torchvision's stem pooling: 3×3 max-pool, stride 2, padding 1. */
    static ParameterFreeOp maxPool3x3Stride2() {
        return new ParameterFreeOp(
                x -> Pool.maxPool2d(x, new Shape(3, 3), new Shape(2, 2), new Shape(1, 1), false),
                shape -> spatial(shape, (shape.get(2) - 1) / 2 + 1, (shape.get(3) - 1) / 2 + 1),
                "MaxPool3x3/2");
    }

    /**
     * ResNet-D's shortcut pooling (He et al. 2019, arXiv 1812.01187): 2×2 average, stride 2, ceil
     * mode, padded cells not counted, so the output is {@code ceil(H/2) × ceil(W/2)}, the size of
     * the strided 3×3 convolution beside it.
     */
    static ParameterFreeOp averagePool2x2Stride2() {
        return new ParameterFreeOp(
                x ->
                        Pool.avgPool2d(
                                x, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), true, false),
                shape -> spatial(shape, (shape.get(2) + 1) / 2, (shape.get(3) + 1) / 2),
                "AvgPool2x2/2");
    }

    private static Shape spatial(Shape shape, long height, long width) {
        return new Shape(shape.get(0), shape.get(1), height, width);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return new NDList(op.apply(inputs.singletonOrThrow()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {shapeOf.apply(inputShapes[0])};
    }

    @Override
    public String toString() {
        return description;
    }
}
