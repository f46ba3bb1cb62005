package org.suncet.examples.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.Trainer;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.suncet.examples.run.Checkpoint;
import org.suncet.examples.run.LinePlot;
import org.suncet.examples.run.MetricsCsv;
import org.suncet.examples.run.ModelDirectory;
import org.suncet.examples.run.ProgressBar;
import org.suncet.examples.run.ProgressBarTrainingListener;
import org.suncet.examples.run.RunFolder;
import org.suncet.examples.run.RunWriteException;
import org.suncet.examples.run.StagedRunFolder;
import org.suncet.examples.run.TrainingState;
import org.suncet.train.NonFiniteTrainingException;

/**
 * The bookkeeping around a training subcommand's epoch loop, in the order the {@code run} package
 * prescribes: open the run folder (fresh, {@code --resume} or {@code --overwrite}) through a {@link
 * StagedRunFolder}; on resume load the last {@link Checkpoint} before anything is written, then
 * record the resume and cut {@code metrics.csv} back to it; after each epoch append the metrics row,
 * redraw the PNG curves ({@code <column>.png} against the epoch), write the DJL model folder {@code
 * model/} ({@link ModelDirectory}; a run that called {@link #exportModel}) and save the checkpoint
 * last, with the optimizer's momentum as named arrays {@code momentum/<parameter>} and the rows
 * forwarded as a counter. A step that goes non-finite ends the run before anything of its epoch is
 * written ({@link #stopped}).
 *
 * <p><b>Nothing lost by a failed command.</b> A command calls {@link #open} only once every option,
 * the data and the settings derived from them have been checked. A fresh or overwritten run is
 * built in a hidden sibling folder and becomes {@code --out} when its first checkpoint is written;
 * a command that fails (or is killed) before then leaves {@code --out} as it was, an earlier run in
 * it included, and {@link #close()} deletes what it built. A resume changes no file until its
 * checkpoint has loaded. A file that cannot be written (a full disk) ends the command with a
 * {@link RunWriteException} naming the file and the last complete checkpoint, which {@code
 * --resume} continues from.
 *
 * <p>The model folder is written before the checkpoint: a run killed between the two has a model
 * one epoch ahead of its checkpoint (both whole), and {@code --resume} rewrites it with the same
 * bytes when it redoes that epoch; {@code evaluate} then reads the checkpoint's epoch and falls back
 * to the checkpoint.
 */
final class TrainingRun implements AutoCloseable {

    static final String ROWS = "rowsForwarded";
    private static final String MOMENTUM = "momentum/";

    /** A write of one of the run's files. */
    @FunctionalInterface
    interface Write {
        void run() throws IOException;
    }

    private final StagedRunFolder folder;
    private final List<String> columns;
    private final long seed;
    private MetricsCsv metrics;
    private TrainingState state;
    /** The epochs the last complete checkpoint of the run holds (0: none yet). */
    private int savedEpochs;
    private Map<String, String> modelArguments;
    private List<String> classNames;

    private TrainingRun(StagedRunFolder folder, List<String> columns, long seed) {
        this.folder = folder;
        this.columns = columns;
        this.seed = seed;
    }

    /**
     * Checks {@code --out}, {@code --resume} and {@code --overwrite} without touching anything: the
     * first thing a training command does after parsing.
     */
    static void checkOut(Options options) {
        if (!options.has("out")) {
            throw new IllegalArgumentException("--out RUN_FOLDER is required; usage: " + options.usage());
        }
        if (options.on("resume") && options.on("overwrite")) {
            throw new IllegalArgumentException("--resume and --overwrite exclude each other");
        }
    }

    /**
     * Opens the run folder {@code --out} names; call it once everything else is checked.
     *
     * @throws IllegalArgumentException if the folder does not fit the mode or cannot be written
     */
    static TrainingRun open(Options options, Map<String, String> configuration, long seed, List<String> columns)
            throws IOException {
        checkOut(options);
        RunFolder.Mode mode =
                options.on("resume") ? RunFolder.Mode.RESUME : options.on("overwrite") ? RunFolder.Mode.OVERWRITE : RunFolder.Mode.FRESH;
        Path out = Path.of(options.text("out"));
        StagedRunFolder folder;
        try {
            folder = StagedRunFolder.open(out, mode, configuration, Map.of("run", seed));
        } catch (FileSystemException e) {
            throw new IllegalArgumentException("cannot write run folder " + out + ": " + reason(e), e);
        } catch (IOException e) {
            throw new RunWriteException("cannot write run folder " + out + ": " + describe(e) + "; nothing was saved and "
                    + out + " is as it was", e);
        }
        folder.notes().forEach(note -> System.out.println("note: " + note));
        folder.run().versionChanges().forEach(change -> System.out.println("note: version changed since the run began: " + change));
        return new TrainingRun(folder, columns, seed);
    }

