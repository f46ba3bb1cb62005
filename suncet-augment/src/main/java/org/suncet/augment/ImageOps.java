package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.function.BiFunction;

/**
 * Deterministic image ops on float32 images with values in [0, 1], shaped {@code [C, H, W]} or
 * {@code [B, C, H, W]} (one parameter for every sample; see {@link BatchImageOps} for one parameter per
 * sample), computed with tensor ops on the input's device. Each op matches
 * {@code torchvision.transforms.functional} on float tensors and clamps its output to [0, 1]; these are
 * the ops of the SimCLR augmentation (Chen et al. 2020, arXiv 2002.05709, appendix A):
 * <ul>
 *   <li>{@code hflip(x)}: reverse the W axis;</li>
 *   <li>{@code resizedCrop}: crop a box, resize it bilinearly ({@code align_corners = false}, no
 *       antialias; see {@link BilinearSampler} for the sampling rule);</li>
 *   <li>{@code adjustBrightness(x, f) = clamp(f x)}; {@code adjustContrast(x, f) = clamp(f x + (1 - f)
 *       mean(gray(x)))} with one mean per image; {@code adjustSaturation(x, f) = clamp(f x + (1 - f)
 *       gray(x))}; {@code adjustHue(x, d)}: RGB to HSV, {@code h = (h + d) mod 1}, back to RGB;</li>
 *   <li>{@code gray(x) = 0.2989 R + 0.587 G + 0.114 B}, {@code toGrayscale} repeats it to 3 channels;</li>
 *   <li>{@code gaussianBlur(x, k, sigma)}: odd kernel {@code exp(-t^2 / (2 sigma^2))} normalised,
 *       reflect padding;</li>
 *   <li>{@code solarize(x, threshold) = x >= threshold ? 1 - x : x}.</li>
 * </ul>
 * One-channel (grayscale) images follow torchvision: saturation, hue and grayscale are the identity on
 * them and contrast uses the image itself as its gray version; expand them first with
 * {@link ImageTensors#toRgb} to treat them as colour images.
 *
 * <p>Every op returns a new array owned by the input's manager. Bad input gets an
 * {@link IllegalArgumentException}: a rank other than 3 or 4, a channel count other than 1 or 3, a dtype
 * other than float32,
 * a negative factor, a hue shift outside [-0.5, 0.5], an even or non-positive kernel, a sigma {@code <=
 * 0}, or a crop box outside the image. Values are not checked (that would need a host round trip):
 * values outside [0, 1] are clamped by the op.
 */
public final class ImageOps {

    private ImageOps() {}

    /**
     * Flips horizontally (reverses the W axis).
     *
     * @param image {@code [C, H, W]} or {@code [B, C, H, W]}
     * @return the flipped image
     */
    public static NDArray hflip(NDArray image) {
        ImageChecks.requireImage(image, "image", false);
        return image.flip(image.getShape().dimension() - 1);
    }

    /**
     * Crops the box {@code (top, left, height, width)} and resizes it to {@code outHeight x outWidth}
     * bilinearly, torchvision's {@code resized_crop(x, top, left, height, width, [outHeight, outWidth],
     * BILINEAR, antialias=False)}.
     *
     * @param image {@code [C, H, W]} or {@code [B, C, H, W]}
     * @param top first row of the box
     * @param left first column of the box
     * @param height rows of the box
     * @param width columns of the box
     * @param outHeight output height
     * @param outWidth output width
     * @return {@code [C, outHeight, outWidth]} or {@code [B, C, outHeight, outWidth]}
     * @throws IllegalArgumentException if the box is outside the image or a size is not positive
     */
    public static NDArray resizedCrop(NDArray image, long top, long left, long height, long width,
            long outHeight, long outWidth) {
        ImageChecks.requireImage(image, "image", false);
        ImageChecks.requirePositiveSize(outHeight, outWidth);
        CropBox box = new CropBox(top, left, height, width);
        Shape shape = image.getShape();
        int rank = shape.dimension();
        box.requireInside(shape.get(rank - 2), shape.get(rank - 1));
        return perImage(image, (batch, scope) -> {
            int samples = (int) batch.getShape().get(0);
            int[] sources = new int[samples];
            CropBox[] boxes = new CropBox[samples];
            for (int i = 0; i < samples; i++) {
                sources[i] = i;
                boxes[i] = box;
            }
            return BilinearSampler.sample(scope, batch, sources, boxes, null, outHeight, outWidth);
        });
    }

