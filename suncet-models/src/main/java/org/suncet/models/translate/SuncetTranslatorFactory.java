package org.suncet.models.translate;

import ai.djl.Model;
import ai.djl.modality.Classifications;
import ai.djl.modality.Output;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.translator.BaseImageTranslatorFactory;
import ai.djl.translate.ArgumentsUtil;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorFactory;
import ai.djl.util.Pair;
import ai.djl.util.Utils;

import org.suncet.models.SuncetBlockFactory;

import java.io.IOException;
import java.io.Serializable;
import java.lang.reflect.Type;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Makes the translators of a suncet model folder from its arguments (its {@code serving.properties}
 * merged with the {@code Criteria} arguments): {@code float[]} outputs get an {@link
 * EmbeddingTranslator}, {@link Classifications} a {@link ClassificationTranslator}, both with the
 * folder's {@link ImagePreprocessing}. Inputs: {@code Image}, and through DJL's image expansions
 * {@code Path}, {@code URL}, {@code String} (a path or URL) and {@code InputStream} of an image file.
 *
 * <p>Pass it to {@code Criteria.Builder.optTranslatorFactory(new SuncetTranslatorFactory())}: DJL
 * 0.35.1 looks the translator factory up before it reads {@code serving.properties}, so the file
 * cannot name it.
 *
 * <p>Arguments read besides {@link ImagePreprocessing}'s: {@value SuncetBlockFactory#NETWORK}
 * (required); {@value #EMBEDDING}: for a {@value SuncetBlockFactory#CONTRASTIVE} network {@value
 * #FEATURES} (h, the default) or {@value #PROJECTION} (z), for a classifier {@value #LOGITS} (the
 * default and only choice); {@value #SYNSET_FILE_NAME}: the file of class names in the model
 * folder, one a line (default {@value #DEFAULT_SYNSET}), which must hold {@value
 * SuncetBlockFactory#NUM_CLASSES} names. Bad input: {@link TranslateException} wrapping an {@link
 * IllegalArgumentException} that names the key, for example {@code Classifications} asked of a
 * pre-trained model, which has no classifier.
 */
public final class SuncetTranslatorFactory implements TranslatorFactory, Serializable {

    /** The key choosing what a {@code float[]} holds. */
    public static final String EMBEDDING = "embedding";

    /** {@value #EMBEDDING}: the encoder features h. */
    public static final String FEATURES = "h";

    /** {@value #EMBEDDING}: the projection z. */
    public static final String PROJECTION = "z";

    /** {@value #EMBEDDING}: a classifier's logits. */
    public static final String LOGITS = "logits";

    /** The key of the class-name file. */
    public static final String SYNSET_FILE_NAME = "synsetFileName";

    /** The class-name file a model folder holds by default. */
    public static final String DEFAULT_SYNSET = "synset.txt";

    private static final long serialVersionUID = 1L;

    /** Makes the {@code float[]} translators. */
    private final Embeddings embeddings = new Embeddings();

    /** Makes the {@link Classifications} translators. */
    private final Classes classes = new Classes();

    /** Creates the factory. */
    public SuncetTranslatorFactory() {}

    /** {@inheritDoc} */
    @Override
    public Set<Pair<Type, Type>> getSupportedTypes() {
        Set<Pair<Type, Type>> types = new HashSet<>(embeddings.getSupportedTypes());
        types.addAll(classes.getSupportedTypes());
        return types;
    }

    /** {@inheritDoc} */
    @Override
    public <I, O> Translator<I, O> newInstance(Class<I> input, Class<O> output, Model model, Map<String, ?> arguments)
            throws TranslateException {
        try {
            boolean classify = output == Classifications.class
                    || (output == Output.class && !isContrastive(arguments));
            return classify
                    ? classes.newInstance(input, output, model, arguments)
                    : embeddings.newInstance(input, output, model, arguments);
        } catch (IllegalArgumentException e) {
            throw new TranslateException(e.getMessage(), e);
        }
    }

    /**
     * The index of the network output a {@code float[]} holds under these arguments.
     *
     * @param arguments the model's arguments
     * @return 0 (h, logits) or 1 (z)
     * @throws IllegalArgumentException for an {@value #EMBEDDING} that the network does not have
     */
    static int outputIndex(Map<String, ?> arguments) {
        boolean contrastive = isContrastive(arguments);
        String embedding = ArgumentsUtil.stringValue(arguments, EMBEDDING, contrastive ? FEATURES : LOGITS)
                .strip().toLowerCase(Locale.ROOT);
        if (contrastive && embedding.equals(FEATURES)) {
            return 0;
        }
        if (contrastive && embedding.equals(PROJECTION)) {
            return 1;
        }
        if (!contrastive && embedding.equals(LOGITS)) {
            return 0;
        }
        throw new IllegalArgumentException(
                EMBEDDING + " must be " + (contrastive ? FEATURES + " or " + PROJECTION : LOGITS) + " for "
                        + SuncetBlockFactory.NETWORK + "=" + network(arguments) + "; got '" + embedding + "'");
    }

    private static String network(Map<String, ?> arguments) {
        String network = ArgumentsUtil.stringValue(arguments, SuncetBlockFactory.NETWORK);
        if (network == null || network.isBlank()) {
            throw new IllegalArgumentException(
                    "argument '" + SuncetBlockFactory.NETWORK + "' is required (the model folder's serving.properties"
                            + " names it)");
        }
        return network.strip().toLowerCase(Locale.ROOT);
    }

    private static boolean isContrastive(Map<String, ?> arguments) {
        return network(arguments).equals(SuncetBlockFactory.CONTRASTIVE);
    }

    private static List<String> readClasses(Model model, Map<String, ?> arguments) {
        if (isContrastive(arguments)) {
            throw new IllegalArgumentException(
                    "a pre-trained (" + SuncetBlockFactory.NETWORK + "=" + SuncetBlockFactory.CONTRASTIVE
                            + ") model has no classifier: ask for float[] embeddings, or load a fine-tuned model");
        }
        String file = ArgumentsUtil.stringValue(arguments, SYNSET_FILE_NAME, DEFAULT_SYNSET);
        List<String> names;
        try {
            names = model.getArtifact(file, Utils::readLines);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "class names " + file + " (" + SYNSET_FILE_NAME + ") are missing from " + model.getModelPath(), e);
        }
        String declared = ArgumentsUtil.stringValue(arguments, SuncetBlockFactory.NUM_CLASSES);
        if (declared != null && !declared.strip().equals(Integer.toString(names.size()))) {
            throw new IllegalArgumentException(
                    file + " holds " + names.size() + " class names; the model has " + SuncetBlockFactory.NUM_CLASSES
                            + "=" + declared.strip());
        }
        return names;
    }

    /** Image to {@code float[]}, with DJL's input expansions. */
    private static final class Embeddings extends BaseImageTranslatorFactory<float[]> implements Serializable {

        private static final long serialVersionUID = 1L;

        @Override
        protected Translator<Image, float[]> buildBaseTranslator(Model model, Map<String, ?> arguments) {
            return new EmbeddingTranslator(ImagePreprocessing.fromArguments(arguments), outputIndex(arguments));
        }

        @Override
        public Class<float[]> getBaseOutputType() {
            return float[].class;
        }
    }

    /** Image to {@link Classifications}, with DJL's input expansions. */
    private static final class Classes extends BaseImageTranslatorFactory<Classifications> implements Serializable {

        private static final long serialVersionUID = 1L;

        @Override
        protected Translator<Image, Classifications> buildBaseTranslator(
                Model model, Map<String, ?> arguments) {
            return new ClassificationTranslator(ImagePreprocessing.fromArguments(arguments), readClasses(model, arguments));
        }

        @Override
        public Class<Classifications> getBaseOutputType() {
            return Classifications.class;
        }
    }
}
