package org.suncet.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.djl.util.PairList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.DoubleBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The float32 convolutions that suncet's ResNet runs agree with float64 runs of the same weights
 * and inputs. libtorch's float64 convolutions do not go through oneDNN (they use its own im2col +
 * GEMM), so the float64 pass is an independent reference for the oneDNN kernels the float32 pass
 * picks on this CPU. A kernel that writes outside its buffers, such as the strided 1×1
 * backward-weights pass of uxlfoundation/oneDNN#6035 that the projection shortcuts used to reach,
 * shows up here as a result wrong by O(1) or NaN, whichever CPU runs the test. Every case runs with
 * NCHW and with channels-last inputs (libtorch then runs the convolutions in oneDNN's nhwc layouts,
 * the layout of that bug) and with 2 intra-op threads (the bug wrote into the other thread's
 * workspace). Widths 1/16, 1/8, 1/4 and 1; the CIFAR and the ImageNet stem.
 *
 * <p>Why two tests and not one end-to-end comparison in training mode: through ReLU, float32 and
 * float64 disagree wherever a pre-activation lies within rounding of 0 (the mask flips), and batch
 * norm's training-mode backward turns one flipped element into an error in every weight upstream
 * (it subtracts the batch mean of the incoming gradient). Measured on an AMD EPYC (Zen 4,
 * AVX-512): with 8 images of 32 px such a flip moved whole-network training-mode gradients by up
 * to 12 % in some seeds, on AVX2 and AVX-512 kernels alike, and never in others. So each
 * convolution is checked alone (forward, input gradient and weight gradient; no ReLU in between),
 * and the whole network end to end with batch norm in inference mode, where a flip changes a
 * gradient by about one term of a sum over thousands.
 */
class ConvolutionGradientTest {

    /**
     * Bound on {@code max|r32 − r64| / max|r64|} for a single convolution's output, input gradient
     * and weight gradient. Each is a sum of up to 8·32·32 products of well-scaled terms (inputs
     * ≥ 0 after ReLU, random output gradients): measured at most 3.6e-6 on the CPU above. 1e-4
     * leaves a margin of 28× for other CPUs' kernels and summation orders, far below a wrong
     * result.
     */
    private static final double CONVOLUTION_BOUND = 1e-4;

    /**
     * Bound on {@code max|g32 − g64| / max|g64|} per parameter of the whole network with batch
     * norm in inference mode. Measured at most 3.5e-6 over the 16 cases on the CPU above; 1e-4
     * leaves a margin of 28×.
     */
    private static final double NETWORK_BOUND = 1e-4;

    private int threadsBefore;

    @BeforeEach
    void twoThreads() {
        Engine.getInstance(); // loads libtorch before its JNI functions are called
        threadsBefore = JniUtils.getNumThreads();
        JniUtils.setNumThreads(2);
    }

    @AfterEach
    void restoreThreads() {
        JniUtils.setNumThreads(threadsBefore);
    }

    /** Widths 1/16, 1/8, 1/4 and 1; CIFAR and ImageNet stem; NCHW and channels-last input. */
    static Stream<Arguments> networks() {
        Stream.Builder<Arguments> cases = Stream.builder();
        for (float width : new float[] {0.0625f, 0.125f, 0.25f, 1f}) {
            for (boolean cifarStem : new boolean[] {true, false}) {
                for (boolean channelsLast : new boolean[] {false, true}) {
                    cases.add(Arguments.of(width, cifarStem, channelsLast));
                }
            }
        }
        return cases.build();
    }

    @ParameterizedTest(name = "width {0}, cifar stem {1}, channels-last {2}")
    @MethodSource("networks")
    void everyConvolutionMatchesFloat64(float width, boolean cifarStem, boolean channelsLast) {
        Shape input = new Shape(8, 3, 32, 32);
        ResNet network = network(width, cifarStem);
        List<String> wrong = new ArrayList<>();
        try (NDManager parameters = NDManager.newBaseManager()) {
            ModelTesting.initialize(network, parameters, 5, input);
            List<Conv2d> convolutions = new ArrayList<>();
            collectConvolutions(network, convolutions);
            assertEquals(network.getDepth().getBlocks(0) * 2 * 4 + 1 + 3, convolutions.size());
            int seed = 100;
            for (Conv2d conv : convolutions) {
                try (NDManager data = NDManager.newBaseManager()) {
                    Shape in = conv.describeInput().get(0).getValue();
                    NDArray x = Activation.relu(ModelTesting.normal(data, seed++, in));
                    if (channelsLast) {
                        x = MemoryLayout.toChannelsLast(x);
                    }
                    NDArray weight = conv.getParameters().get("weight").getArray().duplicate();
                    weight.attach(data);
                    Shape out = conv.getOutputShapes(new Shape[] {in})[0];
                    NDArray outputGradient = ModelTesting.normal(data, seed++, out);
                    List<double[]> single = convolve(conv, x, weight, outputGradient);
                    List<double[]> twice = convolve(conv, x.toType(DataType.FLOAT64, false),
                            weight.toType(DataType.FLOAT64, false),
                            outputGradient.toType(DataType.FLOAT64, false));
                    String[] what = {"output", "input gradient", "weight gradient"};
                    for (int i = 0; i < 3; i++) {
                        double error = relativeError(twice.get(i), single.get(i));
                        if (!(error <= CONVOLUTION_BOUND)) {
                            wrong.add(describe(conv, in) + " " + what[i] + ": " + error);
                        }
                    }
                }
            }
        }
        assertTrue(wrong.isEmpty(), "float32 convolutions differ from float64: " + wrong);
    }

