package org.suncet.examples.cli;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import picocli.CommandLine.Model.CommandSpec;
import org.suncet.examples.data.ImageData;
import org.suncet.examples.run.Checkpoint;
import org.suncet.examples.run.ModelDirectory;
import org.suncet.examples.run.TrainingState;
import org.suncet.train.ClassifierEvaluation;
import org.suncet.train.SoftNearestNeighbour;

/**
 * {@code suncet evaluate --from RUN_FOLDER}: loads the last checkpoint of a pretrain, finetune or
 * distill run and prints the test top-1 and top-5 accuracy of its classifier (finetune, distill)
 * and the soft-nearest-neighbour monitor (SuNCEt, Assran et al. 2020, arXiv 2006.10803): test
 * images classified by their encoder features against the labeled split's, τ = 0.1.
 *
 * <p>The network comes from the run's DJL model folder {@code model/} ({@link ModelDirectory}),
 * loaded through DJL's {@code Criteria} and {@link org.suncet.models.SuncetBlockFactory} as a user
 * would load it, when that folder holds the epoch of the run's checkpoint; otherwise (a run written
 * before model folders existed, or killed between writing the model and its checkpoint) from the
 * checkpoint, into the network the configuration describes. Either way the checkpoint is checked
 * first: a damaged one is refused with a one-line message naming it.
 *
 * <p>The test images are those of the run's pre-training run ({@link TrainingData}); for an image
 * folder pre-trained without {@code --test-folder} or {@code --holdout-fraction} they are the
 * training images, and the program says so.
 */
public final class Evaluate {

    /** The usage line. */
    public static final String USAGE = "suncet evaluate --from RUN_FOLDER [--skip-unreadable] [--device cpu|gpu[:N]]";

    private static final String HELP =
            "test images are those of the run's pre-training run; for an image folder pre-trained without"
                    + " --test-folder or --holdout-fraction, accuracy is measured on the training images";

    private Evaluate() {}

    /**
     * The subcommand's options for picocli ({@link Options#command}).
     *
     * @return a fresh specification
     */
    public static CommandSpec command() {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("from", "");
        defaults.put("device", DeviceOption.DEFAULT);
        return Options.command(USAGE, HELP, defaults, Set.of(TrainingData.SKIP_UNREADABLE));
    }

    /**
     * Runs the subcommand.
     *
     * @param args the flags
     * @return the exit code
     * @throws IOException if reading fails
     */
    public static int run(String[] args) throws IOException {
        Options options = Options.parse(command(), args);
        if (options.helpRequested()) {
            System.out.print(options.help());
            return 0;
        }
        ai.djl.Device device = options.device();
        if (!options.has("from")) {
            throw new IllegalArgumentException("--from RUN_FOLDER is required; usage: " + USAGE);
        }
        Map<String, String> configuration =
                TrainingRun.configurationOf("--from", options.text("from"), List.of("pretrain", "finetune", "distill"));
        ZooModel<NDList, NDList> model = null;
        try (NDManager manager = NDManager.newBaseManager(device)) {
            Map<String, String> dataConfiguration = new LinkedHashMap<>(configuration);
            // the labeled split, hold-out and subsets are the pre-training run's, drawn with its seed
            dataConfiguration.put("seed", TrainingRun.origin(configuration).get("seed"));
            TrainingRun.skipUnreadable(options, dataConfiguration);
            TrainingData data = TrainingData.load(dataConfiguration, manager);
            TrainingRun.reportUnreadable(dataConfiguration, data);
            int channels = Math.toIntExact(data.train().images().getShape().get(1));
            int classes = data.train().numClasses();
            Path run = Path.of(options.text("from"));
            Path checkpoint = Checkpoint.find(run).orElseThrow();
            TrainingState state = Checkpoint.readState(checkpoint);
            Optional<Path> modelFolder = ModelDirectory.find(run);
            OptionalInt modelEpoch = modelFolder.isPresent() ? ModelDirectory.epoch(modelFolder.get()) : OptionalInt.empty();
            boolean fromModel = modelEpoch.isPresent() && modelEpoch.getAsInt() == state.epochsCompleted();
            Block network;
            if (fromModel) {
                model = loadModel(modelFolder.get(), device);
                network = model.getBlock();
            } else {
                network = Networks.of(configuration, channels, classes);
                Checkpoint.load(checkpoint, network, manager);
            }
            System.out.printf("%s run %s after %d epochs, %d test images: %s%n", configuration.get("command"),
                    options.text("from"), state.epochsCompleted(), data.test().size(),
                    TrainingData.testSet(configuration));
            if (fromModel) {
                System.out.println("model " + modelFolder.get() + " loaded through DJL's Criteria");
            } else if (modelEpoch.isPresent()) {
                System.out.println("note: model " + modelFolder.get() + " holds epoch " + modelEpoch.getAsInt()
                        + ", the checkpoint epoch " + state.epochsCompleted() + "; evaluating the checkpoint");
            }
            TrainingRun.printNote(configuration);
            ClassifierEvaluation evaluation = ClassifierEvaluation.builder().optBatchSize(500).build();
            if (!configuration.get("command").equals("pretrain")) {
                NDArray labels = manager.create(data.test().labels());
                ClassifierEvaluation.Result result = evaluation.evaluate(network, data.test().images(), labels);
                System.out.printf("test top-1 %.4f%ntest top-5 %.4f%n", result.top1(), result.topK());
            }
            ImageData labeled = data.labeled(manager);
            Block encoder = Networks.encoder(network);
            NDArray trainFeatures = evaluation.extractFeatures(encoder, labeled.images());
            NDArray testFeatures = evaluation.extractFeatures(encoder, data.test().images());
            double monitor =
                    SoftNearestNeighbour.builder().setNumClasses(classes).build()
                            .accuracy(testFeatures, manager.create(data.test().labels()), trainFeatures, manager.create(labeled.labels()));
            System.out.printf("soft-nearest-neighbour top-1 %.4f (%d labeled images as support)%n", monitor, labeled.size());
        } finally {
            if (model != null) {
                model.close();
            }
        }
        return 0;
    }

    /**
     * Loads a run's model folder as a user would: {@code Criteria} with the folder as model path;
     * the engine, model name, block factory and its arguments come from its {@code
     * serving.properties}.
     */
    private static ZooModel<NDList, NDList> loadModel(Path folder, ai.djl.Device device) throws IOException {
        Criteria<NDList, NDList> criteria =
                Criteria.builder().setTypes(NDList.class, NDList.class).optModelPath(folder).optDevice(device).build();
        try {
            return criteria.loadModel();
        } catch (ModelNotFoundException | MalformedModelException e) {
            throw new IllegalArgumentException("model folder " + folder + " cannot be loaded: " + e.getMessage(), e);
        }
    }
}
