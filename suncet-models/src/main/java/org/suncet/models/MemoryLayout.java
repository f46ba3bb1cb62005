package org.suncet.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * How a network stores its image and feature-map arrays in memory; their shape is {@code [B, C,
 * H, W]} either way, and so are the values.
 *
 * <p><b>Why it matters.</b> libtorch's CPU convolutions run on oneDNN, whose fast kernels work on
 * blocked ({@code nChw8c}/{@code nChw16c}) or channels-last ({@code nhwc}) layouts. Given a plain
 * {@code NCHW} array, libtorch 2.7.1 reorders every convolution's input, output and gradients
 * between the plain and the blocked layout, one copy each way, every call; given a channels-last
 * array ({@code x.permute(0, 2, 3, 1)} contiguous, seen as {@code [B, C, H, W]}), it runs oneDNN's
 * {@code nhwc} kernels directly and hands channels-last results to batch norm, ReLU, the residual
 * additions and the pooling, which keep the layout. Measured (AMD EPYC Zen 3, {@code lscpu} model
 * name "AMD EPYC", CPU family 25 model 1, AVX2; 1 thread; forward + backward of ResNet-18 with the
 * CIFAR stem at width 1/8 and SimCLR's head, 256 images, {@code EncoderStepProfile}, mean of 12
 * steps, alternating runs): 28 px 287–304 ms plain against 216–234 channels-last; 32 px 359–361
 * against 268–276. oneDNN's own time a step fell from 267 to 178 ms: faster {@code nhwc} kernels
 * (convolutions 251 → 177 ms) and no reorders (16.5 → 0.8 ms; {@code ONEDNN_VERBOSE=1}).
 *
 * <p><b>Narrow stages with several threads.</b> On a CPU where oneDNN's convolutions run below
 * AVX-512, {@link #AUTO} keeps a network's leading stages with fewer than 16 channels (width-1/8
 * ResNets: stem and first stage) in the input's layout when libtorch runs more than one intra-op
 * thread, and makes the rest channels-last: libtorch's channels-last batch-norm backward shares
 * cache lines between threads when a row of channels is shorter than one ({@link #NARROW_BYTES}).
 * Where oneDNN runs its AVX-512 kernels it makes every stage channels-last: there oneDNN blocks
 * plain maps by 16 channels, so an 8-channel NCHW map is reordered into twice its bytes at every
 * convolution ({@link OneDnnChannelBlock}), which cost more than the shared cache lines (measured,
 * see {@link #NARROW_BYTES}).
 *
 * <p>For your own networks: keep every array of a forward and its gradients in one layout. An op
 * whose backward writes into a fresh plain array (a strided slice such as {@code x[:, :, ::2,
 * ::2]} does) hands NCHW gradients to channels-last activations, and libtorch runs element-wise
 * ops on mixed layouts on a slow strided path (adding two {@code [256, 8, 28, 28]} arrays: 0.5 ms
 * in one layout, 2.2 ms mixed); {@code ResNet}'s downsampling shortcut uses a 1×1 average pool
 * of stride {@code s} for that reason.
 *
 * <p>The two layouts give the same values up to float rounding (different kernels sum in a
 * different order), not the same bits; each is deterministic for a given CPU and thread count.
 * On other devices than the CPU (cuDNN) the effect was not measured here, so {@link #AUTO} leaves
 * their layout alone.
 */
public enum MemoryLayout {

    /**
     * Channels-last on the CPU, the input's own layout elsewhere: the default. With more than one
     * intra-op thread on a CPU where oneDNN runs below AVX-512, a network's leading stages narrower
     * than {@link #NARROW_BYTES} bytes of channels (fewer than 16 float32 channels) stay in the
     * input's layout and the rest is channels-last (see the class).
     */
    AUTO,
    /** Channels-last on every device. */
    CHANNELS_LAST,
    /** The input's own layout, as given (plain {@code NCHW} for arrays made by DJL). */
    AS_GIVEN;

    /**
     * The smallest row of channels, in bytes, that {@link #AUTO} stores channels-last with more than
     * one intra-op thread: one cache line. libtorch 2.7.1's channels-last batch-norm backward sums
     * each thread's share of the rows into its own row of C accumulators, one row after the other
     * in one buffer; with C·4 bytes below a cache line two threads' rows share a line and every
     * accumulation moves it between the cores. Measured (AMD EPYC Zen 3, 2 threads, width 1/8, 28
     * px, C = 8 in the stem and first stage): that kernel took 749 CPU samples against 166 with 1
     * thread, and forward + backward of the network took 176–207 ms channels-last throughout, 141
     * ms with stem and first stage in NCHW and the rest channels-last, 156–164 ms all NCHW; with 1
     * thread 218–233 ms channels-last throughout, 267–283 and 311–318.
     *
     * <p>On an AVX-512 CPU the balance turns: oneDNN blocks a plain map by 16 channels there, so the
     * NCHW stages' 8-channel maps are reordered into 16-channel blocks, twice their bytes, before
     * and after every convolution. Measured (AMD EPYC family 25 model 17, AVX-512, 2 threads, width
     * 1/8, 28 px, 2026-12-07): {@code ONEDNN_VERBOSE} put the first stage's convolutions and
     * reorders at 62.7 ms a step with stem and first stage in NCHW against 46.9 ms channels-last;
     * batch norm forward + backward of {@code [256, 8, 28, 28]} took 8.5–8.8 ms channels-last
     * against 4.6–5.5 ms in NCHW; forward + backward of the network ({@code EncoderStepProfile},
     * four alternating pairs) 121.9–150.8 ms with the narrow stages in NCHW against 119.0–124.8 ms
     * channels-last throughout, and the pre-training step ({@code PretrainingStepBenchmark}, six
     * pairs, four at 28 px and two at 32 px) 0.3–12 % less channels-last throughout in every
     * pair. With oneDNN capped to AVX2 on the same CPU ({@code ONEDNN_MAX_CPU_ISA=AVX2}: 8-channel
     * blocks) the two took the same time (three pairs, within 2.5 % either way). So {@link #AUTO}
     * keeps narrow stages in the input's layout only where oneDNN runs below AVX-512 ({@link
     * OneDnnChannelBlock}).
     */
    public static final int NARROW_BYTES = 64;

    /**
     * Whether a stage whose narrowest batch norm has {@code channels} channels runs channels-last.
     *
     * @param cpu whether the arrays are on the CPU
     * @param threads libtorch's intra-op threads
     * @param channels the stage's narrowest channel count
     * @param elementBytes bytes per element (4 for float32)
     * @param oneDnnChannelBlock the float32 channels oneDNN blocks plain maps by on this CPU
     *     ({@link OneDnnChannelBlock}: 16 with AVX-512, else 8)
     * @return true if the stage's input is to be channels-last
     */
    boolean channelsLastFor(
            boolean cpu, int threads, int channels, int elementBytes, int oneDnnChannelBlock) {
        switch (this) {
            case CHANNELS_LAST:
                return true;
            case AS_GIVEN:
                return false;
            default:
                return cpu
                        && (threads <= 1
                                || (long) channels * elementBytes >= NARROW_BYTES
                                || oneDnnChannelBlock >= OneDnnChannelBlock.AVX512);
        }
    }

    /**
     * Returns the same values stored channels-last ({@code NHWC} in memory), seen as {@code [B, C,
     * H, W]}: strides {@code (HWC, 1, WC, C)}. One copy; differentiable (the gradient flows back
     * to {@code images} unchanged).
     *
     * @param images {@code [B, C, H, W]}
     * @return a new array on the input's manager and device
     * @throws IllegalArgumentException if {@code images} is not 4-D
     */
    public static NDArray toChannelsLast(NDArray images) {
        Shape shape = images.getShape();
        if (shape.dimension() != 4) {
            throw new IllegalArgumentException(
                    "images must be [B, C, H, W] to be stored channels-last; got shape " + shape);
        }
        try (NDArray nhwc = images.transpose(0, 2, 3, 1);
                NDArray flat = nhwc.flatten();
                NDArray stored = flat.reshape(shape.get(0), shape.get(2), shape.get(3), shape.get(1))) {
            return stored.transpose(0, 3, 1, 2);
        }
    }
}
