package org.suncet.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The projection shortcut of a downsampling residual block (He et al. 2016, option B;
 * torchvision's {@code downsample}), computed without a strided 1×1 convolution: it keeps every
 * {@code stride}-th pixel of the input ({@code x[:, :, ::s, ::s]}), then applies a 1×1
 * convolution of stride 1 and batch norm.
 *
 * <pre>
 *   S(x) = BN(W ⋆₁ x[:, :, ::s, ::s])  =  BN(conv1x1_stride_s(W, x))      (padding 0)
 * </pre>
 *
 * <p>The two are the same function with the same parameters: a 1×1 kernel with stride {@code s}
 * and no padding reads exactly the pixels {@code (s·i, s·j)}, and the output size {@code
 * ⌊(H − 1)/s⌋ + 1 = ⌈H/s⌉} is the length of the strided slice. The weight is {@code [out, in, 1,
 * 1]} as before, so parameter counts stay torchvision's, and parameter names and their saved
 * order are those of the plain {@code conv → bn} sequence.
 *
 * <p><b>Why not the strided convolution.</b> libtorch 2.7.1's CPU convolutions run on oneDNN
 * v3.7.1, whose JIT backward-weights pass of a 1×1 convolution with stride &gt; 1 first copies the
 * strided pixels into a "reduce-to-unit-stride" workspace. For a channels-last ({@code nhwc})
 * source with fewer input channels than the kernel's channel block (16 with AVX-512, 8 with
 * AVX2), the workspace is booked as {@code spatial × channels} per thread but addressed as {@code
 * spatial × channel block} ({@code jit_avx512_common_1x1_convolution_bwd_weights_t},
 * {@code jit_avx2_1x1_convolution_bwd_weights_t}; upstream uxlfoundation/oneDNN#6035), so it
 * writes past its buffer into the next thread's workspace and beyond: wrong weight gradients,
 * NaN, a different result with 2 threads than with 1, or a crash, depending on the machine. A
 * ResNet below width 1/4 has exactly such shortcuts (4 → 8 and 8 → 16 channels at width 1/16),
 * and libtorch chooses the channels-last path whenever its input tensor is channels-last (an
 * image batch made of HWC images transposed to CHW) or oneDNN prefers it. With the subsampling
 * done first, the 1×1 convolution has stride 1 and never uses that workspace.
 *
 * <p><b>How the pixels are kept.</b> By an average pool with a 1×1 window and stride {@code s}: the
 * same values as the slice {@code x[:, :, ::s, ::s]} (each output is one input, summed from 0 and
 * divided by 1: exact in IEEE arithmetic on any CPU, except that a −0 comes out as +0), and its
 * gradient is the output gradient placed on the kept pixels, also exact. Unlike the
 * slice, the pool keeps a channels-last input's layout in its gradient ({@link MemoryLayout}): the
 * slice's backward writes into a fresh zero array in plain NCHW order, and from there the
 * gradient of the block's input, its ReLU and batch-norm backward ran on mixed layouts, which
 * libtorch's element-wise kernels handle on a slow strided path (AMD EPYC Zen 3, width 1/8, 28 px:
 * the ReLU backward's kernel fell from 5.6 % to 2.0 % of a forward + backward's CPU samples, the
 * additions' from 2.7 % to 1.7 %, the layout copies from 1.9 % to under 0.7 %; the pool itself
 * 0.7 %).
 */
final class SubsampledProjection extends AbstractBlock {

    private static final byte VERSION = 1;

    private final Block conv;
    private final Block norm;
    private final int stride;
    private final Shape window;
    private final Shape strides;

    /**
     * Creates the shortcut.
     *
     * @param pointwiseConv a 1×1 convolution of stride 1 without padding
     * @param norm the batch norm after it
     * @param stride the block's stride (&gt; 1)
     */
    SubsampledProjection(Block pointwiseConv, Block norm, int stride) {
        super(VERSION);
        if (stride < 2) {
            throw new IllegalArgumentException("stride must be >= 2, got " + stride);
        }
        this.conv = addChildBlock("conv", pointwiseConv);
        this.norm = addChildBlock("bn", norm);
        this.stride = stride;
        this.window = new Shape(1, 1);
        this.strides = new Shape(stride, stride);
    }

    /**
     * The spatial stride.
     *
     * @return s
     */
    int getStride() {
        return stride;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        // [B, C, ⌈H/s⌉, ⌈W/s⌉] = x[:, :, ::s, ::s], in the input's layout (see the class)
        NDArray kept = Pool.avgPool2d(inputs.singletonOrThrow(), window, strides, new Shape(0, 0), false, true);
        NDList projected = conv.forward(parameterStore, new NDList(kept), training, params);
        kept.close();
        NDList output = norm.forward(parameterStore, projected, training, params);
        projected.close();
        return output;
    }

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape[] kept = {subsampled(inputShapes[0])};
        conv.initialize(manager, dataType, kept);
        norm.initialize(manager, dataType, conv.getOutputShapes(kept));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return norm.getOutputShapes(conv.getOutputShapes(new Shape[] {subsampled(inputShapes[0])}));
    }

    private Shape subsampled(Shape input) {
        return new Shape(
                input.get(0),
                input.get(1),
                (input.get(2) + stride - 1) / stride,
                (input.get(3) + stride - 1) / stride);
    }
}
