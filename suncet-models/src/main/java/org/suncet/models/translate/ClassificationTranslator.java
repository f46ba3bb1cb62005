package org.suncet.models.translate;

import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;

import java.util.Arrays;
import java.util.List;

/**
 * An image to its class under a suncet classifier ({@code FineTuneClassifier}, {@code LinearProbe}
 * or a distilled student): {@link Classifications} over the model's class names with
 * probabilities {@code softmax(logits)} (float32). {@code best()} is the class of the largest
 * logit, the class the training programs count as predicted.
 *
 * <p>Input: any {@link Image}, prepared by {@link ImagePreprocessing} into {@code [C, H, W]}; the
 * default {@code STACK} batchifier stacks images into {@code [B, C, H, W]}; the network runs in
 * inference mode. The class names are in label order (name {@code i} is logit {@code i}), for a
 * model folder its {@code synset.txt}, one name a line.
 */
public final class ClassificationTranslator implements Translator<Image, Classifications> {

    private final ImagePreprocessing preprocessing;
    private final List<String> classes;

    /**
     * Creates the translator.
     *
     * @param preprocessing how images become network inputs
     * @param classes the class names in label order, at least 2
     * @throws IllegalArgumentException for a null argument or fewer than 2 names
     */
    public ClassificationTranslator(ImagePreprocessing preprocessing, List<String> classes) {
        if (preprocessing == null || classes == null) {
            throw new IllegalArgumentException("preprocessing and classes must not be null");
        }
        if (classes.size() < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 class names; got " + classes);
        }
        this.preprocessing = preprocessing;
        this.classes = List.copyOf(classes);
    }

    /**
     * The class names in label order.
     *
     * @return the names
     */
    public List<String> getClasses() {
        return classes;
    }

    /** {@inheritDoc} */
    @Override
    public NDList processInput(TranslatorContext ctx, Image input) {
        return new NDList(preprocessing.toInput(ctx.getNDManager(), input));
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalStateException if the network does not return one logit per class name
     */
    @Override
    public Classifications processOutput(TranslatorContext ctx, NDList list) {
        NDArray logits = list.get(0);
        if (list.size() != 1 || logits.getShape().dimension() != 1 || logits.size() != classes.size()) {
            throw new IllegalStateException(
                    "expected one logit per class (" + classes.size() + ") from a classifier; got outputs "
                            + list.getShapes().length + " of shapes " + Arrays.toString(list.getShapes()));
        }
        return new Classifications(classes, logits.softmax(0));
    }
}
