package org.suncet.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The numbers of an optimizer's update as 0-dimensional float32 arrays, kept per device.
 *
 * <p>DJL's {@code mul(Number)}, {@code gt(Number)} and friends copy each number into a fresh
 * array through a Java direct buffer on every call: measured (AMD EPYC, 1 thread) 8–19 µs for
 * {@code mul(0.9f)} on a small weight against 2–4 µs for {@code mul} by an array holding 0.9. A
 * LARS update of a ResNet-18's ~60 parameters with about eight numbers each paid several
 * milliseconds a step for it. Here the fixed numbers of an optimizer (momentum, coefficients,
 * zero) are made once per device at their first use, and a varying one (the learning rate) is made
 * again only when its value changes. Each is the float32 array DJL would have made from the Java
 * float, so every result is bit-identical to the {@code Number} form.
 *
 * <p>The arrays are owned by the manager of the weight they were first made for and are made
 * again if that manager has released them. Call {@link #fixed} and {@link #varying} outside any
 * {@code NDScope} that closes its arrays, or the kept arrays would be closed with it.
 */
final class OptimizerScalars {

    private final float[] fixedValues;
    private final Map<Device, NDArray[]> fixedByDevice = new ConcurrentHashMap<>();
    private final Map<Device, Varying> varyingByDevice = new ConcurrentHashMap<>();

    /**
     * Creates the store.
     *
     * @param fixedValues the fixed numbers, addressed by their position
     */
    OptimizerScalars(float... fixedValues) {
        this.fixedValues = fixedValues.clone();
    }

    /**
     * Returns fixed number {@code index} on {@code like}'s device.
     *
     * @param index the number's position in the constructor's arguments
     * @param like an array on the device wanted (its manager owns a new array)
     * @return a 0-dimensional float32 array, not to be closed by the caller
     */
    NDArray fixed(int index, NDArray like) {
        NDArray[] arrays =
                fixedByDevice.compute(
                        like.getDevice(),
                        (device, existing) -> {
                            if (existing != null && !existing[0].isReleased()) {
                                return existing;
                            }
                            NDArray[] made = new NDArray[fixedValues.length];
                            for (int i = 0; i < made.length; i++) {
                                made[i] = scalar(like, fixedValues[i]);
                            }
                            return made;
                        });
        return arrays[index];
    }

    /**
     * Returns {@code value} on {@code like}'s device: the array made for the previous call on that
     * device while the value is unchanged, a new one (the old one closed) when it changes.
     *
     * @param value the number
     * @param like an array on the device wanted (its manager owns a new array)
     * @return a 0-dimensional float32 array, not to be closed by the caller
     */
    NDArray varying(float value, NDArray like) {
        return varyingByDevice
                .compute(
                        like.getDevice(),
                        (device, existing) -> {
                            if (existing != null
                                    && !existing.array.isReleased()
                                    && Float.floatToIntBits(existing.value)
                                            == Float.floatToIntBits(value)) {
                                return existing;
                            }
                            if (existing != null) {
                                existing.array.close();
                            }
                            return new Varying(value, scalar(like, value));
                        })
                .array;
    }

    private static NDArray scalar(NDArray like, float value) {
        return like.getManager().full(new Shape(), value, DataType.FLOAT32, like.getDevice());
    }

    /** A varying number and its array. */
    private static final class Varying {
        final float value;
        final NDArray array;

        Varying(float value, NDArray array) {
            this.value = value;
            this.array = array;
        }
    }
}
