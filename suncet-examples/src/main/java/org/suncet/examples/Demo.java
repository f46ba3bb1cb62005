package org.suncet.examples;

import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Dataset;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.suncet.augment.SeededPermutation;
import org.suncet.examples.cli.DeviceOption;
import org.suncet.examples.cli.Options;
import picocli.CommandLine.Model.CommandSpec;
import org.suncet.examples.data.DebianFashionMnist;
import org.suncet.examples.data.HeldOutSplit;
import org.suncet.examples.data.ImageData;
import org.suncet.examples.recipe.ContrastivePretraining;
import org.suncet.examples.recipe.PretrainConfig;
import org.suncet.examples.recipe.SupervisedTraining;
import org.suncet.examples.run.LinePlot;
import org.suncet.examples.run.MetricsCsv;
import org.suncet.examples.run.RunFolder;
import org.suncet.examples.study.FrozenKnn;
import org.suncet.models.ContrastiveModel;
import org.suncet.models.ResNet;
import org.suncet.train.LabelSplit;
import org.suncet.train.ClassifierEvaluation;
import org.suncet.train.NonFiniteTrainingException;

/**
 * {@code suncet demo}: the SuNCEt comparison on Fashion-MNIST at CPU scale, on the study's
 * protocol (docs/study.md), in about ten minutes on 2 cores.
 *
 * <p>Data: a seeded, class-balanced 5,000 of the 60,000 training images are held out as validation
 * ({@link HeldOutSplit}); of the other 55,000, 1 % (550, class-balanced) are labeled; the 10,000
 * test images give the test column. Three methods, one network (ResNet-18 at width 1/8, CIFAR stem):
 *
 * <ol>
 *   <li>supervised only: trained on the labeled images alone;
 *   <li>SimCLR pre-training on the 55,000 images, then fine-tuning on the labeled ones;
 *   <li>SimCLR + SuNCEt pre-training with the same rows forwarded, then the same fine-tuning.
 * </ol>
 *
 * <p>Pre-training is {@link PretrainConfig#recipe} ({@value #PRETRAIN_EPOCHS} epochs of {@value
 * #PRETRAIN_STEPS} steps, 256 rows a step for both methods). Fine-tuning, the same for all three:
 * the whole network plus a new linear layer, Nesterov SGD at 0.4·B/256 with B = 64, cosine decay,
 * random resized crop and flip, 2,000 steps (250 epochs of 550 images): the step budget that the
 * validation set chose; a budget in rows as small as the earlier demo's 180 steps left every
 * method under-fitted.
 *
 * <p>It prints a table of validation and test accuracy and compute (rows forwarded), with the
 * pre-trained encoders' frozen soft-kNN test top-1 before fine-tuning ({@link FrozenKnn}: what
 * pre-training did, which fine-tuning on the labels can hide), one sentence saying whether SimCLR +
 * SuNCEt leads in this run after fine-tuning and on the frozen features, beside what the study found
 * there (docs/study.md), and writes to the run folder ({@code --out},
 * default {@code runs/demo}): the configuration, seeds and versions, {@code metrics.csv}, {@code
 * pretraining-loss.png} and {@code accuracy-vs-compute.png}. The numbers are the ones measured in
 * the run. Options: {@code --seed}, {@code --validation-images} (default 5,000), {@code
 * --train-images} (a seeded subset of the images left after the hold-out; default 0: all of them),
 * {@code --label-fraction} (default 0.01), {@code --pretrain-epochs}, {@code --pretrain-steps}
 * (steps per epoch), {@code --finetune-steps} (default 2,000), {@code --finetune-lr} (default
 * 0.4, scaled by B/256), {@code --data} (the Fashion-MNIST folder), {@code --out}. Bad values end
 * with a one-line error and exit code 2.
 *
 * <p>A training step whose loss or gradients go non-finite stops the demo at once with one line
 * {@code error: non-finite ... at epoch E step S of N in METHOD pre-training (...)} and exit code
 * 2; it never prints a table after NaN.
 */
public final class Demo {

    /** Pre-training epochs of the default demo. */
    public static final int PRETRAIN_EPOCHS = 6;

    /** Pre-training steps per epoch of the default demo. */
    public static final int PRETRAIN_STEPS = 93;

    /** Images per fine-tuning step. */
    public static final int FINETUNE_BATCH = 64;

    /** What a non-finite step's message adds: what the demo kept. */
    private static final String NO_CHECKPOINT = " (the demo saves no checkpoint; metrics.csv holds the epochs before)";

    private Demo() {}

