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
 *
 * <p>{@link #clip} works around a different hazard, which forward-only code has too: DJL's
 * {@code clip(Number, Number)} leaves its two bounds open on the array's manager, which fragments
 * the native heap so that each large result takes fresh pages (see there). Use {@link #clip}
 * everywhere instead.
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

    /**
     * Returns {@code x} clamped element-wise to {@code [min, max]}: {@code min(max(x, min), max)},
     * libtorch's {@code clamp} (a NaN stays NaN); safe to differentiate (the gradient passes where
     * {@code min <= x <= max} and is 0 elsewhere).
     *
     * <p><b>Why not {@code x.clip(min, max)}.</b> DJL 0.35.1's PyTorch {@code clip} wraps each bound
     * in a 0-dimensional array on {@code x}'s manager and never closes them (the other number
     * overloads close theirs). Beyond the two arrays that stay until that manager closes, their small
     * native allocations land inside the memory the previous large result freed, so the next large
     * result no longer fits there and the heap grows: every call then takes fresh pages from the
     * kernel. Measured on an AMD EPYC (Zen 5, 2 vCPUs, 1 intra-op thread): {@code x.clip(0, 1)} on
     * {@code [6, 3, 224, 224]} float32 took 11-18 ms with 883 minor page faults a call (one per 4 KiB
     * page of the result), whatever glibc's malloc settings; this method 0.15 ms and 1 fault, the
     * same as {@code x.abs()}. It runs DJL's {@code clip} with {@code x} attached for the call to a
     * scratch manager, which closes the bounds at once; the result is attached to {@code x}'s
     * manager, as {@code x.clip} would leave it, and equals it bit for bit.
     *
     * @param x the array
     * @param min the lower bound, not NaN
     * @param max the upper bound, not NaN, {@code >= min}
     * @return the clamped array, on {@code x}'s manager
     * @throws IllegalArgumentException if a bound is NaN or {@code min > max}
     */
    public static NDArray clip(NDArray x, double min, double max) {
        if (Double.isNaN(min) || Double.isNaN(max) || min > max) {
            throw new IllegalArgumentException("clip bounds must be numbers with min <= max, got min = " + min
                    + " and max = " + max);
        }
        NDManager owner = x.getManager();
        try (NDManager scratch = owner.newSubManager()) {
            scratch.tempAttachAll(x);
            NDArray out = x.clip(min, max);
            out.attach(owner);
            return out;
        }
    }
}
