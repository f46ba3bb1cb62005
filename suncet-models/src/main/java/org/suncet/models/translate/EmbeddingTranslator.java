package org.suncet.models.translate;

import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDList;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;

/**
 * An image to one output of a suncet network, as {@code float[]}: for a pre-trained {@code
 * ContrastiveModel} (output {@code NDList(h, z)}) the encoder features h (output 0, {@code F}
 * values: what downstream tasks and the soft-nearest-neighbour monitor use) or the projection z
 * (output 1, 128 values: what the contrastive loss saw); for a classifier its logits (output 0).
 *
 * <p>Input: any {@link Image}, prepared by {@link ImagePreprocessing} into {@code [C, H, W]}; the
 * default {@code STACK} batchifier makes it {@code [1, C, H, W]} (or {@code [B, C, H, W]} for {@code
 * batchPredict}), and the network runs in inference mode (batch norm on its running statistics), as
 * the training programs evaluate. Output: the chosen array of the image's row, float32 as the
 * network computed it, not normalised.
 */
public final class EmbeddingTranslator implements Translator<Image, float[]> {

    private final ImagePreprocessing preprocessing;
    private final int outputIndex;

    /**
     * Creates the translator.
     *
     * @param preprocessing how images become network inputs
     * @param outputIndex which of the network's outputs to return: 0 (h, or a classifier's logits)
     *     or 1 (z of a contrastive model)
     * @throws IllegalArgumentException for a null preprocessing or a negative index
     */
    public EmbeddingTranslator(ImagePreprocessing preprocessing, int outputIndex) {
        if (preprocessing == null) {
            throw new IllegalArgumentException("preprocessing must not be null");
        }
        if (outputIndex < 0) {
            throw new IllegalArgumentException("outputIndex must be >= 0; got " + outputIndex);
        }
        this.preprocessing = preprocessing;
        this.outputIndex = outputIndex;
    }

    /**
     * The index of the network output this translator returns.
     *
     * @return 0 or 1
     */
    public int getOutputIndex() {
        return outputIndex;
    }

    /** {@inheritDoc} */
    @Override
    public NDList processInput(TranslatorContext ctx, Image input) {
        return new NDList(preprocessing.toInput(ctx.getNDManager(), input));
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalStateException if the network has fewer outputs than the index asks for
     */
    @Override
    public float[] processOutput(TranslatorContext ctx, NDList list) {
        if (outputIndex >= list.size()) {
            throw new IllegalStateException(
                    "the network returned " + list.size() + " output(s); this translator reads output " + outputIndex);
        }
        return list.get(outputIndex).toFloatArray();
    }
}
