package org.suncet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Block;
import ai.djl.nn.ParameterList;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;

import java.util.Map;
import java.util.Objects;
import org.suncet.ndarray.Scalars;

/**
 * Stochastic gradient descent with Nesterov momentum (Sutskever, Martens, Dahl and Hinton 2013, "On
 * the importance of initialization and momentum in deep learning", ICML), in the form PyTorch's
 * {@code SGD(nesterov=True, dampening=0)} computes. SimCLR fine-tunes with it (Chen et al. 2020,
 * arXiv 2002.05709, Appendix B.5; SuNCEt, Assran et al. 2020, arXiv 2006.10803, does the same;
 * SPEC §6). For every parameter {@code w} with gradient {@code g}, at learning rate {@code lr} from
 * the tracker:
 *
 * <pre>
 *   g ← clip(rescaleGrad · g)                  (DJL's optional rescale and clip)
 *   g ← g + wd · w                             (only if wd &gt; 0; default wd = 0)
 *   v ← m · v + g
 *   w ← w − lr · (g + m · v)
 * </pre>
 *
 * where {@code v} is the momentum buffer, zero before the first update. Defaults: m = 0.9 and no
 * weight decay (SimCLR's fine-tuning); the learning rate follows {@code
 * LearningRateScaling.linear(0.05, B)} there ({@code 0.05·B/256}). Weight decay, when set, applies
 * to every parameter the optimizer updates.
 *
 * <p>Why not DJL's own {@code Optimizer.nag()}: on the PyTorch engine its update throws {@code
 * UnsupportedOperationException} ("Not implemented"), and DJL's {@code Optimizer.sgd()} has
 * momentum but no Nesterov form.
 *
 * <p><b>Gradients.</b> DJL hands {@link #update} a copy of the gradient; this optimizer sets the
 * parameter's own gradient to zero after using it, so gradients never accumulate across steps.
 * All arithmetic runs in NDArrays on the weight's device and dtype with no read back to the host;
 * the momentum buffer is owned by the weight's manager and every temporary is closed. The update's
 * numbers (momentum, weight decay, the learning rate while it holds) are kept as 0-dimensional
 * arrays of the weight's manager ({@code OptimizerScalars}) instead of being copied from Java on
 * every call; the results are bit-identical.
 *
 * <p>Bad input ({@link IllegalArgumentException} from {@link Builder#build()}): a missing learning
 * rate tracker, momentum outside [0, 1), a weight decay that is not finite and ≥ 0, a rescale
 * factor that is not finite and &gt; 0, a clip value of 0.
 */
public final class NesterovSgd extends Optimizer {

    private static final NDIndex ALL = new NDIndex("...");

    // positions of the fixed numbers in `scalars`
    private static final int ZERO = 0;
    private static final int MOMENTUM = 1;
    private static final int RESCALE = 2;
    private static final int WEIGHT_DECAY = 3;

    private final Tracker learningRateTracker;
    private final float momentum;
    private final MomentumBuffers velocities;
    private final OptimizerScalars scalars;

    private NesterovSgd(Builder builder) {
        super(builder);
        if (builder.learningRateTracker == null) {
            throw new IllegalArgumentException(
                    "learningRateTracker must be set (setLearningRateTracker), got null");
        }
        if (!(builder.momentum >= 0f && builder.momentum < 1f)) {
            throw new IllegalArgumentException(
                    "momentum must be in [0, 1), got " + builder.momentum);
        }
        float weightDecay = getWeightDecay();
        if (!(weightDecay >= 0f) || Float.isInfinite(weightDecay)) {
            throw new IllegalArgumentException(
                    "weightDecays must be finite and >= 0, got " + weightDecay);
        }
        if (!(rescaleGrad > 0f) || Float.isInfinite(rescaleGrad)) {
            throw new IllegalArgumentException(
                    "rescaleGrad must be finite and > 0, got " + rescaleGrad);
        }
        if (clipGrad == 0f || Float.isNaN(clipGrad)) {
            throw new IllegalArgumentException(
                    "clipGrad must be > 0 (or < 0 to switch clipping off), got " + clipGrad);
        }
        this.learningRateTracker = builder.learningRateTracker;
        this.momentum = builder.momentum;
        this.velocities = new MomentumBuffers(builder.parameters);
        this.scalars = new OptimizerScalars(0f, momentum, rescaleGrad, getWeightDecay());
    }

    /**
     * Returns a builder with momentum 0.9 and no weight decay.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the momentum m.
     *
     * @return m
     */
    public float getMomentum() {
        return momentum;
    }