    /** What an IOException says, in a few words. */
    static String describe(IOException e) {
        if (e instanceof FileSystemException fileSystem) {
            return reason(fileSystem);
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /**
     * What went wrong with a file operation, in a few words, naming the path it failed on when that
     * is not the run folder itself.
     */
    static String reason(FileSystemException e) {
        String what = e.getReason() != null ? e.getReason()
                : e instanceof AccessDeniedException ? "permission denied"
                : e instanceof FileAlreadyExistsException ? "a file is in the way"
                : e instanceof NotDirectoryException ? "not a folder"
                : e instanceof NoSuchFileException ? "no such file or folder"
                : e.getClass().getSimpleName();
        return e.getFile() == null ? what : what + " (" + e.getFile() + ")";
    }

    /**
     * Records {@code --skip-unreadable} in a run's configuration: {@link TrainingData#SKIP_UNREADABLE}
     * {@code true} when given here or by the run this one is built on (already in {@code
     * configuration}), absent otherwise, as in runs made before the flag.
     */
    static void skipUnreadable(Options options, Map<String, String> configuration) {
        if (options.on(TrainingData.SKIP_UNREADABLE)) {
            configuration.put(TrainingData.SKIP_UNREADABLE, "true");
        }
    }

    /**
     * Prints {@code skipped N unreadable images: first FILE} when images were skipped, and records
     * the count under {@link TrainingData#UNREADABLE_IMAGES} in a run that skips them.
     */
    static void reportUnreadable(Map<String, String> configuration, TrainingData data) {
        if (!data.unreadable().isEmpty()) {
            System.out.println("skipped " + data.unreadable().size() + " unreadable images: first " + data.unreadable().get(0));
        }
        if ("true".equals(configuration.get(TrainingData.SKIP_UNREADABLE))) {
            configuration.put(TrainingData.UNREADABLE_IMAGES, Integer.toString(data.unreadable().size()));
        }
    }

    /**
     * Loads the last checkpoint into {@code block} when resuming one, records the resume, and opens
     * the metrics.
     *
     * @return where the run stands (epoch 0 for a fresh run)
     */
    TrainingState restore(Block block, NDManager manager) throws IOException {
        Optional<Path> checkpoint = folder.isResumed() ? Checkpoint.find(folder.target()) : Optional.empty();
        Map<String, NDArray> momentum = new TreeMap<>();
        if (checkpoint.isPresent()) {
            Checkpoint.Restored restored = Checkpoint.load(checkpoint.get(), block, manager);
            state = restored.state();
            restored.arrays().forEach((name, array) -> {
                if (name.startsWith(MOMENTUM)) {
                    momentum.put(name.substring(MOMENTUM.length()), array);
                }
            });
            System.out.println("resuming " + folder.target() + " after epoch " + state.epochsCompleted());
        } else {
            state = new TrainingState(0, 0, seed, Map.of(ROWS, "0"));
        }
        savedEpochs = state.epochsCompleted();
        this.momentum = momentum;
        Path file = folder.folder().resolve("metrics.csv");
        if (folder.isResumed()) {
            writing(folder.target().resolve(RunFolder.RUN_FILE), folder::commit);
            writing(file, () -> metrics = MetricsCsv.resume(file, columns, state.epochsCompleted() - 1L));
        } else {
            writing(file, () -> metrics = MetricsCsv.create(file, columns));
        }
        return state;
    }

    private Map<String, NDArray> momentum = Map.of();

    /** The momentum buffers the checkpoint held, by parameter name (empty for a fresh run). */
    Map<String, NDArray> momentum() {
        return momentum;
    }

    /** The most values DJL's metrics keep per name in a command's trainer (then it starts over). */
    static final int METRICS_KEPT = 10_000;

    /**
     * The command's progress line on standard output, as a DJL training listener: give it to the
     * recipe's constructor, call {@code startEpoch} before each epoch, and the trainer's events draw
     * it ({@link ProgressBarTrainingListener}).
     *
     * @param epochs the run's epochs
     * @param steps the steps of an epoch, as the recipe will have them
     * @return the listener
     */
    static ProgressBarTrainingListener progress(int epochs, long steps) {
        return new ProgressBarTrainingListener(
                ProgressBar.builder()
                        .setOutput(System.out)
                        .setEpochs(epochs)
                        .setStepsPerEpoch(steps)
                        .optInteractive(ProgressBar.isTerminal())
                        .build());
    }

    /**
     * Checks that a recipe built with the {@link #progress} listener has the steps per epoch the bar
     * was built with, and bounds the DJL metrics its trainer records for the listeners (every step
     * adds its loss and phase timings; a long run would otherwise keep them all): each name keeps at
     * most {@value #METRICS_KEPT} values, the latest always among them.
     */
    static void attached(Trainer trainer, long stepsPerEpoch, long barSteps) {
        if (stepsPerEpoch != barSteps) {
            throw new IllegalStateException(
                    "the progress bar counts " + barSteps + " steps an epoch, the recipe " + stepsPerEpoch);
        }
        trainer.getMetrics().setLimit(METRICS_KEPT);
    }

    /**
     * Makes every {@link #endEpoch} write the run's DJL model folder ({@link ModelDirectory}).
     *
     * @param arguments the network's {@code serving.properties} arguments ({@link
     *     Networks#modelArguments})
     * @param classes the class names in label order for a classifier, null for a pre-trained model
     */
    void exportModel(Map<String, String> arguments, List<String> classes) {
        this.modelArguments = new LinkedHashMap<>(arguments);
        this.classNames = classes == null ? null : List.copyOf(classes);
    }

    /**
     * Appends the epoch's row, redraws the plots, writes the model folder, then saves the checkpoint;
     * the first checkpoint of a fresh or overwritten run then makes the run {@code --out}'s.
     */
    void endEpoch(int epoch, Object[] row, Block block, long steps, long rows, Map<String, NDArray> optimizerMomentum)
            throws IOException {
        writing(metrics.file(), () -> metrics.append(row));
        double[] epochs = metrics.column(columns.get(0));
        for (int c = 1; c < columns.size(); c++) {
            String column = columns.get(c);
            double[] values = metrics.column(column);
            if (column.equals("rows_forwarded") || java.util.Arrays.stream(values).noneMatch(Double::isFinite)) {
                continue; // a column with no finite value yet (suncet in a SimCLR run) has no plot
            }
            Path plot = folder().resolve(column + ".png");
            writing(plot, () -> LinePlot.builder()
                    .setTitle(column.replace('_', ' ') + " per epoch")
                    .optAxisLabels("epoch", column)
                    .addSeries(column, epochs, values)
                    .build()
                    .write(plot));
        }
        Map<String, NDArray> arrays = new TreeMap<>();
        optimizerMomentum.forEach((name, array) -> arrays.put(MOMENTUM + name, array));
        state = new TrainingState(epoch + 1, steps, seed, Map.of(ROWS, Long.toString(rows)));
        if (modelArguments != null) {
            writing(folder().resolve(ModelDirectory.FOLDER),
                    () -> ModelDirectory.write(folder(), block, epoch + 1, modelArguments, classNames));
        }
        writing(folder().resolve(Checkpoint.FILE_NAME), () -> Checkpoint.save(folder(), block, state, arrays));
        savedEpochs = epoch + 1;
        if (!folder.isCommitted()) {
            try {
                folder.commit();
            } catch (IOException e) {
                throw new RunWriteException("could not move the new run from " + folder.folder() + " into " + folder.target()
                        + ": " + describe(e) + "; " + folder.target() + " is as it was before the command", e);
            }
            Path file = folder().resolve("metrics.csv");
            writing(file, () -> metrics = MetricsCsv.resume(file, columns, epoch)); // the same rows, now in --out
        }
    }

    /** The folder the run's files go to now (a fresh run's staging folder until its first checkpoint). */
    Path folder() {
        return folder.folder();
    }

    /** The run folder {@code --out} names. */
    Path target() {
        return folder.target();
    }

    /**
     * Runs one write of the run's {@code file}; an IOException becomes a {@link RunWriteException}
     * naming the file and what the run kept ({@link #kept}).
     */
    void writing(Path file, Write write) throws IOException {
        try {
            write.run();
        } catch (RunWriteException e) {
            throw e;
        } catch (IOException e) {
            throw new RunWriteException("could not write " + file + ": " + describe(e) + "; " + kept(), e);
        }
    }

    /**
     * What the run kept when it stopped early: its last complete checkpoint (named, with its epoch)
     * that {@code --resume} continues from, or that nothing was saved and {@code --out} is as it was.
     */
    private String kept() {
        if (savedEpochs > 0 && (folder.isCommitted() || folder.isResumed())) {
            return "the last complete checkpoint " + folder.target().resolve(Checkpoint.FILE_NAME) + " (after epoch "
                    + savedEpochs + ") is intact: free some space (or fix the cause) and continue the run with --resume";
        }
        return "nothing was saved: the run has no checkpoint yet, and " + folder.target() + " is as it was before the command";
    }

    /**
     * Adds to the exception of a step whose loss or gradients went non-finite what the run kept: the
     * step updated nothing and its epoch saved nothing, so the last checkpoint (named, with its
     * epoch) is intact and {@code --resume} continues from it.
     */
    NonFiniteTrainingException stopped(NonFiniteTrainingException e) {
        if (savedEpochs > 0) {
            return e.withContext("; nothing of epoch " + (savedEpochs + 1)
                    + " was saved: the last good checkpoint " + folder.target().resolve(Checkpoint.FILE_NAME)
                    + " (after epoch " + savedEpochs + ") is intact, resume from it with --resume");
        }
        return e.withContext("; " + kept());
    }

    /**
     * Deletes what a fresh or overwritten run built if it ended before its first checkpoint: {@code
     * --out} is then as it was before the command.
     */
    @Override
    public void close() throws IOException {
        folder.close();
    }

    /** The resolved configuration of an earlier run, checked to be of one of {@code commands}. */
    static Map<String, String> configurationOf(String flag, String path, List<String> commands) throws IOException {
        Path run = Path.of(path);
        if (!RunFolder.holdsRun(run)) {
            throw new IllegalArgumentException(flag + " " + run + " holds no run (no " + RunFolder.RUN_FILE + ")");
        }
        java.util.Properties properties = new java.util.Properties();
        try (java.io.Reader reader = java.nio.file.Files.newBufferedReader(run.resolve(RunFolder.CONFIGURATION_FILE))) {
            properties.load(reader);
        }
        Map<String, String> configuration = new TreeMap<>();
        properties.forEach((key, value) -> configuration.put(key.toString(), value.toString()));
        if (!commands.contains(configuration.get("command"))) {
            throw new IllegalArgumentException(
                    flag + " " + run + " holds a " + configuration.get("command") + " run; expected " + String.join(" or ", commands));
        }
        if (Checkpoint.find(run).isEmpty()) {
            throw new IllegalArgumentException(flag + " " + run + " has no checkpoint yet");
        }
        return configuration;
    }

    /** The data keys a run passes on to the runs built from it. */
    static final List<String> DATA_KEYS = List.of("data", "image-folder", "data-dir", "image-size", "test-folder",
            "holdout-fraction", "train-images", "test-images", "label-fraction");

    /**
     * Copies the {@link #DATA_KEYS} of an earlier run into {@code configuration} ("" for a key the
     * earlier run predates) and records its {@code test-set}.
     */
    static void copyData(Map<String, String> from, Map<String, String> configuration) {
        for (String key : DATA_KEYS) {
            configuration.put(key, from.getOrDefault(key, ""));
        }
        configuration.put("test-set", TrainingData.testSet(configuration));
        if ("true".equals(from.get(TrainingData.SKIP_UNREADABLE))) {
            configuration.put(TrainingData.SKIP_UNREADABLE, "true");
        }
    }

    /**
     * The pre-training run a run descends from ({@code distill --teacher} to {@code finetune --from}
     * to {@code pretrain}): its seed drew the labeled split, the hold-out and the subsets, so every run
     * built on it loads its data with that seed.
     */
    static Map<String, String> origin(Map<String, String> configuration) throws IOException {
        Map<String, String> origin = configuration;
        while (!origin.get("command").equals("pretrain")) {
            String parent = origin.containsKey("teacher") ? origin.get("teacher") : origin.get("from");
            origin = configurationOf("the parent run", parent, List.of("pretrain", "finetune"));
        }
        return origin;
    }

    /** Prints {@link TrainingData#note} when accuracy is measured on the training images. */
    static void printNote(Map<String, String> configuration) {
        String note = TrainingData.note(configuration);
        if (!note.isEmpty()) {
            System.out.println(note);
        }
    }
}
