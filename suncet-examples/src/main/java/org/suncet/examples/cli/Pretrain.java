package org.suncet.examples.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Model.CommandSpec;
import org.suncet.examples.data.DebianFashionMnist;
import org.suncet.examples.recipe.ContrastivePretraining;
import org.suncet.examples.recipe.PretrainConfig;
import org.suncet.examples.recipe.SupportView;
import org.suncet.examples.run.ProgressBarTrainingListener;
import org.suncet.examples.run.TestHooks;
import org.suncet.examples.run.TrainingState;
import org.suncet.train.NonFiniteTrainingException;
import org.suncet.train.PretrainingStep;

/**
 * {@code suncet pretrain}: SimCLR or SimCLR + SuNCEt pre-training ({@link ContrastivePretraining})
 * into a run folder, one checkpoint per epoch, resumable. Defaults follow SPEC §2–§6 scaled to a
 * CPU: ResNet-18 at width 1/8 with the CIFAR stem, n = 128, C = 10 × K = 2, τ = 0.5 (SimCLR, small
 * images) and 0.1 (SuNCEt), LARS base 0.075·√n (SimCLRv2), 10 % labels.
 *
 * <p>Data ({@link TrainingData}): {@code fashion-mnist} and {@code cifar10} bring their official test
 * splits; {@code image-folder PATH} takes its test images from {@code --test-folder PATH} or a seeded
 * class-stratified {@code --holdout-fraction F}, and without either measures accuracy on the training
 * images, which the program prints and records as {@code test-set} in the run's configuration. The
 * fine-tuning, distillation and evaluation runs built on this one use the same data and test images.
 *
 * <p>{@code metrics.csv} holds, per epoch, the loss, the rows forwarded and each term's value and
 * gradient norm ({@link #COLUMNS}).
 *
 * <p>A step whose objective or gradients go non-finite stops the run at once, before it updates
 * anything or writes its epoch: one line {@code error: non-finite ... at epoch E step S of N; ...}
 * naming the last good checkpoint, exit code 2.
 *
 * <p>Every option, the data and what derives from them are checked before the run folder is
 * touched, each refusal one line naming the option; a new or {@code --overwrite} run replaces {@code
 * --out} only once its first checkpoint is written, and a failed {@code --resume} changes no file
 * ({@code TrainingRun}).
 *
 * <p>Every epoch also writes the run's DJL model folder {@code model/} ({@link
 * org.suncet.examples.run.ModelDirectory}, before the checkpoint): the pre-trained network (encoder
 * features h, projection z), loadable with DJL's {@code Criteria} and {@code
 * org.suncet.models.translate.SuncetTranslatorFactory} without this program.
 */
public final class Pretrain {

    /** The usage line. */
    public static final String USAGE =
            "suncet pretrain [--data fashion-mnist|image-folder PATH|cifar10] [--data-dir DIR]"
                    + " [--test-folder PATH | --holdout-fraction F] [--method simclr|suncet]"
                    + " [--label-fraction F] [--seed S] [--depth D] [--width W] [--batch N] [--epochs E]"
                    + " [--temperature T] [--suncet-temperature T] [--lr BASE] [--classes-per-step C]"
                    + " [--images-per-class K] [--support-augmentation none|crop-flip|simclr] [--suncet-epochs E]"
                    + " [--train-images N] [--test-images N] [--image-size S]"
                    + " [--skip-unreadable] --out RUN_FOLDER [--resume | --overwrite] [--device cpu|gpu[:N]]";

    /**
     * The columns of {@code metrics.csv}, one row per epoch, each term a mean over the epoch's steps
     * ({@link PretrainingStep.Terms}): {@code ntxent} and {@code suncet} (without λ; NaN while SuNCEt
     * is off or for SimCLR) are the two terms, {@code lambda} the weight applied, {@code
     * ntxent_grad_norm} = ‖∂L_ntxent/∂z‖ and {@code suncet_grad_norm} = ‖λ·∂L_suncet/∂z‖ (Frobenius,
     * over the rows each term sees) what a user tuning λ compares, and {@code feature_norm} the mean
     * ‖h‖ of the encoder features.
     */
    public static final List<String> COLUMNS =
            List.of(
                    "epoch", "loss", "rows_forwarded", "ntxent", "suncet", "lambda",
                    "ntxent_grad_norm", "suncet_grad_norm", "feature_norm");

