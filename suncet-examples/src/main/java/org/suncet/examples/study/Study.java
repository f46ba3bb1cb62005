package org.suncet.examples.study;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.dataset.Dataset;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import org.suncet.augment.SeededPermutation;
import org.suncet.examples.cli.DeviceOption;
import org.suncet.examples.cli.Options;
import picocli.CommandLine.Model.CommandSpec;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.suncet.examples.data.DebianFashionMnist;
import org.suncet.examples.data.HeldOutSplit;
import org.suncet.examples.data.ImageData;
import org.suncet.examples.recipe.ContrastivePretraining;
import org.suncet.examples.recipe.DistillationTraining;
import org.suncet.examples.recipe.PretrainConfig;
import org.suncet.examples.recipe.SupervisedTraining;
import org.suncet.examples.run.MetricsCsv;
import org.suncet.examples.run.Versions;
import org.suncet.models.ContrastiveModel;
import org.suncet.models.ParameterCount;
import org.suncet.models.ResNet;
import org.suncet.train.ClassifierEvaluation;
import org.suncet.train.LabelSplit;
import org.suncet.train.NonFiniteTrainingException;

/**
 * {@code suncet study}: tests SuNCEt's claim (Assran et al. 2020: SimCLR + SuNCEt reaches SimCLR's
 * fine-tuned semi-supervised accuracy with less than half the pre-training compute) on
 * Fashion-MNIST on a CPU, end to end, and writes the report.
 *
 * <p>For every seed and labeled fraction it trains: a supervised-only network on the labeled
 * images; SimCLR pre-training for each budget (a separate run with its own warm-up and cosine
 * schedule) then fine-tuning; SimCLR + SuNCEt likewise, with n lowered so that both forward the same
 * rows per step while SuNCEt is on; and a SimCLRv2-style distillation of the better of the two
 * fine-tuned networks at the largest budget (chosen on held-out validation images, never on the test
 * set) into a ResNet-18 of half the width. Every network is fine-tuned with each recipe of {@link
 * StudyConfig#finetuneRecipes} and the weights of the best validation point are kept (the test
 * images never choose); every pre-trained encoder's frozen features are also measured by soft-kNN
 * before fine-tuning. Compute is the rows forwarded (summed step by step) and the wall-clock seconds.
 *
 * <p>Each finished cell is appended to {@code results.csv} in the output folder at once, so
 * {@code --resume} continues an interrupted study; the report ({@code --report}, default {@code
 * docs/study.md}) and its figures are written at the end by {@link StudyReport}.
 *
 * <p>Options: {@code --quick} (a minute-long smoke run, {@link StudyConfig#quick()}), {@code
 * --seeds 0,1,2}, {@code --budgets 1,2,4}, {@code --fractions 0.01,0.1}, {@code --train-images},
 * {@code --data} (the Fashion-MNIST folder), {@code --out} (results and figures, default {@code
 * docs/study}), {@code --report} (default {@code docs/study.md}), {@code --work} (teacher weights,
 * default {@code runs/study-work}), {@code --resume}.
 *
 * <p>A training step whose loss or gradients go non-finite stops the study at once with one line
 * {@code error: non-finite ... at epoch E step S of N in THE CELL'S TRAINING (...); every finished
 * cell is kept in results.csv ...} and exit code 2; no report is written from a failed run.
 */
public final class Study {

    /** The seed of the data subset (fixed across the study's seeds). */
    private static final long DATA_SEED = 2020;

    private static final String USAGE =
            "suncet study [--quick] [--seeds 0,1,2] [--budgets 1,2,4] [--fractions 0.01,0.1]"
                    + " [--train-images N] [--data FOLDER] [--out FOLDER] [--report FILE] [--work FOLDER] [--resume]"
                    + " [--device cpu|gpu[:N]]";

    private final StudyConfig config;
    private final Path dataFolder;
    private final Path out;
    private final Path report;
    private final Path work;
    private final boolean resume;
    private final PrintStream console;
    private final Device device;
    private final List<StudyRecord> records = new ArrayList<>();
    private MetricsCsv csv;
    private long csvRows;
    private ImageData train;
    private ImageData validation;
    private ImageData test;