    /**
     * Resizes the whole image bilinearly ({@code align_corners = false}, no antialias).
     *
     * @param image {@code [C, H, W]} or {@code [B, C, H, W]}
     * @param outHeight output height
     * @param outWidth output width
     * @return the resized image
     */
    public static NDArray resize(NDArray image, long outHeight, long outWidth) {
        ImageChecks.requireImage(image, "image", false);
        Shape shape = image.getShape();
        int rank = shape.dimension();
        return resizedCrop(image, 0, 0, shape.get(rank - 2), shape.get(rank - 1), outHeight, outWidth);
    }

    /**
     * Crops the centred {@code height x width} box, torchvision's {@code center_crop} for boxes that fit.
     *
     * @param image {@code [C, H, W]} or {@code [B, C, H, W]}
     * @param height box height, at most H
     * @param width box width, at most W
     * @return the crop
     * @throws IllegalArgumentException if the box is larger than the image
     */
    public static NDArray centerCrop(NDArray image, long height, long width) {
        ImageChecks.requireImage(image, "image", false);
        Shape shape = image.getShape();
        int rank = shape.dimension();
        CropBox box = CropBox.centered(shape.get(rank - 2), shape.get(rank - 1), height, width);
        return perImage(image, (batch, scope) -> batch.get(":, :, " + box.top() + ":"
                + (box.top() + height) + ", " + box.left() + ":" + (box.left() + width)).duplicate());
    }

    /**
     * Brightness: {@code clamp(f x)}.
     *
     * @param image {@code [C, H, W]} or {@code [B, C, H, W]}
     * @param factor {@code f >= 0}; 1 is the identity
     * @return the adjusted image
     */
    public static NDArray adjustBrightness(NDArray image, double factor) {
        ImageChecks.requireNonNegative(factor, "brightness factor");
        return withFactor(image, factor, ColorOps::brightness);
    }

    /**
     * Contrast: {@code clamp(f x + (1 - f) m)}, {@code m} the mean of the image's gray version (one
     * scalar per image).
     *
     * @param image {@code [C, H, W]} or {@code [B, C, H, W]}
     * @param factor {@code f >= 0}; 1 is the identity
     * @return the adjusted image
     */
    public static NDArray adjustContrast(NDArray image, double factor) {
        ImageChecks.requireNonNegative(factor, "contrast factor");
        return withFactor(image, factor, ColorOps::contrast);
    }

    /**
     * Saturation: {@code clamp(f x + (1 - f) gray(x))}; the identity on one-channel images.
     *
     * @param image {@code [C, H, W]} or {@code [B, C, H, W]}
     * @param factor {@code f >= 0}; 1 is the identity, 0 gives gray
     * @return the adjusted image
     */
    public static NDArray adjustSaturation(NDArray image, double factor) {
        ImageChecks.requireNonNegative(factor, "saturation factor");
        return withFactor(image, factor, ColorOps::saturation);
    }

    /**
     * Hue: RGB to HSV, {@code h = (h + delta) mod 1}, HSV to RGB (see {@link HueRotation}); the
     * identity on one-channel images.
     *
     * @param image {@code [C, H, W]} or {@code [B, C, H, W]}
     * @param delta hue shift in turns, in [-0.5, 0.5]; 0 is the identity up to rounding
     * @return the adjusted image
     */
    public static NDArray adjustHue(NDArray image, double delta) {
        ImageChecks.requireHue(delta, "hue delta");
        ImageChecks.requireImage(image, "image", false);
        return perImage(image, (batch, scope) -> batch.getShape().get(1) == 1 ? batch.duplicate()
                : HueRotation.rotate(scope, batch, new float[] {(float) delta}));
    }

