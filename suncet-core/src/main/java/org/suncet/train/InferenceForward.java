package org.suncet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;

/**
 * A forward pass of a block in inference mode, without a {@code Trainer} or {@code Predictor}:
 * {@code block.forward(store, input, training = false)} on a fresh {@link ParameterStore} that
 * mirrors parameters into {@code scratch} only when they live on another device (the caller closes
 * {@code scratch}). Batch norm uses its running statistics and does not update them; dropout is
 * off; each output is detached with {@code stopGradient}, so no gradient can reach the block's
 * parameters even if a gradient collector is open.
 */
final class InferenceForward {

    private InferenceForward() {}

    /**
     * Returns the block's outputs on {@code input}, detached; every array made on the way that is
     * not an output is closed.
     *
     * @param block an initialised block
     * @param input the input, on {@code scratch}'s device
     * @param scratch a manager the caller closes after the outputs are used
     * @return the detached outputs
     */
    static NDList run(Block block, NDArray input, NDManager scratch) {
        ParameterStore store = new ParameterStore(scratch, false);
        NDList outputs = block.forward(store, new NDList(input), false);
        NDList detached = new NDList(outputs.size());
        for (NDArray output : outputs) {
            detached.add(output.stopGradient());
            if (output != input) { // an identity block hands the input back: not ours to close
                output.close();
            }
        }
        return detached;
    }

    /**
     * Returns the output at {@code index} (−1 for the last) after checking there is one.
     *
     * @param outputs a block's outputs
     * @param index the output index, −1 for the last
     * @param what the name used in the error message
     * @return the chosen output
     */
    static NDArray select(NDList outputs, int index, String what) {
        int chosen = index < 0 ? outputs.size() - 1 : index;
        if (chosen < 0 || chosen >= outputs.size()) {
            throw new IllegalArgumentException(
                    what
                            + " index "
                            + index
                            + " is out of range: the block returned "
                            + outputs.size()
                            + " outputs");
        }
        return outputs.get(chosen);
    }
}
