package org.suncet.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.suncet.ndarray.MallocTuning;
import org.suncet.ndarray.Scalars;

/**
 * Knowledge distillation of SimCLRv2 (Chen et al. 2020, "Big Self-Supervised Models are Strong
 * Semi-Supervised Learners", arXiv 2006.10029): the student matches the teacher's softened class
 * distribution on unlabeled images.
 *
 * <pre>
 *   L = mean_b [ − Σ_c softmax(t_b / T)_c · log softmax(u_b / T)_c ]      (× T² if enabled)
 * </pre>
 *
 * <p>Input: {@code labels = NDList(teacherLogits [B, C])}, {@code predictions =
 * NDList(studentLogits [B, C])}, or any list holding the student's logits at the prediction index
 * (default −1, the last array; {@code optPredictionIndex} picks another, e.g. 0 for a student that
 * puts out {@code NDList(logits, features)}). No gradient flows to the teacher. Output: a scalar in the
 * student's dtype and device. Defaults: T = 1 and no T² factor (SimCLRv2); {@code
 * optScaleByTemperatureSquared(true)} gives Hinton et al.'s gradient-scale correction. Mixing with a
 * supervised cross-entropy, {@code (1−α)·CE + α·L}, is left to the training step.
 *
 * <p>Bad input ({@link IllegalArgumentException}): rank other than 2, teacher and student shapes
 * that differ, an empty batch or no classes, labels of other than one array, a prediction index
 * outside the list (or &lt; −1 at build time), T not finite and &gt; 0; with value checks on
 * (default), non-finite logits.
 */
public final class DistillationLoss extends AccumulatingLoss {

    private final float temperature;
    private final boolean scaleByTemperatureSquared;
    private final boolean checkValues;
    private final int predictionIndex;

    private DistillationLoss(Builder builder) {
        super(builder.name);
        MallocTuning.ensureApplied();
        this.temperature = InputChecks.temperature(builder.temperature);
        this.scaleByTemperatureSquared = builder.scaleByTemperatureSquared;
        this.checkValues = builder.checkValues;
        this.predictionIndex = InputChecks.predictionIndex(builder.predictionIndex);
    }

    /**
     * Returns a builder with T = 1 and no T² factor.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the temperature T.
     *
     * @return T
     */
    public float getTemperature() {
        return temperature;
    }

    /**
     * Returns which array of the predictions list holds the student's logits: ≥ 0, or −1 (the
     * default) for the last.
     *
     * @return the prediction index
     */
    public int getPredictionIndex() {
        return predictionIndex;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        NDArray teacher = InputChecks.single(labels, "labels (teacher logits)");
        NDArray student =
                InputChecks.pick(predictions, predictionIndex, "predictions (student logits)");
        Shape shape = student.getShape();
        if (shape.dimension() != 2 || shape.get(0) < 1 || shape.get(1) < 1) {
            throw new IllegalArgumentException(
                    "student logits must have shape [B, C] with B, C >= 1, got " + shape);
        }
        if (!teacher.getShape().equals(shape)) {
            throw new IllegalArgumentException(
                    "teacher logits must have the student's shape "
                            + shape
                            + ", got "
                            + teacher.getShape());
        }
        DataType outputType = student.getDataType();
        NDArray result;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray u = ContrastiveCore.computeType(student);
            NDArray t =
                    teacher.stopGradient()
                            .toType(u.getDataType(), false)
                            .toDevice(u.getDevice(), false);
            if (checkValues) {
                checkFinite(t, u);
            }
            NDArray target = Scalars.div(t, temperature).softmax(1);
            NDArray logProbabilities = Scalars.div(u, temperature).logSoftmax(1);
            NDArray loss = target.mul(logProbabilities).sum(new int[] {1}).mean().neg();
            if (scaleByTemperatureSquared) {
                loss = Scalars.mul(loss, (double) temperature * temperature);
            }
            result = loss.toType(outputType, false);
            NDScope.unregister(result);
        }
        // the caller's NDScope, if any, owns the result, as it owns every operation's result
        // (NDScope.register puts an array into the innermost scope only, so one unregistered in
        // this method's scope belongs to no scope)
        NDScope.register(result);
        return result;
    }

    private static void checkFinite(NDArray teacher, NDArray student) {
        boolean[] bad =
                NDArrays.stack(
                                new NDList(
                                        InputChecks.anyNonFinite(teacher),
                                        InputChecks.anyNonFinite(student)))
                        .toBooleanArray();
        if (bad[0] || bad[1]) {
            throw new IllegalArgumentException(
                    (bad[0] ? "teacher" : "student")
                            + " logits must be finite, got NaN or Inf in shape "
                            + student.getShape());
        }
    }

    /** Builds a {@link DistillationLoss}. */
    public static final class Builder {
        String name = "DistillationLoss";
        float temperature = 1f;
        boolean scaleByTemperatureSquared;
        boolean checkValues = true;
        int predictionIndex = -1;

        Builder() {}

        /**
         * Sets the temperature T (finite, &gt; 0; default 1).
         *
         * @param temperature T
         * @return this builder
         */
        public Builder optTemperature(float temperature) {
            this.temperature = temperature;
            return this;
        }

        /**
         * Sets whether the loss is multiplied by T² (default false, as in SimCLRv2).
         *
         * @param scale whether to scale by T²
         * @return this builder
         */
        public Builder optScaleByTemperatureSquared(boolean scale) {
            this.scaleByTemperatureSquared = scale;
            return this;
        }

        /**
         * Sets whether the logits are checked to be finite (default true; one host read).
         *
         * @param checkValues whether to check values
         * @return this builder
         */
        public Builder optCheckValues(boolean checkValues) {
            this.checkValues = checkValues;
            return this;
        }

        /**
         * Sets which array of the predictions list holds the student's logits (default −1: the
         * last, which is the only one of a one-output classifier).
         *
         * @param predictionIndex the index, ≥ 0, or −1 for the last array
         * @return this builder
         */
        public Builder optPredictionIndex(int predictionIndex) {
            this.predictionIndex = predictionIndex;
            return this;
        }

        /**
         * Sets the display name.
         *
         * @param name the name
         * @return this builder
         */
        public Builder optName(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("name must be non-blank, got '" + name + "'");
            }
            this.name = name;
            return this;
        }

        /**
         * Builds the loss.
         *
         * @return the loss
         * @throws IllegalArgumentException if T is not finite and &gt; 0, or the prediction index
         *     &lt; −1
         */
        public DistillationLoss build() {
            return new DistillationLoss(this);
        }
    }
}
