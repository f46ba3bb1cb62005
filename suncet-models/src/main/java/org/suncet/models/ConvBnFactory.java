package org.suncet.models;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.XavierInitializer;

/**
 * Makes the convolution and batch-norm layers of a ResNet with one set of conventions (torchvision
 * layout, He et al. 2016): convolutions without bias, padding {@code k/2}, weights drawn from
 * He-normal with fan-out ({@code N(0, 2 / (out·k·k))}, torchvision's {@code kaiming_normal_(mode=
 * "fan_out")}); batch norm with the configured decay and ε, γ = 1 (or 0 for the last norm of a
 * residual branch when zero-init is on) and β = 0.
 *
 * <p>Batch-norm momentum follows DJL's meaning, a decay: {@code running ← m·running + (1 −
 * m)·batch} (DJL's PyTorch engine passes {@code 1 − m} to PyTorch's {@code momentum}). The default
 * 0.9 is SimCLR's {@code batch_norm_decay} and PyTorch's {@code momentum = 0.1}.
 */
final class ConvBnFactory {

    /** He-normal, fan-out: DJL's Xavier initializer with magnitude 2 over the output fan. */
    private static final Initializer FAN_OUT_HE_NORMAL =
            new XavierInitializer(
                    XavierInitializer.RandomType.GAUSSIAN, XavierInitializer.FactorType.OUT, 2);

    private final float momentum;
    private final float epsilon;
    private final boolean zeroInitResidual;

    ConvBnFactory(float momentum, float epsilon, boolean zeroInitResidual) {
        this.momentum = momentum;
        this.epsilon = epsilon;
        this.zeroInitResidual = zeroInitResidual;
    }

    /**
     * A square convolution without bias, padding {@code kernel / 2}.
     *
     * @param filters output channels
     * @param kernel kernel side
     * @param stride stride on both axes
     * @return the convolution
     */
    Conv2d conv(int filters, int kernel, int stride) {
        Conv2d conv =
                Conv2d.builder()
                        .setFilters(filters)
                        .setKernelShape(new Shape(kernel, kernel))
                        .optStride(new Shape(stride, stride))
                        .optPadding(new Shape(kernel / 2, kernel / 2))
                        .optBias(false)
                        .build();
        conv.setInitializer(FAN_OUT_HE_NORMAL, Parameter.Type.WEIGHT);
        return conv;
    }

    /**
     * A batch norm over axis 1 with γ = 1, β = 0.
     *
     * @return the norm
     */
    BatchNorm batchNorm() {
        return BatchNorm.builder().optMomentum(momentum).optEpsilon(epsilon).build();
    }

    /**
     * The last batch norm of a residual branch: γ starts at 0 when zero-init residual is on, so the
     * branch outputs 0 and the block computes {@code relu(shortcut(x))} at initialisation.
     *
     * @return the norm
     */
    BatchNorm residualOutputNorm() {
        BatchNorm norm = batchNorm();
        if (zeroInitResidual) {
            norm.setInitializer(Initializer.ZEROS, Parameter.Type.GAMMA);
        }
        return norm;
    }

    /**
     * Conv, batch norm and ReLU in a row.
     *
     * @param sequence where the three layers are appended
     * @param suffix the layer number used in the child names
     * @param filters output channels
     * @param kernel kernel side
     * @param stride stride
     */
    void addConvBnRelu(LayerSequence sequence, String suffix, int filters, int kernel, int stride) {
        sequence.add("conv" + suffix, conv(filters, kernel, stride));
        sequence.add("bn" + suffix, batchNorm());
        sequence.add("relu" + suffix, ParameterFreeOp.relu());
    }
}
