package org.suncet.models;

import ai.djl.nn.core.Linear;
import ai.djl.training.initializer.Initializer;

/**
 * The classifier put on top of a pre-trained representation: a linear layer whose weights and bias
 * start at zero (SimCLR's fine-tuning head, SPEC §5), so its first logits are all 0 and its first
 * gradient step depends only on the features, not on a random draw.
 */
final class LinearClassifier {

    private LinearClassifier() {}

    /**
     * Builds the layer.
     *
     * @param numClasses output units
     * @return a zero-initialised linear layer with bias
     * @throws IllegalArgumentException if {@code numClasses <= 0}
     */
    static Linear zeroInitialised(int numClasses) {
        if (numClasses <= 0) {
            throw new IllegalArgumentException("numClasses must be > 0; got " + numClasses);
        }
        Linear linear = Linear.builder().setUnits(numClasses).optBias(true).build();
        linear.setInitializer(Initializer.ZEROS, parameter -> true);
        return linear;
    }
}