    /**
     * The subcommand's options for picocli ({@link Options#command}).
     *
     * @return a fresh specification
     */
    public static CommandSpec command() {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("seed", "0");
        defaults.put("validation-images", "5000");
        defaults.put("train-images", "0");
        defaults.put("label-fraction", "0.01");
        defaults.put("pretrain-epochs", String.valueOf(PRETRAIN_EPOCHS));
        defaults.put("pretrain-steps", String.valueOf(PRETRAIN_STEPS));
        defaults.put("finetune-steps", "2000");
        defaults.put("finetune-lr", "0.4");
        defaults.put("data", DebianFashionMnist.DEFAULT_FOLDER.toString());
        defaults.put("out", "runs/demo");
        defaults.put("device", DeviceOption.DEFAULT);
        return Options.command(USAGE, "Pre-trains SimCLR and SimCLR + SuNCEt on Fashion-MNIST, fine-tunes both and a"
                + " supervised baseline on the same labels, and writes metrics.csv and plots to --out.", defaults, java.util.Set.of());
    }

    /** The usage line. */
    private static final String USAGE =
            "suncet demo [--seed S] [--validation-images N] [--train-images N] [--label-fraction F]"
                    + " [--pretrain-epochs E] [--pretrain-steps N] [--finetune-steps N] [--finetune-lr LR]"
                    + " [--data FOLDER] [--out FOLDER] [--device cpu|gpu[:N]]";

    /**
     * Runs the demo.
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
        ai.djl.Device device = parsed.device();
        // the run folder records the options as before: "--name" to value, without --device
        Map<String, String> options = new LinkedHashMap<>();
        parsed.values().forEach((name, value) -> {
            if (!name.equals("device")) {
                options.put("--" + name, value);
            }
        });
        long seed = Long.parseLong(options.get("--seed"));
        int validationImages = positive(options, "--validation-images");
        int trainImages = nonNegative(options, "--train-images");
        double fraction = Double.parseDouble(options.get("--label-fraction"));
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("--label-fraction must be in (0, 1], got " + fraction);
        }
        int pretrainEpochs = positive(options, "--pretrain-epochs");
        int pretrainSteps = positive(options, "--pretrain-steps");
        int finetuneSteps = positive(options, "--finetune-steps");
        float finetuneRate = Float.parseFloat(options.get("--finetune-lr"));
        if (!(finetuneRate > 0)) {
            throw new IllegalArgumentException("--finetune-lr must be > 0, got " + finetuneRate);
        }
        Path out = Paths.get(options.get("--out"));
        // the data first: a wrong --data must not cost the run already in --out
        DebianFashionMnist.checkFolder(Paths.get(options.get("--data")));
        RunFolder folder =
                RunFolder.open(out, RunFolder.Mode.OVERWRITE, options, Map.of("seed", seed));
        PrintStream console = System.out;
        long started = System.nanoTime();
        try (NDManager manager = NDManager.newBaseManager(device)) {
            manager.getEngine().setRandomSeed(Math.toIntExact(seed & 0x7fffffff));
            Path scratch = Files.createDirectories(folder.resolve("djl-repository"));
            Path data = Paths.get(options.get("--data"));
            ImageData fullTrain = ImageData.fashionMnist(data, Dataset.Usage.TRAIN, manager, scratch);
            ImageData test = ImageData.fashionMnist(data, Dataset.Usage.TEST, manager, scratch);
            HeldOutSplit heldOut = HeldOutSplit.of(fullTrain, validationImages, seed, manager);
            ImageData validation = heldOut.validation();
            ImageData train = trainImages == 0 ? heldOut.train() : subset(heldOut.train(), trainImages, seed, manager);
            LabelSplit split = LabelSplit.balanced(train.labels(), fraction, seed);
            ImageData labeled = train.subset(split.indices(), manager);
            int finetuneEpochs = SupervisedTraining.epochsFor(finetuneSteps, labeled.size(), FINETUNE_BATCH);
            console.printf(
                    Locale.ROOT,
                    "suncet demo: Fashion-MNIST, %d training images (%d labeled, %s %%), %d validation images held out,"
                            + " %d test images, seed %d%n",
                    train.size(), labeled.size(), percent(fraction), validation.size(), test.size(), seed);

            MetricsCsv csv =
                    MetricsCsv.create(
                            folder.resolve("metrics.csv"),
                            List.of("row", "method", "phase", "epoch", "loss", "accuracy", "rows_forwarded"));
            List<String[]> table = new ArrayList<>();
            Map<String, double[]> losses = new LinkedHashMap<>();
            int[] row = {0};

            // 1. supervised only
            ContrastiveModel scratchModel = network(1);
            Result supervised =
                    fineTune("supervised only", scratchModel, labeled, validation, test, finetuneEpochs, finetuneRate, seed, csv, row, console, 0);
            table.add(supervised.cells(0, Double.NaN));

            // 2. SimCLR, 3. SimCLR + SuNCEt at the same rows forwarded
            PretrainConfig simclr = PretrainConfig.recipe(false, pretrainEpochs, pretrainSteps, seed);
            PretrainConfig suncet = PretrainConfig.recipe(true, pretrainEpochs, pretrainSteps, seed);
            int supportRows = suncet.classesPerStep() * suncet.imagesPerClass();
            for (PretrainConfig config : List.of(simclr, suncet)) {
                String name = config.suncet() ? "SimCLR + SuNCEt" : "SimCLR";
                try (ContrastivePretraining pretraining = new ContrastivePretraining(config, train, split)) {
                    double[] curve = new double[pretrainEpochs];
                    for (int epoch = 0; epoch < pretrainEpochs; epoch++) {
                        long epochStart = System.nanoTime();
                        try {
                            curve[epoch] = pretraining.runEpoch(epoch, null);
                        } catch (NonFiniteTrainingException e) {
                            throw e.withContext(" in " + name + " pre-training" + NO_CHECKPOINT);
                        }
                        double seconds = (System.nanoTime() - epochStart) / 1e9;
                        console.printf(
                                Locale.ROOT,
                                "%-16s pretrain epoch %d/%d  loss %.4f  %d rows  %.0f rows/s%n",
                                name, epoch + 1, pretrainEpochs, curve[epoch],
                                pretraining.getRowsForwarded(),
                                pretraining.getStepsPerEpoch() * (2.0 * config.unlabeledImages()
                                        + (config.suncet() ? supportRows : 0)) / seconds);
                        csv.append(row[0]++, name, "pretrain", epoch, curve[epoch], "", pretraining.getRowsForwarded());
                    }
                    losses.put(name, curve);
                    // the frozen encoder first: fine-tuning trains the same encoder in place
                    double knn = FrozenKnn.evaluate(pretraining.getNetwork().getEncoder(), labeled, test)[0];
                    Result result =
                            fineTune(name, pretraining.getNetwork(), labeled, validation, test, finetuneEpochs, finetuneRate, seed,
                                    csv, row, console, pretraining.getRowsForwarded());
                    table.add(result.cells(pretraining.getRowsForwarded(), knn));
                }
            }

            console.println();
            console.printf(
                    "%-16s %14s %14s %10s %10s %10s %11s%n",
                    "method", "pretrain rows", "finetune rows", "val top-1", "test top-1", "test top-5", "frozen kNN");
            for (String[] cells : table) {
                console.printf("%-16s %14s %14s %10s %10s %10s %11s%n", (Object[]) cells);
            }
            console.println(verdict(table));
            writePlots(folder, losses, table, pretrainEpochs);
            console.printf(
                    Locale.ROOT,
                    "%nwrote %s (metrics.csv, pretraining-loss.png, accuracy-vs-compute.png) in %.0f s%n",
                    folder.folder(), (System.nanoTime() - started) / 1e9);
        }
        return 0;
    }

    /** The demo's network: ResNet-18 at width 1/8, CIFAR stem, SimCLR v1 head. */
    private static ContrastiveModel network(int inputChannels) {
        return ContrastivePretraining.network(18, 0.125f, inputChannels);
    }

