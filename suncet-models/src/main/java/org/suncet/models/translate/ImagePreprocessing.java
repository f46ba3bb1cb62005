package org.suncet.models.translate;

import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.transform.Resize;
import ai.djl.modality.cv.transform.ToTensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.translate.ArgumentsUtil;

import org.suncet.models.SuncetBlockFactory;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Turns an image into the input a suncet network was trained on: {@code [C, H, W]} float32 in [0,
 * 1], the pixel bytes divided by 255, with no mean or standard-deviation normalisation, taking the
 * same steps, in the same order, as the data set the run trained on, so that a network sees the
 * same bits from an image file as it did in training.
 *
 * <ul>
 *   <li>{@link #WHEN_SIZE_DIFFERS} (Fashion-MNIST, CIFAR-10, which DJL loads as decoded bytes
 *       without resizing): {@code image.toNDArray(flag)} (uint8 {@code [H, W, C]}), cast to
 *       float32, resized with DJL's {@link Resize} (bilinear) only when the image is not {@code
 *       width × height}, then DJL's {@link ToTensor} ({@code [C, H, W]}, ÷ 255).
 *   <li>{@link #ALWAYS} (an image folder, which DJL's {@code ImageFolder} resizes on load):
 *       {@code image.toNDArray(flag)}, {@link Resize} to {@code width × height} (bilinear, on the
 *       uint8 pixels, whatever the image's size), then {@link ToTensor}.
 * </ul>
 *
 * <p>The flag is {@code GRAYSCALE} for one channel (a grayscale image's own bytes; a colour image
 * becomes {@code round(0.299 R + 0.587 G + 0.114 B)}) and {@code COLOR} (RGB) for three.
 *
 * <p>Arguments ({@link #fromArguments}, as strings or numbers): {@value
 * SuncetBlockFactory#INPUT_CHANNELS} (1 or 3, default 3), {@value #IMAGE_WIDTH} and {@value
 * #IMAGE_HEIGHT} (required), {@value #RESIZE} ({@value #ALWAYS} or {@value #WHEN_SIZE_DIFFERS},
 * default {@value #WHEN_SIZE_DIFFERS}). Bad input: {@link IllegalArgumentException} naming the key.
 */
public final class ImagePreprocessing {

    /** The key of the width W the network was trained on. */
    public static final String IMAGE_WIDTH = "imageWidth";

    /** The key of the height H the network was trained on. */
    public static final String IMAGE_HEIGHT = "imageHeight";

    /** The key of the resize rule. */
    public static final String RESIZE = "resize";

    /** {@value #RESIZE}: every image is resized to {@code W × H}, as DJL's {@code ImageFolder} does. */
    public static final String ALWAYS = "always";

    /** {@value #RESIZE}: only an image of another size is resized (decoded data sets). */
    public static final String WHEN_SIZE_DIFFERS = "when-size-differs";

    private final int channels;
    private final int width;
    private final int height;
    private final boolean alwaysResize;

    /**
     * Creates the preprocessing.
     *
     * @param channels C: 1 (grayscale) or 3 (RGB)
     * @param width W &gt; 0
     * @param height H &gt; 0
     * @param alwaysResize true for {@link #ALWAYS}, false for {@link #WHEN_SIZE_DIFFERS}
     * @throws IllegalArgumentException for a channel count other than 1 or 3, or a size ≤ 0
     */
    public ImagePreprocessing(int channels, int width, int height, boolean alwaysResize) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException(
                    SuncetBlockFactory.INPUT_CHANNELS + " must be 1 (grayscale) or 3 (RGB) for an image; got " + channels);
        }
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException(
                    IMAGE_WIDTH + " and " + IMAGE_HEIGHT + " must be > 0; got " + width + " x " + height);
        }
        this.channels = channels;
        this.width = width;
        this.height = height;
        this.alwaysResize = alwaysResize;
    }

    /**
     * Reads the preprocessing from a model's arguments (a {@code serving.properties}).
     *
     * @param arguments the arguments, see the class description
     * @return the preprocessing
     * @throws IllegalArgumentException for a missing, unparsable or out-of-range value, naming the key
     */
    public static ImagePreprocessing fromArguments(Map<String, ?> arguments) {
        if (arguments == null) {
            throw new IllegalArgumentException("arguments must not be null");
        }
        String resize = ArgumentsUtil.stringValue(arguments, RESIZE, WHEN_SIZE_DIFFERS).strip().toLowerCase(Locale.ROOT);
        if (!resize.equals(ALWAYS) && !resize.equals(WHEN_SIZE_DIFFERS)) {
            throw new IllegalArgumentException(
                    RESIZE + " must be " + ALWAYS + " or " + WHEN_SIZE_DIFFERS + "; got '" + resize + "'");
        }
        return new ImagePreprocessing(
                integer(arguments, SuncetBlockFactory.INPUT_CHANNELS, "3"),
                integer(arguments, IMAGE_WIDTH, null),
                integer(arguments, IMAGE_HEIGHT, null),
                resize.equals(ALWAYS));
    }

    /**
     * The arguments {@link #fromArguments} reads back into this preprocessing.
     *
     * @return key to value, as strings
     */
    public Map<String, String> toArguments() {
        Map<String, String> arguments = new LinkedHashMap<>();
        arguments.put(SuncetBlockFactory.INPUT_CHANNELS, Integer.toString(channels));
        arguments.put(IMAGE_WIDTH, Integer.toString(width));
        arguments.put(IMAGE_HEIGHT, Integer.toString(height));
        arguments.put(RESIZE, alwaysResize ? ALWAYS : WHEN_SIZE_DIFFERS);
        return arguments;
    }

    /**
     * The channel count C.
     *
     * @return 1 or 3
     */
    public int getChannels() {
        return channels;
    }

    /**
     * The width W the network takes.
     *
     * @return W
     */
    public int getWidth() {
        return width;
    }

    /**
     * The height H the network takes.
     *
     * @return H
     */
    public int getHeight() {
        return height;
    }

    /**
     * Whether every image is resized ({@link #ALWAYS}).
     *
     * @return true for {@link #ALWAYS}, false for {@link #WHEN_SIZE_DIFFERS}
     */
    public boolean isAlwaysResize() {
        return alwaysResize;
    }

    /**
     * Prepares one image.
     *
     * @param manager owns the result (and the temporaries, which it closes)
     * @param image the image, of any size
     * @return {@code [C, H, W]} float32 in [0, 1]
     */
    public NDArray toInput(NDManager manager, Image image) {
        Image.Flag flag = channels == 1 ? Image.Flag.GRAYSCALE : Image.Flag.COLOR;
        try (NDManager scope = manager.newSubManager()) {
            NDArray pixels = image.toNDArray(scope, flag); // [H, W, C] uint8
            if (!alwaysResize) {
                pixels = pixels.toType(DataType.FLOAT32, false);
            }
            if (alwaysResize || image.getWidth() != width || image.getHeight() != height) {
                pixels = new Resize(width, height).transform(pixels);
            }
            NDArray input = new ToTensor().transform(pixels); // [C, H, W] float32, ÷ 255
            input.attach(manager);
            return input;
        }
    }

    private static int integer(Map<String, ?> arguments, String key, String fallback) {
        String text = ArgumentsUtil.stringValue(arguments, key, fallback);
        if (text == null) {
            throw new IllegalArgumentException("argument '" + key + "' is required to prepare images");
        }
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("argument '" + key + "' must be an integer; got '" + text + "'", e);
        }
    }
}