    /**
     * Grayscale with as many channels as the input: {@code 0.2989 R + 0.587 G + 0.114 B} on every
     * channel; the identity on one-channel images.
     *
     * @param image {@code [C, H, W]} or {@code [B, C, H, W]}
     * @return the gray image, same shape
     */
    public static NDArray toGrayscale(NDArray image) {
        ImageChecks.requireImage(image, "image", false);
        return perImage(image, (batch, scope) -> ColorOps.grayscale(scope, batch));
    }

    /**
     * Gaussian blur with an odd {@code kernelSize}, kernel {@code exp(-t^2 / (2 sigma^2))} normalised
     * and reflect padding of {@code kernelSize / 2} (see {@link GaussianBlurKernel}).
     *
     * @param image {@code [C, H, W]} or {@code [B, C, H, W]}
     * @param kernelSize odd, positive, with {@code kernelSize / 2 < H} and {@code < W}
     * @param sigma standard deviation in pixels, {@code > 0}
     * @return the blurred image
     */
    public static NDArray gaussianBlur(NDArray image, int kernelSize, double sigma) {
        ImageChecks.requireImage(image, "image", false);
        ImageChecks.requireSigma(sigma, "sigma");
        Shape shape = image.getShape();
        int rank = shape.dimension();
        ImageChecks.requireKernel(kernelSize, shape.get(rank - 2), shape.get(rank - 1));
        return perImage(image, (batch, scope) -> GaussianBlurKernel.blur(scope, batch, new double[] {sigma},
                kernelSize));
    }

    /**
     * Solarize: {@code x >= threshold ? 1 - x : x}.
     *
     * @param image {@code [C, H, W]} or {@code [B, C, H, W]}
     * @param threshold finite threshold (0.5 in BYOL)
     * @return the solarized image
     */
    public static NDArray solarize(NDArray image, double threshold) {
        ImageChecks.requireImage(image, "image", false);
        ImageChecks.requireFinite(threshold, "threshold");
        return perImage(image, (batch, scope) -> ColorOps.solarize(batch, (float) threshold));
    }

    /**
     * Per-channel normalisation {@code (x - mean[c]) / std[c]}; the one op that does not clamp.
     *
     * @param image {@code [C, H, W]} or {@code [B, C, H, W]}
     * @param mean C means
     * @param std C standard deviations, each {@code > 0}
     * @return the normalised image
     * @throws IllegalArgumentException if the lengths are not C or a std is not {@code > 0}
     */
    public static NDArray normalize(NDArray image, float[] mean, float[] std) {
        ImageChecks.requireImage(image, "image", false);
        long channels = image.getShape().get(image.getShape().dimension() - 3);
        if (mean == null || std == null || mean.length != channels || std.length != channels) {
            throw new IllegalArgumentException("mean and std need one value per channel (" + channels
                    + "), got " + (mean == null ? "null" : mean.length) + " and " + (std == null ? "null" : std.length));
        }
        for (float s : std) {
            ImageChecks.requireSigma(s, "std");
        }
        return perImage(image, (batch, scope) -> batch
                .sub(scope.create(mean, new Shape(1, channels, 1, 1)))
                .div(scope.create(std, new Shape(1, channels, 1, 1))));
    }

    private static NDArray withFactor(NDArray image, double factor, FactorOp op) {
        ImageChecks.requireImage(image, "image", false);
        return perImage(image, (batch, scope) -> op.apply(scope, batch, new float[] {(float) factor}));
    }

    /** An op of {@link ColorOps} with one factor per sample (or one for all). */
    interface FactorOp {
        NDArray apply(NDManager scope, NDArray batch, float[] factors);
    }

    /** Runs a rank-4 computation on a rank-3 or rank-4 image in a scope; restores the input's rank. */
    static NDArray perImage(NDArray image, BiFunction<NDArray, NDManager, NDArray> op) {
        boolean single = image.getShape().dimension() == 3;
        return Scoped.compute(scope -> {
            NDArray batch = single ? image.expandDims(0) : image;
            NDArray out = op.apply(batch, scope);
            return single ? out.squeeze(0) : out;
        }, image);
    }
}
