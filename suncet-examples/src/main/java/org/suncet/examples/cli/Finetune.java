package org.suncet.examples.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Model.CommandSpec;
import org.suncet.examples.data.ImageData;
import org.suncet.examples.recipe.SupervisedTraining;
import org.suncet.examples.run.Checkpoint;
import org.suncet.examples.run.ProgressBarTrainingListener;
import org.suncet.examples.run.TrainingState;
import org.suncet.train.NonFiniteTrainingException;
import org.suncet.models.ContrastiveModel;

/**
 * {@code suncet finetune --from PRETRAIN_RUN}: fine-tunes the pre-trained encoder (and the first
 * {@code --head-layers} k head layers: 0 for SimCLR v1, 1 for SimCLRv2) with a zero-initialised
 * linear classifier on the labeled split of the pre-training run, or trains a linear probe on the
 * frozen encoder ({@code --linear-probe}); Nesterov SGD, base rate 0.05·B/256, cosine decay (SimCLR
 * Appendix B.5). Data, split and model come from the pre-training run's configuration.
 *
 * <p>The {@code test_top1} column of {@code metrics.csv} is measured on the pre-training run's test
 * images ({@link TrainingData}): for an image folder pre-trained without {@code --test-folder} or
 * {@code --holdout-fraction} these are the training images, which the program prints and the run's
 * configuration records ({@code test-set}).
 *
 * <p>A step whose loss or gradients go non-finite stops the run at once, before it updates anything
 * or writes its epoch: one line {@code error: non-finite ... at epoch E step S of N; ...} naming
 * the last good checkpoint, exit code 2.
 *
 * <p>Every option, the data and what derives from them are checked before the run folder is
 * touched, each refusal one line naming the option; a new or {@code --overwrite} run replaces {@code
 * --out} only once its first checkpoint is written, and a failed {@code --resume} changes no file
 * ({@code TrainingRun}).
 *
 * <p>Every epoch also writes the run's DJL model folder {@code model/} ({@link
 * org.suncet.examples.run.ModelDirectory}, before the checkpoint): the classifier, with the class
 * names, loadable with DJL's {@code Criteria} and {@code
 * org.suncet.models.translate.SuncetTranslatorFactory} without this program.
 */
public final class Finetune {

    /** The usage line. */
    public static final String USAGE =
            "suncet finetune --from PRETRAIN_RUN_FOLDER [--head-layers k] [--linear-probe] [--seed S] [--batch B]"
                    + " [--epochs E] [--lr BASE] --out RUN_FOLDER [--resume | --overwrite] [--skip-unreadable] [--device cpu|gpu[:N]]";

    private static final String HELP =
            "data, labeled split and test images are the pre-training run's; for an image folder pre-trained without"
                    + " --test-folder or --holdout-fraction, test accuracy is measured on the training images";

    private Finetune() {}

    /**
     * The subcommand's options for picocli ({@link Options#command}).
     *
     * @return a fresh specification
     */
    public static CommandSpec command() {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("from", "");
        defaults.put("head-layers", "0");
        defaults.put("seed", "");
        defaults.put("batch", "64");
        defaults.put("epochs", "30");
        defaults.put("lr", "0.05");
        defaults.put("out", "");
        defaults.put("device", DeviceOption.DEFAULT);
        return Options.command(USAGE, HELP, defaults, Set.of("linear-probe", "resume", "overwrite", TrainingData.SKIP_UNREADABLE));
    }

