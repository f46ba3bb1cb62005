package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.function.Function;

/**
 * Runs a computation in a sub-manager on the first input's device, so that every temporary is
 * closed when it returns; only the result survives, attached to the first input's manager.
 */
final class Scoped {

    private Scoped() {}

    /**
     * Computes {@code body(scope)} with the inputs temporarily attached to {@code scope}. Constants must
     * be created with {@code scope.create(...)} so they live on the inputs' device and are freed.
     */
    static NDArray compute(Function<NDManager, NDArray> body, NDArray... inputs) {
        NDManager parent = inputs[0].getManager();
        try (NDManager scope = parent.newSubManager(inputs[0].getDevice())) {
            scope.tempAttachAll(inputs);
            NDArray result = body.apply(scope);
            result.attach(parent);
            return result;
        }
    }
}
