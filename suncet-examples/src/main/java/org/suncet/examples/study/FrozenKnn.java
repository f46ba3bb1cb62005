package org.suncet.examples.study;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import org.suncet.examples.data.ImageData;
import org.suncet.train.ClassifierEvaluation;
import org.suncet.train.SoftNearestNeighbour;

/**
 * How good a pre-trained encoder's frozen features are, before any fine-tuning: soft
 * nearest-neighbour top-1 ({@link SoftNearestNeighbour}, τ = 0.1, cosine) of query images against
 * the labeled images as memory, and the queries' mean feature norm ‖h‖. The study and the recipe
 * probe and the demo report it beside the fine-tuned accuracy, because fine-tuning on the labels can hide what
 * pre-training did (docs/study/notes.md, session 6).
 */
public final class FrozenKnn {

    /** The soft-kNN temperature. */
    public static final float TEMPERATURE = 0.1f;

    private FrozenKnn() {}

    /**
     * The soft-kNN top-1 of {@code queries} against {@code memory}, and their mean feature norm.
     *
     * @param encoder the encoder, run in inference mode
     * @param memory the labeled images
     * @param queries the images classified
     * @return {top-1 in [0, 1], mean ‖h‖ of the queries}
     */
    public static double[] evaluate(Block encoder, ImageData memory, ImageData queries) {
        try (NDManager scope = memory.images().getManager().newSubManager()) {
            ClassifierEvaluation evaluation = ClassifierEvaluation.builder().optBatchSize(500).build();
            NDArray memoryFeatures = evaluation.extractFeatures(encoder, memory.images());
            memoryFeatures.attach(scope);
            NDArray queryFeatures = evaluation.extractFeatures(encoder, queries.images());
            queryFeatures.attach(scope);
            double top1 = SoftNearestNeighbour.builder()
                    .setNumClasses(memory.numClasses())
                    .optTemperature(TEMPERATURE)
                    .build()
                    .accuracy(queryFeatures, scope.create(queries.labels()), memoryFeatures, scope.create(memory.labels()));
            double norm = queryFeatures.norm(new int[] {1}).mean().getFloat();
            return new double[] {top1, norm};
        }
    }
}
