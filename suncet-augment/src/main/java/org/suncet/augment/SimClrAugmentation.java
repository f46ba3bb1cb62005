package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One SimCLR view (Chen et al. 2020, arXiv 2002.05709, appendix A, with torchvision semantics as in the
 * SuNCEt code): float32 {@code [C, H, W]} in [0, 1] to {@code [C, size, size]}, in this order
 * <ol>
 *   <li>{@link RandomResizedCrop}: scale [0.08, 1], log-uniform ratio [3/4, 4/3], 10 attempts;</li>
 *   <li>{@link RandomHorizontalFlip}, p = 0.5;</li>
 *   <li>{@link ColorJitter} in random order with p = 0.8: brightness, contrast, saturation
 *       {@code 0.8 s}, hue {@code 0.2 s} for strength {@code s};</li>
 *   <li>{@link RandomGrayscale}, p = 0.2;</li>
 *   <li>{@link RandomGaussianBlur}, p = 0.5, sigma in [0.1, 2], kernel 10% of the side made odd;</li>
 *   <li>{@link RandomSolarize}, threshold 0.5, p = 0 (off; BYOL-style option);</li>
 *   <li>optional per-channel normalisation (off in SimCLR and in SuNCEt's code).</li>
 * </ol>
 * Presets: {@link #imagenet(int)} (s = 1, blur on: SimCLR ImageNet), {@link #cifar(int)} (s = 0.5, no
 * blur: SimCLR CIFAR-10) and {@link #cropAndFlip(int)} (steps 1-2 only: SimCLR's fine-tuning, linear
 * evaluation and SimCLRv2's distillation views). Each returns a {@link SimClrAugmentationBuilder} whose every setting can
 * be overridden.
 *
 * <p>Each step draws from its own sub-stream ({@code random.split()} in step order), so changing one
 * step's settings does not change another step's draws. {@link #applyBatch} runs a batch with one
 * parameter set per sample using batched tensor ops only (see {@link BatchedSimClrView}); for the same
 * parameters it equals {@link #apply} per image bit for bit, except that a blur wider than one tap is
 * equal to float rounding (and a solarize after it can flip a value within that rounding of the
 * threshold). One-channel images work throughout:
 * saturation, hue and grayscale leave them unchanged (expand with {@link ImageTensors#toRgb} first for
 * colour augmentation).
 *
 * <p>Bad settings get an {@link IllegalArgumentException} from {@link SimClrAugmentationBuilder#build()}; bad images
 * (rank, channels, dtype, a recorded crop outside the image) get one from {@link #apply}.
 */
public final class SimClrAugmentation extends RandomTransform<SimClrViewParameters> {

    private final RandomResizedCrop crop;
    private final RandomHorizontalFlip flip;
    private final RandomApply<ColorJitterParameters> colorJitter;
    private final RandomGrayscale grayscale;
    private final RandomApply<BlurParameters> blur;
    private final RandomSolarize solarize;
    private final float[] mean;
    private final float[] std;

    SimClrAugmentation(SimClrAugmentationBuilder b) {
        super(b.seed, "SimClrAugmentation");
        crop = RandomResizedCrop.builder().setSize(b.height, b.width).optScale(b.scaleMin, b.scaleMax)
                .optRatio(b.ratioMin, b.ratioMax).build();
        flip = new RandomHorizontalFlip(b.flipProbability);
        colorJitter = new RandomApply<>(ColorJitter.builder().optBrightness(b.brightness)
                .optContrast(b.contrast).optSaturation(b.saturation).optHue(b.hue).build(), b.jitterProbability);
        grayscale = new RandomGrayscale(b.grayscaleProbability);
        RandomGaussianBlur.Builder blurBuilder = RandomGaussianBlur.builder().optSigma(b.sigmaMin, b.sigmaMax);
        if (b.kernelSize > 0) {
            blurBuilder.optKernelSize(b.kernelSize);
        } else {
            blurBuilder.optKernelFraction(b.kernelFraction);
        }
        blur = new RandomApply<>(blurBuilder.build(), b.blurProbability);
        solarize = new RandomSolarize(b.solarizeThreshold, b.solarizeProbability);
        mean = b.mean;
        std = b.std;
    }

    /**
     * SimCLR's ImageNet view: strength 1, blur with p = 0.5.
     *
     * @param size output side (224 in SimCLR)
     * @return a builder to override settings on
     */
    public static SimClrAugmentationBuilder imagenet(int size) {
        return new SimClrAugmentationBuilder().setSize(size);
    }

    /**
     * SimCLR's CIFAR-10 view: strength 0.5, no blur.
     *
     * @param size output side (32 in SimCLR)
     * @return a builder to override settings on
     */
    public static SimClrAugmentationBuilder cifar(int size) {
        return new SimClrAugmentationBuilder().setSize(size).optStrength(0.5).optBlurProbability(0);
    }

    /**
     * The crop-and-flip view of fine-tuning, linear evaluation and distillation (SimCLR, SimCLRv2): no
     * colour jitter, grayscale or blur.
     *
     * @param size output side
     * @return a builder to override settings on
     */
    public static SimClrAugmentationBuilder cropAndFlip(int size) {
        return new SimClrAugmentationBuilder().setSize(size).optColorJitterProbability(0)
                .optGrayscaleProbability(0).optBlurProbability(0);
    }

    @Override
    public SimClrViewParameters draw(SplittableRandom random, long height, long width) {
        CropBox box = crop.draw(random.split(), height, width);
        long outHeight = crop.getOutputHeight();
        long outWidth = crop.getOutputWidth();
        boolean flipped = flip.draw(random.split(), outHeight, outWidth);
        Applied<ColorJitterParameters> jitter = colorJitter.draw(random.split(), outHeight, outWidth);
        boolean gray = grayscale.draw(random.split(), outHeight, outWidth);
        Applied<BlurParameters> blurred = blur.draw(random.split(), outHeight, outWidth);
        boolean solarized = solarize.draw(random.split(), outHeight, outWidth);
        return new SimClrViewParameters(box, flipped, jitter, gray, blurred, solarized);
    }

    @Override
    public NDArray apply(NDArray image, SimClrViewParameters p) {
        ImageChecks.requireImage(image, "image", false);
        return Scoped.compute(scope -> {
            NDArray x = crop.apply(image, p.crop());
            if (p.flip()) {
                x = ImageOps.hflip(x);
            }
            if (p.colorJitter().applied()) {
                x = colorJitter.apply(x, p.colorJitter());
            }
            if (p.grayscale()) {
                x = ImageOps.toGrayscale(x);
            }
            if (p.blur().applied()) {
                x = blur.apply(x, p.blur());
            }
            if (p.solarize()) {
                x = solarize.apply(x, true);
            }
            return mean == null ? x : ImageOps.normalize(x, mean, std);
        }, image);
    }

    /**
     * Applies one parameter set per sample with batched tensor ops only (see {@link BatchedSimClrView}):
     * per-sample crops and flips by two whole-row selections, colour jitter slot by slot on contiguous
     * row ranges, per-sample blur kernels as banded matrix products.
     *
     * @param batch float32 {@code [B, C, H, W]}
     * @param parameters B parameter sets; applied blurs must share one kernel size
     * @return {@code [B, C, size, size]}
     */
    @Override
    public NDArray applyBatch(NDArray batch, List<SimClrViewParameters> parameters) {
        return BatchedSimClrView.apply(this, batch, List.of(parameters)).singletonOrThrow();
    }

    /** All views of a batch in one batched pass (see {@link BatchedSimClrView}). */
    @Override
    NDList applyBatchViews(NDArray batch, List<List<SimClrViewParameters>> parameters) {
        return BatchedSimClrView.apply(this, batch, parameters);
    }

    /**
     * Returns the output height.
     *
     * @return the output height
     */
    public long getOutputHeight() {
        return crop.getOutputHeight();
    }

    /**
     * Returns the output width.
     *
     * @return the output width
     */
    public long getOutputWidth() {
        return crop.getOutputWidth();
    }

    double getSolarizeThreshold() {
        return solarize.getThreshold();
    }

    float[] getMean() {
        return mean;
    }

    float[] getStd() {
        return std;
    }
}
