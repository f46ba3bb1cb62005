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
import org.suncet.examples.recipe.DistillationTraining;
import org.suncet.examples.run.Checkpoint;
import org.suncet.examples.run.ProgressBarTrainingListener;
import org.suncet.examples.run.TrainingState;
import org.suncet.train.NonFiniteTrainingException;

/**
 * {@code suncet distill --teacher FINETUNE_RUN}: SimCLRv2 self-distillation ({@link
 * DistillationTraining}) of the fine-tuned teacher into a smaller student (default: the teacher's
 * depth at half its width) on the unlabeled training images.
 *
 * <p>The training and test images are those of the teacher's pre-training run, loaded with that
 * run's seed (its hold-out and subsets). The {@code test_top1} column of {@code metrics.csv} is the
 * student's accuracy on them: on the training images for an image folder pre-trained without {@code
 * --test-folder} or {@code --holdout-fraction}, which the program prints and the run's configuration
 * records ({@code test-set}).
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
 * org.suncet.examples.run.ModelDirectory}, before the checkpoint): the student classifier, with the
 * class names, loadable with DJL's {@code Criteria} and {@code
 * org.suncet.models.translate.SuncetTranslatorFactory} without this program.
 */
public final class Distill {

    /** The usage line. */
    public static final String USAGE =
            "suncet distill --teacher FINETUNE_RUN_FOLDER [--depth D] [--width W] [--seed S] [--batch N] [--epochs E]"
                    + " [--lr BASE] --out RUN_FOLDER [--resume | --overwrite] [--skip-unreadable] [--device cpu|gpu[:N]]";

    private static final String HELP =
            "data and test images are those of the teacher's pre-training run; for an image folder pre-trained without"
                    + " --test-folder or --holdout-fraction, test accuracy is measured on the training images";

    private Distill() {}

    /**
     * The subcommand's options for picocli ({@link Options#command}).
     *
     * @return a fresh specification
     */
    public static CommandSpec command() {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("teacher", "");
        defaults.put("depth", "");
        defaults.put("width", "");
        defaults.put("seed", "");
        defaults.put("batch", "128");
        defaults.put("epochs", "30");
        defaults.put("lr", "0.075");
        defaults.put("out", "");
        defaults.put("device", DeviceOption.DEFAULT);
        return Options.command(USAGE, HELP, defaults, Set.of("resume", "overwrite", TrainingData.SKIP_UNREADABLE));
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
        if (!options.has("teacher")) {
            throw new IllegalArgumentException("--teacher FINETUNE_RUN_FOLDER is required; usage: " + USAGE);
        }
        Map<String, String> teacherRun = TrainingRun.configurationOf("--teacher", options.text("teacher"), List.of("finetune"));
        Map<String, String> configuration = new LinkedHashMap<>();
        configuration.put("command", "distill");
        configuration.put("teacher", Path.of(options.text("teacher")).toAbsolutePath().normalize().toString());
        TrainingRun.copyData(teacherRun, configuration);
        TrainingRun.skipUnreadable(options, configuration);
        configuration.put("student-depth",
                options.has("depth") ? Integer.toString(options.integer("depth", 18)) : teacherRun.get("depth"));
        configuration.put("student-width",
                options.has("width") ? Float.toString(options.positive("width"))
                        : Float.toString(Float.parseFloat(teacherRun.get("width")) / 2));
        OptionChecks.network(options.has("depth") ? "--depth" : "the teacher's depth",
                Integer.parseInt(configuration.get("student-depth")),
                options.has("width") ? "--width" : "half the teacher's width", Float.parseFloat(configuration.get("student-width")));
        configuration.put("seed", options.has("seed") ? Long.toString(options.longValue("seed")) : teacherRun.get("seed"));
        int epochs = options.integer("epochs", 1);
        int batch = options.integer("batch", 1);
        float rate = OptionChecks.learningRate(options, "lr");
        configuration.put("batch", Integer.toString(batch));
        configuration.put("epochs", Integer.toString(epochs));
        configuration.put("lr", Float.toString(rate));
        long seed = Long.parseLong(configuration.get("seed"));
        try (NDManager manager = NDManager.newBaseManager(device)) {
            // the images, hold-out and subsets are the pre-training run's, drawn with its seed
            Map<String, String> dataConfiguration = new LinkedHashMap<>(configuration);
            dataConfiguration.put("seed", TrainingRun.origin(teacherRun).get("seed"));
            TrainingData data = TrainingData.load(dataConfiguration, manager);
            TrainingRun.reportUnreadable(configuration, data);
            int channels = Math.toIntExact(data.train().images().getShape().get(1));
            int classes = data.train().numClasses();
            Block teacher = Networks.of(teacherRun, channels, classes);
            Checkpoint.load(Checkpoint.find(Path.of(options.text("teacher"))).orElseThrow(), teacher, manager);
            Block student = Networks.of(configuration, channels, classes);
            if (batch > data.train().size()) {
                throw new IllegalArgumentException("--batch " + batch + " exceeds the " + data.train().size() + " training images");
            }
            OptionChecks.totalSteps(epochs, data.train().size() / batch,
                    "--batch " + batch + " of " + data.train().size() + " training images");
            try (TrainingRun run =
                    TrainingRun.open(options, configuration, seed, List.of("epoch", "loss", "test_top1", "rows_forwarded"))) {
                run.exportModel(Networks.modelArguments(configuration, data), TrainingData.classNames(configuration));
                TrainingRun.printNote(configuration);
                TrainingState state = run.restore(student, manager);
                train(run, state, teacher, student, data, epochs, batch, rate, seed);
            }
        }
        return 0;
    }

    private static void train(TrainingRun run, TrainingState state, Block teacher, Block student, TrainingData data,
            int epochs, int batch, float rate, long seed) throws IOException {
        int stepsPerEpoch = data.train().size() / batch;
        ProgressBarTrainingListener progress = TrainingRun.progress(epochs, stepsPerEpoch);
        try (DistillationTraining training = new DistillationTraining(
                teacher, student, data.train(), epochs, batch, rate, seed, state.stepsCompleted(), List.of(progress))) {
            TrainingRun.attached(training.getTrainer(), training.getStepsPerEpoch(), stepsPerEpoch);
            training.getOptimizer().loadMomentumState(run.momentum());
            long rowsBefore = Long.parseLong(state.counters().get(TrainingRun.ROWS));
            long steps = state.stepsCompleted();
            for (int epoch = state.epochsCompleted(); epoch < epochs; epoch++) {
                Engine.getInstance().setRandomSeed((int) TrainingState.seedForEpoch(seed, epoch));
                progress.startEpoch(epoch); // the trainer's listener events draw the line
                double loss;
                try {
                    loss = training.runEpoch(epoch, null);
                } catch (NonFiniteTrainingException e) {
                    throw run.stopped(e);
                }
                double top1 = training.evaluate(data.test()).top1();
                System.out.printf("epoch %d: student %s top-1 %.4f%n", epoch + 1, data.heldOut() ? "test" : "training-image", top1);
                steps += training.getStepsPerEpoch();
                long rows = rowsBefore + training.getRowsForwarded();
                run.endEpoch(epoch, new Object[] {epoch, loss, top1, rows}, student, steps, rows,
                        training.getOptimizer().momentumState());
            }
        }
        System.out.println("distillation done; run folder " + run.target());
    }
}