    private Pretrain() {}

    static Map<String, String> dataDefaults() {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("data", "fashion-mnist");
        defaults.put("image-folder", "");
        defaults.put("data-dir", DebianFashionMnist.DEFAULT_FOLDER.toString());
        defaults.put("image-size", "32");
        defaults.put("test-folder", "");
        defaults.put("holdout-fraction", "");
        defaults.put("train-images", "0");
        defaults.put("test-images", "0");
        defaults.put("label-fraction", "0.1");
        defaults.put("seed", "0");
        return defaults;
    }

    /**
     * The subcommand's options for picocli ({@link Options#command}).
     *
     * @return a fresh specification
     */
    public static CommandSpec command() {
        Map<String, String> defaults = dataDefaults();
        defaults.put("method", "suncet");
        defaults.put("depth", "18");
        defaults.put("width", "0.125");
        defaults.put("batch", "128");
        defaults.put("epochs", "100");
        defaults.put("temperature", "0.1");
        defaults.put("suncet-temperature", "0.1");
        defaults.put("lr", "0.075");
        defaults.put("classes-per-step", "10");
        defaults.put("images-per-class", "2");
        defaults.put("support-augmentation", "none");
        defaults.put("suncet-epochs", "");
        defaults.put("out", "");
        defaults.put("device", DeviceOption.DEFAULT);
        return Options.command(USAGE, "SimCLR or SimCLR + SuNCEt pre-training into a run folder, resumable.\n"
                + TrainingData.HELP.stripTrailing(), defaults, Set.of("resume", "overwrite", TrainingData.SKIP_UNREADABLE));
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
        TrainingData.check(options);
        String method = options.text("method");
        if (!method.equals("simclr") && !method.equals("suncet")) {
            throw new IllegalArgumentException("--method must be simclr or suncet, got '" + method + "'");
        }
        int epochs = options.integer("epochs", 1);
        long seed = options.longValue("seed");
        int depth = options.integer("depth", 18);
        float width = options.positive("width");
        OptionChecks.network("--depth", depth, "--width", width);
        PretrainConfig config =
                new PretrainConfig(
                        method.equals("suncet"), epochs, options.integer("batch", 2),
                        options.integer("classes-per-step", 1), options.integer("images-per-class", 2),
                        options.positive("temperature"), options.positive("suncet-temperature"), 1f,
                        suncetEpochs(options, epochs), OptionChecks.learningRate(options, "lr"), 1e-6f, 0.1f,
                        depth, width, seed, 0).withSupportView(supportView(options));
        Map<String, String> configuration = new LinkedHashMap<>(options.values());
        configuration.remove("out");
        configuration.remove("device"); // where a run computes is not part of what it computes
        configuration.put("command", "pretrain");
        configuration.put("test-set", TrainingData.testSet(configuration));
        TrainingRun.skipUnreadable(options, configuration);
        try (NDManager manager = NDManager.newBaseManager(device)) {
            TrainingData data = TrainingData.load(configuration, manager);
            TrainingRun.reportUnreadable(configuration, data);
            if (config.suncet() && config.classesPerStep() > data.train().numClasses()) {
                throw new IllegalArgumentException(
                        "--classes-per-step " + config.classesPerStep() + " is larger than the "
                                + data.train().numClasses() + " classes of " + options.text("data"));
            }
            if (config.unlabeledImages() > data.train().size()) {
                throw new IllegalArgumentException(
                        "--batch " + config.unlabeledImages() + " exceeds the " + data.train().size() + " training images");
            }
            if (config.suncet()) {
                OptionChecks.supportSampler(config.classesPerStep(), config.imagesPerClass(), data.split(),
                        TrainingData.classNames(configuration), options.text("data"));
            }
            OptionChecks.totalSteps(epochs, data.train().size() / config.unlabeledImages(),
                    "--batch " + config.unlabeledImages() + " of " + data.train().size() + " training images");
            // everything is checked: only now is the run folder touched
            try (TrainingRun run = TrainingRun.open(options, configuration, seed, COLUMNS)) {
                train(run, config, data, configuration, manager);
            }
        }
        return 0;
    }