    /**
     * Makes a study.
     *
     * @param config what to run
     * @param dataFolder the Fashion-MNIST folder
     * @param out the folder of results.csv and the figures
     * @param report the Markdown report to write
     * @param work the folder for teacher weights
     * @param resume whether to keep the cells an earlier run finished
     * @param console where progress goes
     */
    public Study(
            StudyConfig config, Path dataFolder, Path out, Path report, Path work, boolean resume, PrintStream console) {
        this(config, dataFolder, out, report, work, resume, console, null);
    }

    /**
     * Makes a study that computes on {@code device}.
     *
     * @param config what to run
     * @param dataFolder the Fashion-MNIST folder
     * @param out the folder of results.csv and the figures
     * @param report the Markdown report to write
     * @param work the folder for teacher weights
     * @param resume whether to keep the cells an earlier run finished
     * @param console where progress goes
     * @param device where the data and networks live; null for the engine's default device
     */
    public Study(StudyConfig config, Path dataFolder, Path out, Path report, Path work, boolean resume, PrintStream console,
            Device device) {
        this.device = device;
        this.config = config;
        this.dataFolder = dataFolder;
        this.out = out;
        this.report = report;
        this.work = work;
        this.resume = resume;
        this.console = console;
    }

    /**
     * The subcommand's options for picocli ({@link Options#command}); an option left empty takes the
     * value of the full study, or of {@code --quick}.
     *
     * @return a fresh specification
     */
    public static CommandSpec command() {
        Map<String, String> defaults = new LinkedHashMap<>();
        for (String key : List.of("seeds", "budgets", "fractions", "train-images")) {
            defaults.put(key, "");
        }
        defaults.put("data", DebianFashionMnist.DEFAULT_FOLDER.toString());
        defaults.put("out", "docs/study");
        defaults.put("report", "docs/study.md");
        defaults.put("work", "runs/study-work");
        defaults.put("device", DeviceOption.DEFAULT);
        return Options.command(USAGE, "The label-fraction by budget study: SimCLR, SimCLR + SuNCEt and supervised"
                + " baselines per seed, then the report and figures. --seeds, --budgets, --fractions and --train-images"
                + " default to the full study's (or --quick's) values.", defaults, java.util.Set.of("quick", "resume"));
    }

    /**
     * Runs {@code suncet study}.
     *
     * @param args the options
     * @return the exit code
     * @throws Exception if the data cannot be read or a file cannot be written
     */
    public static int run(String[] args) throws Exception {
        Options parsed = Options.parse(command(), args);
        if (parsed.helpRequested()) {
            System.out.print(parsed.help());
            return 0;
        }
        Device device = parsed.device();
        boolean quick = parsed.on("quick");
        boolean resume = parsed.on("resume");
        Map<String, String> options = new LinkedHashMap<>();
        for (String key : List.of("seeds", "budgets", "fractions", "train-images", "data", "out", "report", "work")) {
            if (parsed.has(key)) {
                options.put("--" + key, parsed.text(key));
            }
        }
        StudyConfig base = quick ? StudyConfig.quick() : StudyConfig.full();
        StudyConfig config =
                base.with(
                        options.containsKey("--train-images")
                                ? number(options, "--train-images", Integer::valueOf) : base.trainImages(),
                        options.containsKey("--fractions")
                                ? numbers(options, "--fractions", Double::valueOf)
                                : base.fractions(),
                        options.containsKey("--budgets")
                                ? numbers(options, "--budgets", Integer::valueOf)
                                : base.budgets(),
                        options.containsKey("--seeds")
                                ? numbers(options, "--seeds", Long::valueOf)
                                : base.seeds());
        Path data = Paths.get(options.getOrDefault("--data", DebianFashionMnist.DEFAULT_FOLDER.toString()));
        Path out = Paths.get(options.getOrDefault("--out", "docs/study"));
        Path report = Paths.get(options.getOrDefault("--report", "docs/study.md"));
        Path work = Paths.get(options.getOrDefault("--work", "runs/study-work"));
        new Study(config, data, out, report, work, resume, System.out, device).execute(quick);
        return 0;
    }

