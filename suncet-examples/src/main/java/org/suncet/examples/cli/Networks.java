package org.suncet.examples.cli;

import ai.djl.nn.Block;
import java.util.Map;
import org.suncet.examples.recipe.ContrastivePretraining;
import org.suncet.models.ContrastiveModel;
import org.suncet.models.FineTuneClassifier;
import org.suncet.models.LinearProbe;

/**
 * Rebuilds, from a run's resolved configuration, the networks the subcommands train: the
 * contrastive model of {@code pretrain} (as {@code ContrastivePretraining} builds it), the
 * classifier of {@code finetune} and the student of {@code distill}, so that a checkpoint can be
 * loaded into them.
 */
final class Networks {

    private Networks() {}

    static ContrastiveModel contrastive(int depth, float width, int channels) {
        return ContrastivePretraining.network(depth, width, channels);
    }

    /** The classifier a finetune configuration trains, around {@code network}. */
    static Block classifier(ContrastiveModel network, Map<String, String> finetune, int classes) {
        return Boolean.parseBoolean(finetune.get("linear-probe"))
                ? network.linearProbe(classes)
                : network.fineTuneClassifier(Integer.parseInt(finetune.get("head-layers")), classes);
    }

    /** The network of any run, by its {@code command}. */
    static Block of(Map<String, String> configuration, int channels, int classes) {
        String command = configuration.get("command");
        if (command.equals("distill")) {
            return contrastive(
                            Integer.parseInt(configuration.get("student-depth")),
                            Float.parseFloat(configuration.get("student-width")),
                            channels)
                    .fineTuneClassifier(0, classes);
        }
        ContrastiveModel network =
                contrastive(Integer.parseInt(configuration.get("depth")), Float.parseFloat(configuration.get("width")), channels);
        return command.equals("finetune") ? classifier(network, configuration, classes) : network;
    }

    /** The encoder of a network {@link #of} built. */
    static Block encoder(Block network) {
        if (network instanceof ContrastiveModel contrastive) {
            return contrastive.getEncoder();
        }
        if (network instanceof FineTuneClassifier classifier) {
            return classifier.getEncoder();
        }
        return ((LinearProbe) network).getEncoder();
    }
}