    /**
     * Runs the subcommand.
     *
     * @param args the flags
     * @return the exit code
     * @throws IOException if reading or writing fails
     */
    public static int run(String[] args) throws IOException {
        Options options = Options.parse(command(), args);
        if (options.helpRequested()) {
            System.out.print(options.help());
            return 0;
        }
        TrainingRun.checkOut(options);
        ai.djl.Device device = options.device();
        if (!options.has("from")) {
            throw new IllegalArgumentException("--from PRETRAIN_RUN_FOLDER is required; usage: " + USAGE);
        }
        Map<String, String> pretrain = TrainingRun.configurationOf("--from", options.text("from"), List.of("pretrain"));
        int epochs = options.integer("epochs", 1);
        int batch = options.integer("batch", 1);
        float rate = OptionChecks.learningRate(options, "lr");
        int headLayers = options.integer("head-layers", 0);
        Map<String, String> configuration = new LinkedHashMap<>();
        configuration.put("command", "finetune");
        configuration.put("from", Path.of(options.text("from")).toAbsolutePath().normalize().toString());
        TrainingRun.copyData(pretrain, configuration);
        TrainingRun.skipUnreadable(options, configuration);
        configuration.put("depth", pretrain.get("depth"));
        configuration.put("width", pretrain.get("width"));
        configuration.put("seed", options.has("seed") ? Long.toString(options.longValue("seed")) : pretrain.get("seed"));
        configuration.put("head-layers", Integer.toString(headLayers));
        configuration.put("linear-probe", Boolean.toString(options.on("linear-probe")));
        configuration.put("batch", Integer.toString(batch));
        configuration.put("epochs", Integer.toString(epochs));
        configuration.put("lr", Float.toString(rate));
        long seed = Long.parseLong(configuration.get("seed"));
        try (NDManager manager = NDManager.newBaseManager(device)) {
            // the split is the pre-training run's: it was drawn with that run's seed
            Map<String, String> dataConfiguration = new LinkedHashMap<>(configuration);
            dataConfiguration.put("seed", pretrain.get("seed"));
            TrainingData data = TrainingData.load(dataConfiguration, manager);
            TrainingRun.reportUnreadable(configuration, data);
            ImageData labeled = data.labeled(manager);
            int channels = Math.toIntExact(data.train().images().getShape().get(1));
            ContrastiveModel network =
                    Networks.contrastive(Integer.parseInt(pretrain.get("depth")), Float.parseFloat(pretrain.get("width")), channels);
            int headDepth = network.getHead().getNumLayers();
            if (!options.on("linear-probe") && headLayers > headDepth) {
                throw new IllegalArgumentException("--head-layers must be in [0, " + headDepth + "] (the layers of the"
                        + " pre-trained projection head), got " + headLayers);
            }
            Block classifier = Networks.classifier(network, configuration, data.train().numClasses());
            if (batch > labeled.size()) {
                throw new IllegalArgumentException("--batch " + batch + " exceeds the " + labeled.size() + " labeled images");
            }
            OptionChecks.totalSteps(epochs, labeled.size() / batch, "--batch " + batch + " of " + labeled.size() + " labeled images");
            Path pretrained = Checkpoint.find(Path.of(options.text("from"))).orElseThrow();
            boolean loaded = !options.on("resume");
            if (loaded) {
                // before the run folder is opened: a damaged checkpoint must not cost an --overwrite'd run
                Checkpoint.load(pretrained, network, manager);
            }
            try (TrainingRun run = TrainingRun.open(options, configuration, seed,
                    List.of("epoch", "loss", "train_accuracy", "test_top1", "rows_forwarded"))) {
                run.exportModel(Networks.modelArguments(configuration, data), TrainingData.classNames(configuration));
                TrainingRun.printNote(configuration);
                TrainingState state = run.restore(classifier, manager);
                if (!loaded && state.epochsCompleted() == 0 && state.stepsCompleted() == 0) {
                    Checkpoint.load(pretrained, network, manager);
                }
                train(run, state, classifier, labeled, data, epochs, batch, rate, seed);
            }
        }
        return 0;
    }

    private static void train(TrainingRun run, TrainingState state, Block classifier, ImageData labeled, TrainingData data,
            int epochs, int batch, float rate, long seed) throws IOException {
        int stepsPerEpoch = labeled.size() / batch;
        ProgressBarTrainingListener progress = TrainingRun.progress(epochs, stepsPerEpoch);
        try (SupervisedTraining training =
                new SupervisedTraining(classifier, labeled, epochs, batch, rate, seed, state.stepsCompleted(),
                        SupervisedTraining.cropAndFlip(labeled, seed), List.of(progress))) {
            TrainingRun.attached(training.getTrainer(), training.getStepsPerEpoch(), stepsPerEpoch);
            training.getOptimizer().loadMomentumState(run.momentum());
            long rowsBefore = Long.parseLong(state.counters().get(TrainingRun.ROWS));
            long steps = state.stepsCompleted();
            for (int epoch = state.epochsCompleted(); epoch < epochs; epoch++) {
                Engine.getInstance().setRandomSeed((int) TrainingState.seedForEpoch(seed, epoch));
                progress.startEpoch(epoch); // the trainer's listener events draw the line
                double[] result;
                try {
                    result = training.runEpoch(epoch);
                } catch (NonFiniteTrainingException e) {
                    throw run.stopped(e);
                }
                double top1 = training.evaluate(data.test()).top1();
                System.out.printf("epoch %d: %s top-1 %.4f%n", epoch + 1, data.heldOut() ? "test" : "training-image", top1);
                steps += training.getStepsPerEpoch();
                long rows = rowsBefore + training.getRowsForwarded();
                run.endEpoch(epoch, new Object[] {epoch, result[0], result[1], top1, rows}, classifier, steps, rows,
                        training.getOptimizer().momentumState());
            }
        }
        System.out.println("fine-tuning done; run folder " + run.target());
    }
}