    /**
     * Applies one Nesterov update to {@code weight} in place and zeroes its gradient.
     *
     * @param parameterId the parameter's id
     * @param weight the parameter's value on one device
     * @param grad a copy of its gradient on the same device
     */
    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        float learningRate = learningRateTracker.getNewValue(parameterId, updateCount(parameterId));
        NDArray velocity = velocity(parameterId, weight);
        float weightDecay = getWeightDecay();
        // kept 0-dimensional arrays, fetched before the scope that closes the step's temporaries
        NDArray zero = scalars.fixed(ZERO, weight);
        NDArray momentumArray = scalars.fixed(MOMENTUM, weight);
        NDArray rescale = scalars.fixed(RESCALE, weight);
        NDArray weightDecayArray = scalars.fixed(WEIGHT_DECAY, weight);
        NDArray learningRateArray = scalars.varying(learningRate, weight);
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray g = rescaleGrad == 1f ? grad : grad.mul(rescale);
            if (clipGrad > 0f) {
                g = Scalars.clip(g, -clipGrad, clipGrad);
            }
            if (weightDecay != 0f) {
                g = g.add(weight.mul(weightDecayArray));
            }
            velocity.muli(momentumArray).addi(g);
            weight.subi(velocity.mul(momentumArray).addi(g).muli(learningRateArray));
            if (weight.hasGradient()) {
                // DJL passed a copy: clear the parameter's own gradient so the next backward
                // starts from zero (set, not multiply, so a NaN gradient is cleared too)
                weight.getGradient().set(ALL, zero);
            }
        }
    }

    /** Returns the momentum buffer of a parameter on the weight's device, zero at first use. */
    private NDArray velocity(String parameterId, NDArray weight) {
        return velocities.velocity(parameterId, weight);
    }

    /**
     * Returns the momentum buffers v, keyed by parameter name, in name order; a parameter not yet
     * updated has none. These are the live buffers: encode or copy them before the next update.
     * Needs the optimizer built with {@link Builder#optParameters(Block)}, since DJL identifies
     * parameters to {@link #update} by ids that differ from process to process.
     *
     * @return parameter name to momentum buffer
     * @throws IllegalStateException if the optimizer was built without its parameters, or a buffer
     *     lives on more than one device
     */
    public Map<String, NDArray> momentumState() {
        return velocities.export("NesterovSgd");
    }

    /**
     * Replaces the momentum buffers of the named parameters with copies of {@code state}'s arrays
     * (owned by each array's manager, which must stay open while training); parameters not named
     * keep theirs. Call it before the first update of a resumed run.
     *
     * @param state parameter name to momentum buffer, as {@link #momentumState()} gave it
     * @throws IllegalStateException if the optimizer was built without its parameters
     * @throws IllegalArgumentException if a name is not a parameter of this optimizer or a buffer's
     *     shape differs from its initialised parameter's
     */
    public void loadMomentumState(Map<String, NDArray> state) {
        velocities.load("NesterovSgd", state);
    }

    /** Builds a {@link NesterovSgd} optimizer. */
    public static final class Builder extends OptimizerBuilder<Builder> {

        Tracker learningRateTracker;
        float momentum = 0.9f;
        ParameterList parameters;

        Builder() {
            optWeightDecays(0f);
        }

        /**
         * Names the parameters this optimizer will update (optional; needed only for {@link
         * NesterovSgd#momentumState()} and {@link NesterovSgd#loadMomentumState}).
         *
         * @param block the trained block
         * @return this builder
         */
        public Builder optParameters(Block block) {
            this.parameters = Objects.requireNonNull(block, "block").getParameters();
            return this;
        }

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Sets the learning-rate tracker (required), for example {@code
         * Tracker.fixed(LearningRateScaling.linear(0.05, batchSize))}.
         *
         * @param learningRateTracker the tracker
         * @return this builder
         */
        public Builder setLearningRateTracker(Tracker learningRateTracker) {
            this.learningRateTracker = learningRateTracker;
            return this;
        }

        /**
         * Sets the momentum m (default 0.9, SimCLR's fine-tuning; must be in [0, 1); 0 gives plain
         * SGD).
         *
         * @param momentum m
         * @return this builder
         */
        public Builder optMomentum(float momentum) {
            this.momentum = momentum;
            return this;
        }

        /**
         * Builds the optimizer.
         *
         * @return the optimizer
         * @throws IllegalArgumentException if a setting is missing or out of range (see {@link
         *     NesterovSgd})
         */
        public NesterovSgd build() {
            return new NesterovSgd(this);
        }
    }
}
