package org.suncet.models;

import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import ai.djl.translate.ArgumentsUtil;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Rebuilds a suncet network from its builder settings, so that DJL's {@code Criteria} can load a
 * model folder of DJL {@code .params} files (written by {@code Model.save}) without the code that
 * trained it: {@code Criteria.builder()...optModelPath(folder)} with {@code
 * blockFactory=org.suncet.models.SuncetBlockFactory} and the keys below in the folder's {@code
 * serving.properties}, or the same keys given as {@code optArgument(key, value)} (an argument given
 * to {@code Criteria} wins over the file). Values may be strings or numbers.
 *
 * <p>The network is a {@link ContrastiveModel}: a {@link ResNet} encoder and a {@link
 * ProjectionHead}; the two classifiers are derived from it as training derives them ({@link
 * ContrastiveModel#fineTuneClassifier(int, int)}, {@link ContrastiveModel#linearProbe(int)}), so the
 * parameter names and shapes match the saved ones.
 *
 * <table>
 *   <caption>Arguments</caption>
 *   <tr><th>key</th><th>value</th><th>default</th></tr>
 *   <tr><td>{@value #NETWORK}</td><td>{@value #CONTRASTIVE} (output {@code NDList(h, z)}), {@value
 *       #FINE_TUNE} or {@value #LINEAR_PROBE} (output {@code NDList(logits)})</td><td>required</td></tr>
 *   <tr><td>{@value #DEPTH}</td><td>ResNet depth: 18, 34, 50, 101, 152, 200</td><td>required</td></tr>
 *   <tr><td>{@value #WIDTH}</td><td>width multiplier, &gt; 0</td><td>required</td></tr>
 *   <tr><td>{@value #INPUT_CHANNELS}</td><td>image channels C (1 grayscale, 3 colour)</td><td>3</td></tr>
 *   <tr><td>{@value #CIFAR_STEM}</td><td>{@code true}: 3×3/1 stem, no max-pool</td><td>false</td></tr>
 *   <tr><td>{@value #SELECTIVE_KERNEL_RATIO}</td><td>SimCLRv2 selective kernels, [0, 1)</td><td>0</td></tr>
 *   <tr><td>{@value #BATCH_NORM_EPSILON}</td><td>batch-norm ε of the encoder, &gt; 0</td><td>1e-5</td></tr>
 *   <tr><td>{@value #PROJECTION_HEAD}</td><td>{@value #SIMCLR_V1} or {@value #SIMCLR_V2} ({@link
 *       ProjectionHead#simclrV1}, {@link ProjectionHead#simclrV2})</td><td>{@value #SIMCLR_V1}</td></tr>
 *   <tr><td>{@value #KEPT_HEAD_LAYERS}</td><td>{@value #FINE_TUNE} only: head layers k kept</td><td>0</td></tr>
 *   <tr><td>{@value #NUM_CLASSES}</td><td>classifiers only: the number of classes, &gt; 0</td><td>required</td></tr>
 * </table>
 *
 * <p>Settings that only shape initialisation or training (zero-initialised residual branches,
 * batch-norm momentum) are not needed: the loaded parameters replace whatever the block starts
 * with.
 *
 * <p>Bad input: {@link IllegalArgumentException} naming the key for a missing required key, an
 * unknown network or head, an unparsable number, or a key that does not apply ({@value
 * #NUM_CLASSES} for {@value #CONTRASTIVE}); the builders' own checks for out-of-range values.
 */
public final class SuncetBlockFactory implements BlockFactory {

    /** The key naming the kind of network. */
    public static final String NETWORK = "network";

    /** {@value #NETWORK}: the pre-trained {@link ContrastiveModel}. */
    public static final String CONTRASTIVE = "contrastive";

    /** {@value #NETWORK}: a {@link FineTuneClassifier} (fine-tuning, distillation students). */
    public static final String FINE_TUNE = "fine-tune";

    /** {@value #NETWORK}: a {@link LinearProbe}. */
    public static final String LINEAR_PROBE = "linear-probe";

    /** The key of the ResNet depth. */
    public static final String DEPTH = "depth";

    /** The key of the ResNet width multiplier. */
    public static final String WIDTH = "width";

    /** The key of the input channel count. */
    public static final String INPUT_CHANNELS = "inputChannels";

    /** The key of the CIFAR stem switch. */
    public static final String CIFAR_STEM = "cifarStem";

    /** The key of the selective-kernel ratio. */
    public static final String SELECTIVE_KERNEL_RATIO = "selectiveKernelRatio";

    /** The key of the encoder's batch-norm ε. */
    public static final String BATCH_NORM_EPSILON = "batchNormEpsilon";

    /** The key of the projection head preset. */
    public static final String PROJECTION_HEAD = "projectionHead";

    /** {@value #PROJECTION_HEAD}: SimCLR's two-layer head. */
    public static final String SIMCLR_V1 = "simclr-v1";

    /** {@value #PROJECTION_HEAD}: SimCLRv2's three-layer head with batch norm. */
    public static final String SIMCLR_V2 = "simclr-v2";

    /** The key of the number of head layers a fine-tuned classifier keeps. */
    public static final String KEPT_HEAD_LAYERS = "keptHeadLayers";

    /** The key of a classifier's number of classes. */
    public static final String NUM_CLASSES = "numClasses";

    private static final long serialVersionUID = 1L;

    /** Creates the factory (DJL instantiates it by class name). */
    public SuncetBlockFactory() {}

    /**
     * Builds the network the arguments describe, uninitialised (DJL loads its parameters next).
     *
     * @param model the model being loaded (unused)
     * @param modelPath the model folder (unused)
     * @param arguments the settings, see the class description
     * @return the network
     * @throws IllegalArgumentException for bad settings, naming the key
     */
    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) {
        return build(arguments);
    }

    /**
     * Builds the network the arguments describe, uninitialised; what {@link #newBlock} returns.
     *
     * @param arguments the settings, see the class description
     * @return a {@link ContrastiveModel}, {@link FineTuneClassifier} or {@link LinearProbe}
     * @throws IllegalArgumentException for bad settings, naming the key
     */
    public static Block build(Map<String, ?> arguments) {
        if (arguments == null) {
            throw new IllegalArgumentException("arguments must not be null");
        }
        String network = required(arguments, NETWORK).toLowerCase(Locale.ROOT);
        if (!network.equals(CONTRASTIVE) && !network.equals(FINE_TUNE) && !network.equals(LINEAR_PROBE)) {
            throw new IllegalArgumentException(
                    NETWORK + " must be " + CONTRASTIVE + ", " + FINE_TUNE + " or " + LINEAR_PROBE + "; got '" + network + "'");
        }
        ResNet encoder =
                ResNet.builder()
                        .setDepth(integer(arguments, DEPTH, null))
                        .optWidthMultiplier(number(arguments, WIDTH, null))
                        .optInputChannels(integer(arguments, INPUT_CHANNELS, 3))
                        .optCifarStem(bool(arguments, CIFAR_STEM, false))
                        .optSelectiveKernelRatio(number(arguments, SELECTIVE_KERNEL_RATIO, 0f))
                        .optBatchNormEpsilon(number(arguments, BATCH_NORM_EPSILON, 1e-5f))
                        .build();
        String head = ArgumentsUtil.stringValue(arguments, PROJECTION_HEAD, SIMCLR_V1).toLowerCase(Locale.ROOT);
        ProjectionHead projection;
        if (head.equals(SIMCLR_V1)) {
            projection = ProjectionHead.simclrV1(encoder.getFeatureSize());
        } else if (head.equals(SIMCLR_V2)) {
            projection = ProjectionHead.simclrV2(encoder.getFeatureSize());
        } else {
            throw new IllegalArgumentException(
                    PROJECTION_HEAD + " must be " + SIMCLR_V1 + " or " + SIMCLR_V2 + "; got '" + head + "'");
        }
        ContrastiveModel contrastive = ContrastiveModel.builder().setEncoder(encoder).setHead(projection).build();
        switch (network) {
            case CONTRASTIVE:
                refuse(arguments, network, NUM_CLASSES);
                refuse(arguments, network, KEPT_HEAD_LAYERS);
                return contrastive;
            case FINE_TUNE:
                return contrastive.fineTuneClassifier(
                        integer(arguments, KEPT_HEAD_LAYERS, 0), integer(arguments, NUM_CLASSES, null));
            default:
                refuse(arguments, network, KEPT_HEAD_LAYERS);
                return contrastive.linearProbe(integer(arguments, NUM_CLASSES, null));
        }
    }

    private static String required(Map<String, ?> arguments, String key) {
        Object value = arguments.get(key);
        if (value == null || value.toString().isBlank()) {
            throw new IllegalArgumentException("argument '" + key + "' is required to build a suncet network");
        }
        return value.toString().strip();
    }

    private static void refuse(Map<String, ?> arguments, String network, String key) {
        if (arguments.get(key) != null) {
            throw new IllegalArgumentException(
                    "argument '" + key + "' does not apply to " + NETWORK + "=" + network + "; got " + arguments.get(key));
        }
    }

    private static int integer(Map<String, ?> arguments, String key, Integer fallback) {
        String text = fallback == null ? required(arguments, key) : ArgumentsUtil.stringValue(arguments, key);
        if (text == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("argument '" + key + "' must be an integer; got '" + text + "'", e);
        }
    }

    private static float number(Map<String, ?> arguments, String key, Float fallback) {
        String text = fallback == null ? required(arguments, key) : ArgumentsUtil.stringValue(arguments, key);
        if (text == null) {
            return fallback;
        }
        try {
            return Float.parseFloat(text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("argument '" + key + "' must be a number; got '" + text + "'", e);
        }
    }

    private static boolean bool(Map<String, ?> arguments, String key, boolean fallback) {
        String text = ArgumentsUtil.stringValue(arguments, key);
        if (text == null) {
            return fallback;
        }
        String value = text.strip().toLowerCase(Locale.ROOT);
        if (!value.equals("true") && !value.equals("false")) {
            throw new IllegalArgumentException("argument '" + key + "' must be true or false; got '" + text + "'");
        }
        return Boolean.parseBoolean(value);
    }
}
