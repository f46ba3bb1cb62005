package org.suncet.examples.cli;

import ai.djl.nn.Block;
import java.util.LinkedHashMap;
import java.util.Map;
import org.suncet.examples.recipe.ContrastivePretraining;
import org.suncet.models.ContrastiveModel;
import org.suncet.models.FineTuneClassifier;
import org.suncet.models.LinearProbe;
import org.suncet.models.SuncetBlockFactory;
import org.suncet.models.translate.ImagePreprocessing;

/**
 * Rebuilds, from a run's resolved configuration, the networks the subcommands train: the
 * contrastive model of {@code pretrain} (as {@code ContrastivePretraining} builds it), the
 * classifier of {@code finetune} and the student of {@code distill}, so that a checkpoint can be
 * loaded into them; and the arguments that let DJL's {@code Criteria} rebuild them from a run's
 * model folder ({@link #modelArguments}).
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

    /**
     * The {@link SuncetBlockFactory} and {@link ImagePreprocessing} arguments of the network {@link
     * #of} builds for {@code configuration}, for the run's model folder: the factory rebuilds the
     * same network (CIFAR stem, SimCLR v1 head, as {@code ContrastivePretraining.network}), and the
     * translators prepare an image as the run's data set did ({@code image-folder}: always resized to
     * the training side; Fashion-MNIST and CIFAR-10: decoded as is, resized only if the size differs).
     *
     * @param configuration a pretrain, finetune or distill run's resolved configuration
     * @param data the run's data (for the channels, image size and classes)
     * @return key to value, as strings
     */
    static Map<String, String> modelArguments(Map<String, String> configuration, TrainingData data) {
        long[] shape = data.train().images().getShape().getShape(); // [N, C, H, W]
        int channels = Math.toIntExact(shape[1]);
        int classes = data.train().numClasses();
        String command = configuration.get("command");
        Map<String, String> arguments = new LinkedHashMap<>();
        if (command.equals("pretrain")) {
            arguments.put(SuncetBlockFactory.NETWORK, SuncetBlockFactory.CONTRASTIVE);
        } else if (command.equals("finetune") && Boolean.parseBoolean(configuration.get("linear-probe"))) {
            arguments.put(SuncetBlockFactory.NETWORK, SuncetBlockFactory.LINEAR_PROBE);
        } else {
            arguments.put(SuncetBlockFactory.NETWORK, SuncetBlockFactory.FINE_TUNE);
        }
        boolean distill = command.equals("distill");
        arguments.put(SuncetBlockFactory.DEPTH, configuration.get(distill ? "student-depth" : "depth"));
        arguments.put(SuncetBlockFactory.WIDTH, configuration.get(distill ? "student-width" : "width"));
        arguments.put(SuncetBlockFactory.CIFAR_STEM, "true");
        arguments.put(SuncetBlockFactory.PROJECTION_HEAD, SuncetBlockFactory.SIMCLR_V1);
        if (arguments.get(SuncetBlockFactory.NETWORK).equals(SuncetBlockFactory.FINE_TUNE)) {
            arguments.put(SuncetBlockFactory.KEPT_HEAD_LAYERS, distill ? "0" : configuration.get("head-layers"));
        }
        if (!command.equals("pretrain")) {
            arguments.put(SuncetBlockFactory.NUM_CLASSES, Integer.toString(classes));
        }
        boolean folder = configuration.get("data").equals("image-folder");
        arguments.putAll(new ImagePreprocessing(channels, Math.toIntExact(shape[3]), Math.toIntExact(shape[2]), folder)
                .toArguments());
        return arguments;
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
