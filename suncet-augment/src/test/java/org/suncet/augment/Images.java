package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/** Test images as plain {@code float[]} in CHW order and their NDArray twins. */
final class Images {

    private Images() {}

    /** Random values in [0, 1]; with {@code ties} some values are quantised and some pixels gray. */
    static float[] random(long seed, int channels, int height, int width, boolean ties) {
        Random random = new Random(seed);
        float[] data = new float[channels * height * width];
        for (int i = 0; i < data.length; i++) {
            data[i] = ties ? Math.round(random.nextFloat() * 4) / 4f : random.nextFloat();
        }
        if (ties) {
            int plane = height * width;
            for (int p = 0; p < plane; p++) {
                if (random.nextInt(5) == 0) {
                    for (int c = 1; c < channels; c++) {
                        data[c * plane + p] = data[p];
                    }
                }
            }
        }
        return data;
    }

    static NDArray array(NDManager manager, float[] data, long... shape) {
        return manager.create(data, new Shape(shape));
    }

    static double maxAbsDiff(float[] actual, double[] expected) {
        if (actual.length != expected.length) {
            throw new AssertionError("length " + actual.length + " != " + expected.length);
        }
        double worst = 0;
        for (int i = 0; i < actual.length; i++) {
            worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
        }
        return worst;
    }

    static double maxAbsDiff(float[] actual, float[] expected) {
        double[] e = new double[expected.length];
        for (int i = 0; i < e.length; i++) {
            e[i] = expected[i];
        }
        return maxAbsDiff(actual, e);
    }
}