    private record Result(
            String name, long rows, ClassifierEvaluation.Result validation, ClassifierEvaluation.Result accuracy) {
        String[] cells(long pretrainRows, double frozenKnn) {
            return new String[] {
                name,
                Long.toString(pretrainRows),
                Long.toString(rows),
                String.format(Locale.ROOT, "%.2f %%", 100 * validation.top1()),
                String.format(Locale.ROOT, "%.2f %%", 100 * accuracy.top1()),
                String.format(Locale.ROOT, "%.2f %%", 100 * accuracy.topK()),
                Double.isNaN(frozenKnn) ? "–" : String.format(Locale.ROOT, "%.2f %%", 100 * frozenKnn)
            };
        }
    }

    private static Result fineTune(
            String name,
            ContrastiveModel network,
            ImageData labeled,
            ImageData validation,
            ImageData test,
            int epochs,
            float baseRate,
            long seed,
            MetricsCsv csv,
            int[] row,
            PrintStream console,
            long pretrainRows)
            throws java.io.IOException {
        try (SupervisedTraining training =
                new SupervisedTraining(network.fineTuneClassifier(0, 10), labeled, epochs, FINETUNE_BATCH, baseRate, seed)) {
            for (int epoch = 0; epoch < epochs; epoch++) {
                double[] metrics;
                try {
                    metrics = training.runEpoch(epoch);
                } catch (NonFiniteTrainingException e) {
                    String phase = pretrainRows == 0 ? "supervised-only training" : name + " fine-tuning";
                    throw e.withContext(" in " + phase + NO_CHECKPOINT);
                }
                csv.append(row[0]++, name, "finetune", epoch, metrics[0], metrics[1],
                        pretrainRows + training.getRowsForwarded());
                if (epoch == epochs - 1) {
                    console.printf(
                            Locale.ROOT,
                            "%-16s finetune %d epochs  loss %.4f  train acc %.3f%n",
                            name, epochs, metrics[0], metrics[1]);
                }
            }
            ClassifierEvaluation.Result validated = training.evaluate(validation);
            ClassifierEvaluation.Result accuracy = training.evaluate(test);
            csv.append(row[0]++, name, "validation", epochs, "", validated.top1(), pretrainRows + training.getRowsForwarded());
            csv.append(row[0]++, name, "test", epochs, "", accuracy.top1(), pretrainRows + training.getRowsForwarded());
            return new Result(name, training.getRowsForwarded(), validated, accuracy);
        }
    }