    private static void train(TrainingRun run, PretrainConfig config, TrainingData data, Map<String, String> configuration,
            NDManager manager) throws IOException {
        int epochs = config.epochs();
        long seed = config.seed();
        run.exportModel(Networks.modelArguments(configuration, data), null);
        TrainingRun.printNote(configuration);
        TrainingState[] state = new TrainingState[1];
        // the recipe's steps per epoch with stepsPerEpoch 0: every whole batch of the training images
        int stepsPerEpoch = data.train().size() / config.unlabeledImages();
        ProgressBarTrainingListener progress = TrainingRun.progress(epochs, stepsPerEpoch);
        try (ContrastivePretraining training =
                new ContrastivePretraining(config, data.train(), data.split(), network -> {
                    try {
                        state[0] = run.restore(network, manager);
                        return state[0].stepsCompleted();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }, List.of(progress))) {
            TrainingRun.attached(training.getTrainer(), training.getStepsPerEpoch(), stepsPerEpoch);
            Path labeled = run.folder().resolve("labeled-indices.txt");
            if (!Files.exists(labeled)) {
                run.writing(labeled, () -> data.split().write(labeled));
            }
            training.getOptimizer().loadMomentumState(run.momentum());
            long rowsBefore = Long.parseLong(state[0].counters().get(TrainingRun.ROWS));
            long steps = state[0].stepsCompleted();
            for (int epoch = state[0].epochsCompleted(); epoch < epochs; epoch++) {
                Engine.getInstance().setRandomSeed((int) TrainingState.seedForEpoch(seed, epoch));
                // the trainer's listener events draw the progress line (a step that fails leaves its
                // epoch's line open; closing the recipe prints it); the callback only runs the hook
                progress.startEpoch(epoch);
                double loss;
                try {
                    loss = training.runEpoch(epoch, (e, step, epochSteps, meanLoss, rows) -> TestHooks.afterStep(e, step));
                } catch (NonFiniteTrainingException e) {
                    throw run.stopped(e);
                }
                steps += training.getStepsPerEpoch();
                long rows = rowsBefore + training.getRowsForwarded();
                PretrainingStep.Terms terms = training.getEpochTerms();
                Object[] row = {
                    epoch, loss, rows, terms.ntXent(), terms.suncet(), terms.supervisedWeight(),
                    terms.ntXentGradientNorm(), terms.suncetGradientNorm(), terms.meanFeatureNorm()
                };
                run.endEpoch(epoch, row, training.getNetwork(), steps, rows,
                        training.getOptimizer().momentumState());
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        System.out.println("pre-training done; run folder " + run.target());
    }

    /** {@code --support-augmentation}, named in the refusal of any other value. */
    private static SupportView supportView(Options options) {
        try {
            return SupportView.parse(options.text("support-augmentation"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--support-augmentation must be none, crop-flip or simclr, got '"
                    + options.text("support-augmentation") + "'", e);
        }
    }

    /** {@code --suncet-epochs}: SuNCEt is on for epochs 0 .. E − 1; empty (the default) for all of them. */
    private static int suncetEpochs(Options options, int epochs) {
        if (options.text("suncet-epochs").isEmpty()) {
            return epochs;
        }
        int suncetEpochs = options.integer("suncet-epochs", 1);
        if (suncetEpochs > epochs) {
            throw new IllegalArgumentException("--suncet-epochs must be in [1, --epochs " + epochs + "], got " + suncetEpochs);
        }
        return suncetEpochs;
    }
}
