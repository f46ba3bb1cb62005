package org.suncet.ndarray;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Arithmetic between an {@link NDArray} and a Java number that stays correct under autograd.
 *
 * <p><b>Why this exists.</b> On DJL 0.35.1's PyTorch engine, {@code NDArray.mul(Number)} (and
 * {@code div}, {@code pow}, {@code maximum}, {@code minimum}, {@code rdiv}, …) wraps the number in
 * a tensor that points into a Java direct buffer ({@code torch::from_blob}, no copy), applies the op
 * and closes the wrapper at once, dropping the buffer. When the other operand requires a gradient,
 * autograd keeps that scalar tensor for the backward pass; after the next garbage collection the
 * buffer is freed and {@code backward} reads freed memory. The result is a wrong gradient (often
 * huge or NaN) that appears at random, whenever the collector happens to run between forward and
 * backward and the memory is reused. {@code ScalarsTest} reproduces it deterministically.
 *
 * <p>The methods here make the scalar with an engine-owned copy ({@code clone}), so the tensor
 * autograd keeps owns its memory. Use them for every number that enters a differentiable
 * computation; forward-only code (augmentation, evaluation, optimiser updates) may keep DJL's
 * overloads. Arrays made from Java data ({@code manager.create(float[])}) have the same hazard when
 * a view of them, or a graph that saved them, outlives them: {@link #owned(NDArray)} copies one
 * into engine memory.
 */
public final class Scalars {

    private Scalars() {}

    /**
     * Returns a 0-dimensional array holding {@code value} in {@code like}'s dtype, on its device and
     * manager, whose memory the engine owns. The caller closes it.
     *
     * @param like the array whose dtype, device and manager the scalar takes
     * @param value the number
     * @return the scalar, shape {@code []}
     */
    public static NDArray of(NDArray like, double value) {
        NDManager manager = like.getManager();
        try (NDArray wrapped = manager.create(value)) {
            return owned(wrapped.toType(like.getDataType(), false))
                    .toDevice(like.getDevice(), false);
        }
    }

    /**
     * Returns a copy of {@code array} in engine-owned memory, on the same manager, and closes
     * {@code array} unless the copy is the same object.
     *
     * <p>{@code manager.create(float[])} and friends make arrays that point into a Java direct
     * buffer; a view of them ({@code reshape}, {@code get}, {@code transpose}) or an autograd graph
     * that saved them reads freed memory once the original is closed and collected. The copy has no
     * such tie.
     *
     * @param array an array, typically just made from Java data; closed by this call
     * @return an array with the same values, dtype, shape and device, owning its memory
     */
    public static NDArray owned(NDArray array) {
        NDArray copy = array.duplicate();
        if (copy != array) {
            array.close();
        }
        return copy;
    }

    /**
     * Returns {@code x · c}; safe to differentiate.
     *
     * @param x the array
     * @param c the factor
     * @return {@code x · c}, on {@code x}'s manager
     */
    public static NDArray mul(NDArray x, double c) {
        try (NDArray scalar = of(x, c)) {
            return x.mul(scalar);
        }
    }

    /**
     * Returns {@code x / c}; safe to differentiate.
     *
     * @param x the array
     * @param c the divisor
     * @return {@code x / c}, on {@code x}'s manager
     */
    public static NDArray div(NDArray x, double c) {
        try (NDArray scalar = of(x, c)) {
            return x.div(scalar);
        }
    }

    /**
     * Returns the element-wise {@code max(x, c)}; safe to differentiate.
     *
     * @param x the array
     * @param c the floor
     * @return {@code max(x, c)}, on {@code x}'s manager
     */
    public static NDArray maximum(NDArray x, double c) {
        try (NDArray scalar = of(x, c)) {
            return x.maximum(scalar);
        }
    }
}