    @ParameterizedTest(name = "width {0}, cifar stem {1}, channels-last {2}")
    @MethodSource("networks")
    void wholeNetworkGradientsMatchFloat64(float width, boolean cifarStem, boolean channelsLast) {
        Shape input = new Shape(8, 3, 32, 32);
        ResNet single = network(width, cifarStem);
        ResNet twice = network(width, cifarStem);
        List<String> wrong = new ArrayList<>();
        try (NDManager parameters = NDManager.newBaseManager();
                NDManager data = NDManager.newBaseManager()) {
            ModelTesting.initialize(single, parameters, 5, input);
            twice.initialize(parameters, DataType.FLOAT64, input);
            copyParameters(single, twice);
            NDArray images = ModelTesting.normal(data, 6, input); // contiguous NCHW
            if (channelsLast) {
                images = MemoryLayout.toChannelsLast(images);
            }
            NDArray projection = ModelTesting.normal(data, 7, new Shape(8, single.getFeatureSize()));
            List<double[]> expected = gradients(twice, images.toType(DataType.FLOAT64, false),
                    projection.toType(DataType.FLOAT64, false));
            List<double[]> actual = gradients(single, images, projection);
            List<String> names = trainableNames(single);
            assertEquals(expected.size(), actual.size());
            for (int i = 0; i < expected.size(); i++) {
                double error = relativeError(expected.get(i), actual.get(i));
                if (!(error <= NETWORK_BOUND)) {
                    wrong.add(names.get(i) + ": " + error);
                }
            }
        }
        assertTrue(wrong.isEmpty(), "float32 gradients differ from float64: " + wrong);
    }

    /** AS_GIVEN keeps the layout of the test's input: NCHW or channels-last. */
    private static ResNet network(float width, boolean cifarStem) {
        return ResNet.builder()
                .setDepth(18)
                .optWidthMultiplier(width)
                .optCifarStem(cifarStem)
                // every branch's last batch norm starts at γ = 1, so every convolution gets a
                // non-zero gradient (with zero-init residual the second conv of a branch gets 0)
                .optZeroInitResidual(false)
                .optMemoryLayout(MemoryLayout.AS_GIVEN)
                .build();
    }

    private static void collectConvolutions(Block block, List<Conv2d> into) {
        if (block instanceof Conv2d) {
            into.add((Conv2d) block);
        }
        for (Block child : block.getChildren().values()) {
            collectConvolutions(child, into);
        }
    }

    private static String describe(Conv2d conv, Shape input) {
        return "conv " + conv.getKernelShape() + "/" + conv.getStride() + " on " + input;
    }

    /** Output, input gradient and weight gradient of {@code Σ conv(x, w) ⊙ outputGradient}. */
    private static List<double[]> convolve(
            Conv2d conv, NDArray x, NDArray weight, NDArray outputGradient) {
        try (NDManager scope = x.getManager().newSubManager()) {
            NDArray input = x.duplicate();
            NDArray w = weight.duplicate();
            input.attach(scope);
            w.attach(scope);
            input.setRequiresGradient(true);
            w.setRequiresGradient(true);
            double[] output;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray y = Conv2d.conv2d(input, w, null, conv.getStride(), conv.getPadding(),
                        conv.getDilation(), conv.getGroups()).singletonOrThrow();
                output = y.toType(DataType.FLOAT64, true).toDoubleArray();
                collector.backward(y.mul(outputGradient).sum());
            }
            return List.of(output,
                    input.getGradient().toType(DataType.FLOAT64, true).toDoubleArray(),
                    w.getGradient().toType(DataType.FLOAT64, true).toDoubleArray());
        }
    }

    /** Copies every parameter of {@code from} (float32) into {@code to} (float64). */
    private static void copyParameters(ResNet from, ResNet to) {
        PairList<String, Parameter> source = from.getParameters();
        PairList<String, Parameter> target = to.getParameters();
        assertEquals(source.size(), target.size());
        for (int i = 0; i < source.size(); i++) {
            assertEquals(source.get(i).getKey(), target.get(i).getKey());
            try (NDArray wide = source.get(i).getValue().getArray().toType(DataType.FLOAT64, true)) {
                target.get(i).getValue().getArray().set(DoubleBuffer.wrap(wide.toDoubleArray()));
            }
        }
    }

    private static List<String> trainableNames(ResNet network) {
        List<String> names = new ArrayList<>();
        for (Pair<String, Parameter> pair : network.getParameters()) {
            if (pair.getValue().requiresGradient()) {
                names.add(pair.getKey());
            }
        }
        return names;
    }

    /** Gradients of {@code Σ h ⊙ projection} for every trainable parameter, inference mode. */
    private static List<double[]> gradients(ResNet network, NDArray images, NDArray projection) {
        List<double[]> gradients = new ArrayList<>();
        try (NDManager step = images.getManager().newSubManager()) {
            ParameterStore store = new ParameterStore(step, false);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray features =
                        network.forward(store, new NDList(images), false).singletonOrThrow();
                collector.backward(features.mul(projection).sum());
                for (Pair<String, Parameter> pair : network.getParameters()) {
                    if (pair.getValue().requiresGradient()) {
                        NDArray gradient = pair.getValue().getArray().getGradient();
                        gradients.add(gradient.toType(DataType.FLOAT64, true).toDoubleArray());
                    }
                }
            }
        }
        return gradients;
    }

    /** {@code max|actual − expected| / max|expected|}; infinite when actual is not finite. */
    private static double relativeError(double[] expected, double[] actual) {
        double difference = 0;
        double scale = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(actual[i] - expected[i]);
            if (!Double.isFinite(d)) {
                return Double.POSITIVE_INFINITY;
            }
            difference = Math.max(difference, d);
            scale = Math.max(scale, Math.abs(expected[i]));
        }
        return scale == 0 ? difference : difference / scale;
    }
}
