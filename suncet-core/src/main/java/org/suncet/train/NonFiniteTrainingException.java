package org.suncet.train;

import java.util.List;

/**
 * Thrown when a training step's loss or a trainable parameter's gradient holds a NaN or an
 * infinity, before the optimizer applied it ({@link FiniteCheck}). The parameters and the
 * optimizer's state are then still those of the last good step.
 *
 * <p>The message says what was non-finite and nothing else, because the step that finds it does
 * not know where in a run it is:
 *
 * <pre>
 *   non-finite gradient in 1 of 3 trainable parameters (01Linear_weight)
 *   non-finite loss (NaN) and gradients in 4 of 4 trainable parameters
 *       (01Linear_weight, 01Linear_bias, 03Linear_weight, ...)          [on one line]
 * </pre>
 *
 * <p>A training loop that knows the epoch and step adds them with {@link #withContext(String)}, and
 * a program adds what it saved: {@code e.withContext(" at epoch 2 step 3 of 4")}.
 */
public final class NonFiniteTrainingException extends RuntimeException {

    private final boolean lossFinite;
    private final List<String> nonFiniteGradients;
    private final int checkedParameters;

    /**
     * Creates the exception.
     *
     * @param message what was non-finite
     * @param lossFinite whether the loss was finite (true also when no loss was checked)
     * @param nonFiniteGradients the names of the parameters with a non-finite gradient, in the
     *     block's parameter order
     * @param checkedParameters how many trainable parameters were checked
     * @param cause the exception this one adds context to, or null
     */
    NonFiniteTrainingException(
            String message,
            boolean lossFinite,
            List<String> nonFiniteGradients,
            int checkedParameters,
            Throwable cause) {
        super(message, cause);
        this.lossFinite = lossFinite;
        this.nonFiniteGradients = List.copyOf(nonFiniteGradients);
        this.checkedParameters = checkedParameters;
    }

    /**
     * Returns an exception with the same findings whose message is this one's followed by {@code
     * context} exactly as given (so start it with a space or a punctuation mark), with this one as
     * its cause. For example {@code e.withContext(" at epoch 2 step 3 of 4")}.
     *
     * @param context the text to append, not null
     * @return the exception with the longer message
     */
    public NonFiniteTrainingException withContext(String context) {
        if (context == null) {
            throw new IllegalArgumentException("context must not be null");
        }
        return new NonFiniteTrainingException(
                getMessage() + context, lossFinite, nonFiniteGradients, checkedParameters, this);
    }

    /**
     * Returns whether the loss was finite; false when the loss itself held a NaN or an infinity.
     *
     * @return whether the loss was finite (true when no loss was checked)
     */
    public boolean isLossFinite() {
        return lossFinite;
    }

    /**
     * Returns the names (as {@code block.getParameters()} gives them) of the trainable parameters
     * whose gradient held a NaN or an infinity, in the block's parameter order.
     *
     * @return the names; empty when only the loss was non-finite
     */
    public List<String> getNonFiniteGradients() {
        return nonFiniteGradients;
    }

    /**
     * Returns how many trainable parameters (those with {@code requiresGradient()}) were checked.
     *
     * @return the number of gradients checked
     */
    public int getCheckedParameters() {
        return checkedParameters;
    }
}
