package org.suncet.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.util.List;

/**
 * Layers applied one after the other, like DJL's {@code SequentialBlock}, except that each
 * intermediate result is closed as soon as the next layer has consumed it. Only the input (owned by
 * the caller) and the final output stay open, so an inference pass through a deep ResNet holds two
 * activations at a time instead of all of them. Autograd is unaffected: the PyTorch graph keeps its
 * own references to the tensors it saved for backward.
 */
final class LayerSequence extends AbstractBlock {

    private static final byte VERSION = 1;

    LayerSequence() {
        super(VERSION);
    }

    /**
     * Appends a layer.
     *
     * @param name the child name (DJL prefixes a running number)
     * @param layer the layer
     * @return this sequence
     */
    LayerSequence add(String name, Block layer) {
        addChildBlock(name, layer);
        return this;
    }

    /**
     * Number of layers.
     *
     * @return the count
     */
    int size() {
        return children.size();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return chain(children.values(), parameterStore, inputs, training, params);
    }

    /**
     * Runs {@code layers} in order on {@code inputs}, closing every intermediate array that is
     * neither one of the inputs nor part of the final output.
     *
     * @param layers the layers
     * @param parameterStore the parameter store
     * @param inputs the inputs (left open)
     * @param training whether this is a training pass
     * @param params extra forward parameters
     * @return the last layer's output (the inputs themselves if there are no layers)
     */
    static NDList chain(
            List<Block> layers,
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDList current = inputs;
        for (Block layer : layers) {
            NDList next = layer.forward(parameterStore, current, training, params);
            closeIntermediate(current, inputs, next);
            current = next;
        }
        return current;
    }

    /**
     * Closes the arrays of {@code spent} that belong neither to {@code keep} nor to {@code next}.
     */
    static void closeIntermediate(NDList spent, NDList keep, NDList next) {
        if (spent == keep) {
            return;
        }
        for (NDArray array : spent) {
            if (!containsSame(keep, array) && !containsSame(next, array)) {
                array.close();
            }
        }
    }

    private static boolean containsSame(NDList list, NDArray array) {
        for (NDArray element : list) {
            if (element == array) {
                return true;
            }
        }
        return false;
    }

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape[] shapes = inputShapes;
        for (Block layer : children.values()) {
            layer.initialize(manager, dataType, shapes);
            shapes = layer.getOutputShapes(shapes);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape[] shapes = inputShapes;
        for (Block layer : children.values()) {
            shapes = layer.getOutputShapes(shapes);
        }
        return shapes;
    }
}