    /** Parses a comma-separated option; a malformed value names the option. */
    private static <T> List<T> numbers(
            Map<String, String> options, String key, java.util.function.Function<String, T> parse) {
        List<T> values = new ArrayList<>();
        for (String part : options.get(key).split(",")) {
            values.add(number(part.strip(), key, options.get(key), parse));
        }
        return values;
    }

    private static <T> T number(Map<String, String> options, String key, java.util.function.Function<String, T> parse) {
        return number(options.get(key).strip(), key, options.get(key), parse);
    }

    private static <T> T number(String text, String key, String whole, java.util.function.Function<String, T> parse) {
        try {
            return parse.apply(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " expects numbers, got '" + whole + "'", e);
        }
    }

    /**
     * Runs every cell not yet finished, then writes the report and figures.
     *
     * @param quick whether this is the {@code --quick} smoke run (said in the report)
     * @return the records of every cell
     * @throws IOException if a file cannot be read or written
     */
    public List<StudyRecord> execute(boolean quick) throws IOException {
        // the data first: a wrong --data must not replace an earlier study's results.csv
        DebianFashionMnist.checkFolder(dataFolder);
        Files.createDirectories(out);
        Files.createDirectories(work);
        Path csvFile = out.resolve("results.csv");
        List<String> columns = StudyRecord.COLUMNS;
        if (resume && Files.exists(csvFile)) {
            csv = MetricsCsv.resume(csvFile, columns, Long.MAX_VALUE);
            for (List<String> row : csv.rows()) {
                StudyRecord earlier = StudyRecord.parse(row);
                records.removeIf(r -> r.is(earlier.seed(), earlier.fraction(), earlier.method(), earlier.budget()));
                records.add(earlier);
                csvRows++;
            }
            console.printf("suncet study: resuming with %d finished cells from %s%n", records.size(), csvFile);
        } else {
            csv = MetricsCsv.create(csvFile, columns);
        }
        long started = System.nanoTime();
        try (NDManager manager = device == null ? NDManager.newBaseManager() : NDManager.newBaseManager(device)) {
            loadData(manager);
            console.printf(
                    Locale.ROOT,
                    "suncet study%s: %d training images, %d validation, %d test; fractions %s, budgets %s epochs, seeds %s%n",
                    quick ? " --quick" : "", train.size(), validation.size(), test.size(), config.fractions(),
                    config.budgets(), config.seeds());
            for (long seed : config.seeds()) {
                runSeed(seed, manager);
            }
        } catch (NonFiniteTrainingException e) {
            throw e.withContext("; every finished cell is kept in " + csvFile + ": --resume continues from them");
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        new StudyReport(config, records, quick, Versions.current()).write(report, out);
        console.printf(Locale.ROOT, "wrote %s and %s in %.0f s%n", report, out, seconds);
        return List.copyOf(records);
    }

    private void loadData(NDManager manager) throws IOException {
        Path scratch = Files.createDirectories(work.resolve("djl-repository"));
        ImageData fullTrain = ImageData.fashionMnist(dataFolder, Dataset.Usage.TRAIN, manager, scratch);
        ImageData fullTest = ImageData.fashionMnist(dataFolder, Dataset.Usage.TEST, manager, scratch);
        // a class-balanced validation set held out first, the unlabeled set drawn from the rest
        HeldOutSplit heldOut = HeldOutSplit.of(fullTrain, config.validationImages(), DATA_SEED, manager);
        validation = heldOut.validation();
        ImageData rest = heldOut.train();
        train =
                config.trainImages() >= rest.size()
                        ? rest
                        : rest.subset(sorted(SeededPermutation.of(rest.size(), DATA_SEED), 0, config.trainImages()), manager);
        test =
                config.testImages() == 0
                        ? fullTest
                        : fullTest.subset(
                                sorted(SeededPermutation.of(fullTest.size(), DATA_SEED), 0, config.testImages()),
                                manager);
    }

    private static long[] sorted(long[] order, int from, int to) {
        long[] chosen = Arrays.copyOfRange(order, from, to);
        Arrays.sort(chosen);
        return chosen;
    }

    private void runSeed(long seed, NDManager manager) throws IOException {
        Map<Double, LabelSplit> splits = new LinkedHashMap<>();
        Map<Double, ImageData> labeled = new LinkedHashMap<>();
        for (double fraction : config.fractions()) {
            LabelSplit split = LabelSplit.balanced(train.labels(), fraction, seed);
            splits.put(fraction, split);
            labeled.put(fraction, train.subset(split.indices(), manager));
        }
        for (double fraction : config.fractions()) {
            if (find(seed, fraction, "supervised", 0).isEmpty()) {
                record(fineTune(seed, fraction, labeled.get(fraction), "supervised", 0, null, manager));
            }
        }
        int steps = config.pretrainStepsPerEpoch() == 0 ? train.size() / 128 : config.pretrainStepsPerEpoch();
        for (int budget : config.budgets()) {
            List<Double> simclrTodo = todo(seed, "simclr", budget);
            if (!simclrTodo.isEmpty()) {
                PretrainConfig simclr = PretrainConfig.recipe(false, budget, steps, seed);
                try (ContrastivePretraining pretraining =
                        new ContrastivePretraining(simclr, train, splits.values().iterator().next())) {
                    Pretrained run = pretrain("SimCLR", pretraining, simclr, budget);
                    for (double fraction : simclrTodo) {
                        // each fraction fine-tunes its own copy of the pre-trained weights
                        record(fineTune(seed, fraction, labeled.get(fraction), "simclr", budget, run, manager));
                    }
                }
            }
            for (double fraction : todo(seed, "suncet", budget)) {
                PretrainConfig suncet = PretrainConfig.recipe(true, budget, steps, seed);
                try (ContrastivePretraining pretraining =
                        new ContrastivePretraining(suncet, train, splits.get(fraction))) {
                    Pretrained run = pretrain("SimCLR + SuNCEt", pretraining, suncet, budget);
                    record(fineTune(seed, fraction, labeled.get(fraction), "suncet", budget, run, manager));
                }
            }
        }
        for (double fraction : config.fractions()) {
            if (find(seed, fraction, "distilled", config.maxBudget()).isEmpty()) {
                record(distill(seed, fraction, manager));
            }
        }
    }

    /**
     * The fractions whose cell still has to run. A cell at the largest budget counts as finished
     * only with its saved weights, which the distillation needs (a study resumed with other
     * budgets reruns it).
     */
    private List<Double> todo(long seed, String method, int budget) {
        return config.fractions().stream()
                .filter(f -> find(seed, f, method, budget).isEmpty()
                        || budget == config.maxBudget() && !Files.exists(teacherFile(seed, f, method, budget)))
                .toList();
    }

    private Optional<StudyRecord> find(long seed, double fraction, String method, int budget) {
        return records.stream().filter(r -> r.is(seed, fraction, method, budget)).findFirst();
    }

    private void record(StudyRecord result) throws IOException {
        // a rerun cell replaces the earlier one in the report; the CSV keeps both, the later last
        records.removeIf(r -> r.is(result.seed(), result.fraction(), result.method(), result.budget()));
        csv.append(result.values(csvRows++));
        records.add(result);
        console.printf(
                Locale.ROOT,
                "  seed %d, %4.1f %% labels, %-10s %d epochs: %9d pre-training rows (%6.0f s), test top-1 %.2f %%%n",
                result.seed(), 100 * result.fraction(), result.method(), result.budget(), result.pretrainRows(),
                result.pretrainSeconds(), 100 * result.top1());
    }

    private record Pretrained(
            PretrainConfig config, int stepsPerEpoch, long steps, long rows, double seconds, double loss,
            byte[] weights) {}

    private Pretrained pretrain(String name, ContrastivePretraining pretraining, PretrainConfig c, int budget) {
        long[] steps = {0};
        long started = System.nanoTime();
        double loss = Double.NaN;
        for (int epoch = 0; epoch < budget; epoch++) {
            try {
                loss = pretraining.runEpoch(epoch, (e, s, total, mean, rows) -> steps[0]++);
            } catch (NonFiniteTrainingException e) {
                throw e.withContext(String.format(
                        Locale.ROOT, " in %s pre-training (seed %d, %d-epoch budget)", name, c.seed(), budget));
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        console.printf(
                Locale.ROOT, "  %s, %d epochs: loss %.4f, %d rows in %.0f s%n",
                name, budget, loss, pretraining.getRowsForwarded(), seconds);
        return new Pretrained(
                c, pretraining.getStepsPerEpoch(), steps[0], pretraining.getRowsForwarded(), seconds, loss,
                parameters(pretraining.getNetwork()));
    }

    /**
     * Fine-tunes a network with every recipe of {@link StudyConfig#finetuneRecipes}, each from the
     * pre-trained weights ({@code run}; a fresh initialisation when null), and keeps the weights
     * with the best validation top-1 over all recipes and evaluation points: their test top-1 is
     * the cell's. Also measures the pre-trained encoder's frozen soft-kNN accuracy first.
     */
    private StudyRecord fineTune(
            long seed, double fraction, ImageData labeled, String method, int budget, Pretrained run, NDManager manager)
            throws IOException {
        int batch = Math.min(config.finetuneBatch(), labeled.size());
        int stepsPerEpoch = labeled.size() / batch;
        int every = Math.max(1, Math.round((float) config.evaluateEvery() / stepsPerEpoch));
        double[] knnValidation = {Double.NaN};
        double[] knnTest = {Double.NaN};
        if (run != null) {
            try (NDManager scope = manager.newSubManager()) {
                Block encoder = pretrained(run, scope).getEncoder();
                knnValidation = FrozenKnn.evaluate(encoder, labeled, validation);
                knnTest = FrozenKnn.evaluate(encoder, labeled, test);
            }
        }
        double bestValidation = Double.NEGATIVE_INFINITY;
        byte[] best = null;
        String choice = "";
        long rows = 0;
        long started = System.nanoTime();
        for (StudyConfig.FineTuneRecipe recipe : config.finetuneRecipes()) {
            int steps = recipe.steps(config.finetuneStepsFor(fraction));
            int epochs = SupervisedTraining.epochsFor(steps, labeled.size(), batch);
            try (NDManager scope = manager.newSubManager()) {
                Block classifier =
                        (run == null ? network(0.125f) : pretrained(run, scope)).fineTuneClassifier(0, train.numClasses());
                try (SupervisedTraining training =
                        new SupervisedTraining(classifier, labeled, epochs, batch, recipe.baseRate(), seed)) {
                    for (int epoch = 0; epoch < epochs; epoch++) {
                        try {
                            training.runEpoch(epoch);
                        } catch (NonFiniteTrainingException e) {
                            String phase =
                                    run == null
                                            ? "supervised-only training"
                                            : method + " fine-tuning after " + budget + " pre-training epochs";
                            throw e.withContext(String.format(
                                    Locale.ROOT, " in the %s (seed %d, %s %% labels, base rate %s)", phase, seed,
                                    100 * fraction, recipe.baseRate()));
                        }
                        if ((epoch + 1) % every == 0 || epoch == epochs - 1) {
                            double v = training.evaluate(validation).top1();
                            if (v > bestValidation) {
                                bestValidation = v;
                                best = parameters(classifier);
                                choice = String.format(
                                        Locale.ROOT, "%s×%d@%d", recipe.baseRate(), epochs * stepsPerEpoch,
                                        (epoch + 1) * stepsPerEpoch);
                            }
                        }
                    }
                    rows += training.getRowsForwarded();
                }
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        try (NDManager scope = manager.newSubManager()) {
            Block chosen = network(0.125f).fineTuneClassifier(0, train.numClasses());
            load(chosen, best, scope);
            ClassifierEvaluation.Result onTest = test.accuracyOf(chosen);
            if (run != null) {
                Files.write(teacherFile(seed, fraction, method, budget), best);
            }
            PretrainConfig c = run == null ? null : run.config();
            return new StudyRecord(
                    seed, fraction, method, budget,
                    run == null ? 0 : run.stepsPerEpoch(),
                    c == null ? 0 : 2 * c.unlabeledImages(),
                    c == null || !c.suncet() ? 0 : c.classesPerStep() * c.imagesPerClass(),
                    c == null || !c.suncet() ? 0 : c.supervisedEpochs(),
                    run == null ? 0 : run.steps(),
                    run == null ? 0 : run.rows(),
                    run == null ? 0 : run.seconds(),
                    run == null ? Double.NaN : run.loss(),
                    rows, seconds, bestValidation, onTest.top1(), onTest.topK(), "",
                    ParameterCount.total(chosen), knnValidation[0], knnTest[0], choice);
        }
    }

    /** A fresh copy of the pre-trained network. */
    private static ContrastiveModel pretrained(Pretrained run, NDManager manager) {
        ContrastiveModel copy = network(0.125f);
        try {
            copy.loadParameters(manager, new DataInputStream(new ByteArrayInputStream(run.weights())));
        } catch (IOException | ai.djl.MalformedModelException e) {
            throw new IllegalStateException("pre-trained weights did not load back", e);
        }
        return copy;
    }

    private static byte[] parameters(Block block) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            block.saveParameters(new DataOutputStream(bytes));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void load(Block block, byte[] parameters, NDManager manager) {
        try {
            block.loadParameters(manager, new DataInputStream(new ByteArrayInputStream(parameters)));
        } catch (IOException | ai.djl.MalformedModelException e) {
            throw new IllegalStateException("fine-tuned weights did not load back", e);
        }
    }

    private Path teacherFile(long seed, double fraction, String method, int budget) {
        return work.resolve(
                String.format(Locale.ROOT, "finetuned-%s-%depochs-%s-seed%d.params", method, budget, fraction, seed));
    }

    private StudyRecord distill(long seed, double fraction, NDManager manager) throws IOException {
        int budget = config.maxBudget();
        StudyRecord simclr = find(seed, fraction, "simclr", budget).orElseThrow();
        StudyRecord suncet = find(seed, fraction, "suncet", budget).orElseThrow();
        StudyRecord chosen = suncet.validationTop1() > simclr.validationTop1() ? suncet : simclr;
        try (NDManager scope = manager.newSubManager()) {
            Block teacher = network(0.125f).fineTuneClassifier(0, train.numClasses());
            try (InputStream file = Files.newInputStream(teacherFile(seed, fraction, chosen.method(), budget))) {
                teacher.loadParameters(scope, new DataInputStream(file));
            } catch (ai.djl.MalformedModelException e) {
                throw new IOException("teacher weights " + teacherFile(seed, fraction, chosen.method(), budget) + " are damaged", e);
            }
            Block student = network(config.studentWidth()).fineTuneClassifier(0, train.numClasses());
            ImageData unlabeled =
                    config.distillImages() == 0
                            ? train
                            : train.subset(sorted(SeededPermutation.of(train.size(), seed), 0, config.distillImages()), scope);
            long started = System.nanoTime();
            try (DistillationTraining training =
                    new DistillationTraining(
                            teacher, student, unlabeled, config.distillEpochs(), config.distillBatch(),
                            config.distillRate(), seed, 0)) {
                for (int epoch = 0; epoch < config.distillEpochs(); epoch++) {
                    try {
                        training.runEpoch(epoch, null);
                    } catch (NonFiniteTrainingException e) {
                        throw e.withContext(String.format(
                                Locale.ROOT, " in the distillation (seed %d, %s %% labels)", seed, 100 * fraction));
                    }
                }
                double seconds = (System.nanoTime() - started) / 1e9;
                ClassifierEvaluation.Result onTest = training.evaluate(test);
                return new StudyRecord(
                        seed, fraction, "distilled", budget, chosen.stepsPerEpoch(), chosen.unlabeledRowsPerStep(),
                        chosen.supportRowsPerStep(), chosen.supervisedEpochs(), chosen.pretrainSteps(),
                        chosen.pretrainRows(), chosen.pretrainSeconds(), chosen.pretrainLoss(),
                        chosen.finetuneRows() + training.getRowsForwarded(), chosen.finetuneSeconds() + seconds,
                        Double.NaN, onTest.top1(), onTest.topK(), chosen.method(), ParameterCount.total(student),
                        Double.NaN, Double.NaN, "");
            }
        }
    }

    /** ResNet-18 with the CIFAR stem at {@code width}, one input channel, SimCLR v1 head. */
    private static ContrastiveModel network(float width) {
        return ContrastivePretraining.network(18, width, 1);
    }
}
