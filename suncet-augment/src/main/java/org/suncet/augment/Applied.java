package org.suncet.augment;

/**
 * The parameters of {@link RandomApply}: whether the wrapped transform runs on this view, and the
 * parameters it would use (always drawn, so replay does not depend on the coin).
 *
 * @param applied whether the wrapped transform is applied
 * @param parameters the wrapped transform's parameters
 * @param <P> the wrapped transform's parameter type
 */
public record Applied<P>(boolean applied, P parameters) {

    /**
     * Checks the record.
     *
     * @throws IllegalArgumentException if {@code parameters} is null
     */
    public Applied {
        if (parameters == null) {
            throw new IllegalArgumentException("parameters must not be null");
        }
    }
}