    private static void writePlots(
            RunFolder folder, Map<String, double[]> losses, List<String[]> table, int epochs)
            throws java.io.IOException {
        LinePlot.Builder lossPlot =
                LinePlot.builder()
                        .setTitle("Pre-training objective per epoch")
                        .optAxisLabels("epoch", "mean objective");
        double[] x = new double[epochs];
        for (int e = 0; e < epochs; e++) {
            x[e] = e + 1;
        }
        losses.forEach((name, curve) -> lossPlot.addSeries(name, x, curve));
        lossPlot.build().write(folder.resolve("pretraining-loss.png"));
        LinePlot.Builder accuracy =
                LinePlot.builder()
                        .setTitle("Test accuracy against compute")
                        .optAxisLabels("rows forwarded (pre-training + fine-tuning)", "top-1 accuracy (%)");
        for (String[] cells : table) {
            double rows = Double.parseDouble(cells[1]) + Double.parseDouble(cells[2]);
            double top1 = Double.parseDouble(cells[4].replace(" %", ""));
            accuracy.addSeries(cells[0], new double[] {rows}, new double[] {top1});
        }
        accuracy.build().write(folder.resolve("accuracy-vs-compute.png"));
    }

    /**
     * One sentence on what this run's table shows, set beside what the study found over three seeds
     * and budgets of 4 to 16 epochs (docs/study.md): whether SimCLR + SuNCEt leads here after
     * fine-tuning, by how much on the test set (the study: after fine-tuning SuNCEt saves no
     * pre-training compute, every method within about a point of the others), and its frozen-feature
     * margin over SimCLR (the study: SuNCEt after 4 epochs above SimCLR's best after 16, a quarter
     * of the rows).
     */
    static String verdict(List<String[]> table) {
        double supervised = top1(table.get(0));
        double simclr = top1(table.get(1));
        double suncet = top1(table.get(2));
        String margins = String.format(
                Locale.ROOT, "%+.2f points against SimCLR and %+.2f against supervised only",
                suncet - simclr, suncet - supervised);
        String frozen = String.format(
                Locale.ROOT, "; on the frozen pre-trained features (soft-kNN, test), where the study finds SuNCEt after"
                        + " 4 epochs above SimCLR's best after 16 (a quarter of the rows), it is %+.2f points from SimCLR.",
                percentCell(table.get(2)[6]) - percentCell(table.get(1)[6]));
        String study = "the study (docs/study.md: 3 seeds, 4 to 16 epochs) finds that after fine-tuning SuNCEt saves no"
                + " pre-training compute";
        if (suncet > simclr && suncet > supervised) {
            return "In this run SimCLR + SuNCEt leads after fine-tuning (" + margins + "), but " + study
                    + ", so read this lead as one seed's noise" + frozen;
        }
        return "In this run SimCLR + SuNCEt does not lead after fine-tuning (" + margins + "), and " + study + frozen;
    }

    private static double percentCell(String cell) {
        return Double.parseDouble(cell.replace(" %", ""));
    }

    private static double top1(String[] cells) {
        return percentCell(cells[4]);
    }

    private static String percent(double fraction) {
        return new java.math.BigDecimal(100 * fraction).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString();
    }

    private static int positive(Map<String, String> options, String name) {
        return atLeast(options, name, 1);
    }

    private static int nonNegative(Map<String, String> options, String name) {
        return atLeast(options, name, 0);
    }

    private static int atLeast(Map<String, String> options, String name, int least) {
        try {
            int value = Integer.parseInt(options.get(name));
            if (value < least) {
                throw new IllegalArgumentException(name + " must be >= " + least + ", got " + value);
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, got '" + options.get(name) + "'", e);
        }
    }

    /** A seeded random subset of {@code size} images. */
    private static ImageData subset(ImageData data, int size, long seed, NDManager manager) {
        if (size > data.size()) {
            throw new IllegalArgumentException(
                    "--train-images must be <= " + data.size() + ", got " + size);
        }
        long[] chosen = java.util.Arrays.copyOf(SeededPermutation.of(data.size(), seed), size);
        java.util.Arrays.sort(chosen);
        return data.subset(chosen, manager);
    }
}
