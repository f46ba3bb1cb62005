package org.suncet.models;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;

import java.util.HashSet;
import java.util.Set;

/**
 * Counts the scalar parameters of an initialised block, each shared {@link Parameter} once. The
 * trainable count takes the parameters that require gradients: for batch norm γ and β (β only when
 * centred), never the running mean and variance; frozen parameters are left out. This is the number
 * torchvision users get from {@code sum(p.numel() for p in model.parameters() if p.requires_grad)}.
 *
 * <p>Bad input: {@link IllegalArgumentException} for a null block; {@link IllegalStateException}
 * for a block whose parameter shapes are not known yet (not initialised).
 */
public final class ParameterCount {

    private ParameterCount() {}

    /**
     * The number of scalars in the parameters that require gradients.
     *
     * @param block an initialised block
     * @return the count
     */
    public static long trainable(Block block) {
        return count(block, true);
    }

    /**
     * The number of scalars in all parameters, running statistics included.
     *
     * @param block an initialised block
     * @return the count
     */
    public static long total(Block block) {
        return count(block, false);
    }

    private static long count(Block block, boolean trainableOnly) {
        if (block == null) {
            throw new IllegalArgumentException("block must not be null");
        }
        Set<String> seen = new HashSet<>();
        long count = 0;
        for (Parameter parameter : block.getParameters().values()) {
            if (!seen.add(parameter.getId()) || (trainableOnly && !parameter.requiresGradient())) {
                continue;
            }
            Shape shape = parameter.getShape();
            if (shape == null) {
                throw new IllegalStateException(
                        "parameter "
                                + parameter.getName()
                                + " has no shape yet: initialise the block before counting");
            }
            count += shape.size();
        }
        return count;
    }
}
