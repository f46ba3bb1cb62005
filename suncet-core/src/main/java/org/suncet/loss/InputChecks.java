package org.suncet.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/** Shape and argument checks shared by the losses; each failure names the argument and value. */
final class InputChecks {

    private InputChecks() {}

    /** Checks a temperature: finite and &gt; 0. */
    static float temperature(float temperature) {
        if (!(temperature > 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException(
                    "temperature must be finite and > 0, got " + temperature);
        }
        return temperature;
    }

    /** Returns a boolean scalar: whether {@code x} holds a NaN or an infinity. */
    static NDArray anyNonFinite(NDArray x) {
        return x.isNaN().logicalOr(x.isInfinite()).any();
    }

    /** Returns the single array of {@code list}, named {@code what} in errors. */
    static NDArray single(NDList list, String what) {
        if (list == null || list.isEmpty()) {
            throw new IllegalArgumentException(what + " must hold one array, got none");
        }
        if (list.size() != 1) {
            throw new IllegalArgumentException(
                    what + " must hold one array, got " + list.size() + ": " + shapes(list));
        }
        return list.singletonOrThrow();
    }

    /** The shapes of {@code list}'s arrays, e.g. {@code [(4, 8), (4, 16)]}. */
    static String shapes(NDList list) {
        return list == null ? "null" : Arrays.toString(list.getShapes());
    }

    /**
     * Checks a prediction index given to a builder: ≥ 0, or −1 for the last array.
     *
     * @return the index
     */
    static int predictionIndex(int index) {
        if (index < -1) {
            throw new IllegalArgumentException(
                    "predictionIndex must be >= 0, or -1 for the last array; got " + index);
        }
        return index;
    }

    /**
     * Returns the array at {@code index} of {@code list} (−1: the last), named {@code what} in
     * errors; an index outside the list names the index, the list's size and its shapes.
     */
    static NDArray pick(NDList list, int index, String what) {
        if (list == null || list.isEmpty()) {
            throw new IllegalArgumentException(what + " must hold at least one array, got none");
        }
        int at = index == -1 ? list.size() - 1 : index;
        if (at < 0 || at >= list.size()) {
            throw new IllegalArgumentException(
                    "predictionIndex "
                            + index
                            + " is outside "
                            + what
                            + " of "
                            + list.size()
                            + (list.size() == 1 ? " array: " : " arrays: ")
                            + shapes(list));
        }
        return list.get(at);
    }

    /** Checks {@code [M, D]} embeddings with M ≥ 2, D ≥ 1, of a floating dtype. */
    static NDArray embeddings(NDArray z) {
        Shape shape = z.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException(
                    "predictions must be embeddings of shape [M, D], got rank "
                            + shape.dimension()
                            + " shape "
                            + shape);
        }
        if (shape.get(0) < 2) {
            throw new IllegalArgumentException(
                    "predictions need at least 2 rows to contrast, got shape " + shape);
        }
        if (shape.get(1) < 1) {
            throw new IllegalArgumentException(
                    "predictions need an embedding dimension D >= 1, got shape " + shape);
        }
        if (!z.getDataType().isFloating()) {
            throw new IllegalArgumentException(
                    "predictions must be floating point, got dtype " + z.getDataType());
        }
        return z;
    }

    /**
     * Checks class labels for {@code rows} embeddings: shape {@code [M]} (or {@code [M, 1]}),
     * numeric dtype. Values (non-negative, integral) are checked in {@link ContrastiveCore}.
     *
     * @return the labels as a {@code [M]} array (a view of the input when it is {@code [M, 1]})
     */
    static NDArray classLabels(NDList labels, long rows) {
        NDArray y = single(labels, "labels");
        Shape shape = y.getShape();
        boolean column = shape.dimension() == 2 && shape.get(1) == 1;
        if (shape.dimension() != 1 && !column) {
            throw new IllegalArgumentException(
                    "labels must be class ids of shape [M], got rank "
                            + shape.dimension()
                            + " shape "
                            + shape);
        }
        if (shape.get(0) != rows) {
            throw new IllegalArgumentException(
                    "labels and predictions must have the same number of rows, got labels "
                            + shape
                            + " for "
                            + rows
                            + " embeddings");
        }
        DataType type = y.getDataType();
        if (!type.isFloating() && !type.isInteger()) {
            throw new IllegalArgumentException(
                    "labels must be integer (or integral float) class ids, got dtype " + type);
        }
        return column ? y.reshape(rows) : y;
    }
}
