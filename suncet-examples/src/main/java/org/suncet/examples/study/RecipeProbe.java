package org.suncet.examples.study;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.dataset.Dataset;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.suncet.augment.SimClrAugmentation;
import org.suncet.examples.cli.DeviceOption;
import org.suncet.examples.cli.Options;
import picocli.CommandLine.Model.CommandSpec;
import org.suncet.examples.data.DebianFashionMnist;
import org.suncet.examples.data.HeldOutSplit;
import org.suncet.examples.data.ImageData;
import org.suncet.examples.recipe.ContrastivePretraining;
import org.suncet.examples.recipe.PretrainConfig;
import org.suncet.examples.recipe.SupervisedTraining;
import org.suncet.examples.recipe.SupportView;
import org.suncet.models.ContrastiveModel;
import org.suncet.train.LabelSplit;

/**
 * {@code suncet probe KEY=VALUE ...}: one cell of a recipe search on Fashion-MNIST's validation
 * protocol, the tool behind the recipe tables of docs/study/notes.md. It holds out a seeded,
 * class-balanced 5,000 training images as validation ({@link HeldOutSplit}), labels a
 * class-balanced fraction of the other 55,000, optionally pre-trains (SimCLR or SimCLR + SuNCEt,
 * any {@link PretrainConfig}), then fine-tunes once per entry of {@code FTS} from the same
 * weights, and prints one line per fine-tuning that starts with the settings and holds {@code
 * RESULT}, the validation accuracy at the end and its best on the way (every ~500 steps), the test
 * accuracy at the end (for the record; never used to choose) and the seconds.
 *
 * <p>Keys (default): {@code SEED} (0), {@code FRACTION} (0.01), {@code VALSEED} (1,000,000 +
 * SEED, the hold-out's seed), {@code WIDTH} (0.125), {@code THREADS} (DJL's default), {@code
 * PRETRAIN} (none | simclr | suncet), {@code PEPOCHS} (8), {@code SPE} (93, steps per epoch),
 * {@code N} (128 unlabeled images a step before SuNCEt's share), {@code C} (10), {@code K} (2),
 * {@code EQUAL_ROWS} (1: SuNCEt's n = N − C·K/2), {@code SAUG} (simclr | crop-flip | none: the
 * support's augmentation, {@link SupportView}), {@code TAU} (0.5, NT-Xent), {@code STAU} (0.1,
 * SuNCEt), {@code LAMBDA} (1), {@code ESUP} (PEPOCHS), {@code PCROP} (0.08, the smallest crop
 * area), {@code PLR} (0.075, LARS base), {@code FTS} (0.4:2000:crop0.08:0; comma-separated
 * {@code lr:steps:aug:headLayers} with aug {@code none} or {@code cropS}, S the smallest crop
 * area; headLayers {@code lin} trains a linear classifier on the frozen encoder instead; {@code none}: no
 * fine-tuning), {@code KNN} (0: every how many
 * pre-training epochs to print the soft-kNN validation accuracy of the frozen encoder features, the
 * labeled images as memory, τ 0.1, and their mean norm; 0 only at the end), {@code CACHE} (runs/probe-cache: pre-trained weights by settings, reused when present),
 * {@code DATA} (Debian's Fashion-MNIST folder). An unknown key is an error.
 */
public final class RecipeProbe {

    private static final List<String> KEYS = List.of(
            "SEED", "FRACTION", "VALSEED", "WIDTH", "THREADS", "PRETRAIN", "PEPOCHS", "SPE", "N", "C", "K",
            "EQUAL_ROWS", "SAUG", "TAU", "STAU", "LAMBDA", "ESUP", "PCROP", "PLR", "FTS", "KNN", "CACHE", "DATA");

    /** One fine-tuning of {@code FTS}: {@code lr:steps:aug[:headLayers]}; crop null for aug none. */
    private record FineTuning(String spec, float rate, int steps, Double cropMin, int headLayers) {

        static FineTuning parse(String spec) {
            String[] p = spec.split(":");
            if (p.length < 3 || p.length > 4 || !(p[2].equals("none") || p[2].startsWith("crop"))) {
                throw new IllegalArgumentException(
                        "FTS entries are lr:steps:aug[:headLayers] with aug none or cropS, got '" + spec + "'");
            }
            try {
                FineTuning f = new FineTuning(
                        spec, Float.parseFloat(p[0]), Integer.parseInt(p[1]),
                        p[2].equals("none") ? null : Double.valueOf(p[2].substring(4)),
                        p.length > 3 ? (p[3].equals("lin") ? LINEAR : Integer.parseInt(p[3])) : 0);
                if (!(f.rate > 0) || f.steps < 1 || f.headLayers < LINEAR
                        || f.cropMin != null && !(f.cropMin > 0 && f.cropMin <= 1)) {
                    throw new IllegalArgumentException(
                            "FTS entry '" + spec + "' needs lr > 0, steps >= 1, crop area in (0, 1], headLayers >= 0 or lin");
                }
                return f;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("FTS entry '" + spec + "' holds a number that does not parse", e);
            }
        }
    }

    /** {@link FineTuning#headLayers} of a linear probe on the frozen encoder. */
    private static final int LINEAR = -1;

    private RecipeProbe() {}

    /**
     * The subcommand's arguments for picocli: {@code KEY=VALUE} settings as positional parameters,
     * and {@code --device}.
     *
     * @return a fresh specification
     */
    public static CommandSpec command() {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("device", DeviceOption.DEFAULT);
        return Options.withPositionals(
                Options.command("suncet probe [KEY=VALUE...] [--device cpu|gpu[:N]]",
                        "One recipe setting for quick experiments; KEY is one of " + KEYS + ".", defaults, java.util.Set.of()),
                "KEY=VALUE", "a setting of the probe");
    }

    /**
     * Runs one probe.
     *
     * @param args {@code KEY=VALUE} settings
     * @return the exit code
     * @throws Exception if the data cannot be read or a file cannot be written
     */
    public static int run(String[] args) throws Exception {
        Options options = Options.parse(command(), args);
        if (options.helpRequested()) {
            System.out.print(options.help());
            return 0;
        }
        ai.djl.Device device = options.device();
        Map<String, String> set = new LinkedHashMap<>();
        for (String arg : options.positionals()) {
            int eq = arg.indexOf('=');
            if (eq < 1 || !KEYS.contains(arg.substring(0, eq))) {
                throw new IllegalArgumentException("expected KEY=VALUE with KEY one of " + KEYS + ", got '" + arg + "'");
            }
            set.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        PrintStream out = System.out;
        long seed = Long.parseLong(get(set, "SEED", "0"));
        double fraction = Double.parseDouble(get(set, "FRACTION", "0.01"));
        long validationSeed = Long.parseLong(get(set, "VALSEED", String.valueOf(1_000_000L + seed)));
        float width = Float.parseFloat(get(set, "WIDTH", "0.125"));
        int batch = 64;
        String method = get(set, "PRETRAIN", "none");
        if (!method.matches("none|simclr|suncet")) {
            throw new IllegalArgumentException("PRETRAIN must be none, simclr or suncet, got '" + method + "'");
        }
        String fts = get(set, "FTS", "0.4:2000:crop0.08:0");
        List<FineTuning> fineTunings = fts.equals("none")
                ? List.of()
                : Arrays.stream(fts.split(",")).map(FineTuning::parse).toList();
        Path cacheFolder = Paths.get(get(set, "CACHE", "runs/probe-cache"));
        try (NDManager manager = NDManager.newBaseManager(device)) {
            manager.getEngine().setRandomSeed(Math.toIntExact(seed & 0x7fffffff));
            if (set.containsKey("THREADS")) {
                JniUtils.setNumThreads(Integer.parseInt(set.get("THREADS")));
            }
            Path data = Paths.get(get(set, "DATA", DebianFashionMnist.DEFAULT_FOLDER.toString()));
            Path scratch = Files.createDirectories(cacheFolder.resolve("djl-repository"));
            ImageData full = ImageData.fashionMnist(data, Dataset.Usage.TRAIN, manager, scratch);
            ImageData test = ImageData.fashionMnist(data, Dataset.Usage.TEST, manager, scratch);
            HeldOutSplit held = HeldOutSplit.of(full, 5000, validationSeed, manager);
            ImageData pool = held.train();
            LabelSplit split = LabelSplit.balanced(pool.labels(), fraction, seed);
            ImageData labeled = pool.subset(split.indices(), manager);
            byte[] weights = null;
            String settings = "pretrain=none ";
            long started = System.nanoTime();
            if (!method.equals("none")) {
                boolean suncet = method.equals("suncet");
                int epochs = Integer.parseInt(get(set, "PEPOCHS", "8"));
                int n = Integer.parseInt(get(set, "N", "128"));
                int c = Integer.parseInt(get(set, "C", "10"));
                int k = Integer.parseInt(get(set, "K", "2"));
                if (suncet && get(set, "EQUAL_ROWS", "1").equals("1")) {
                    n -= c * k / 2;
                }
                float tau = Float.parseFloat(get(set, "TAU", "0.5"));
                float supervisedTau = Float.parseFloat(get(set, "STAU", "0.1"));
                float lambda = Float.parseFloat(get(set, "LAMBDA", "1"));
                int supervisedEpochs = Integer.parseInt(get(set, "ESUP", String.valueOf(epochs)));
                int stepsPerEpoch = Integer.parseInt(get(set, "SPE", "93"));
                double crop = Double.parseDouble(get(set, "PCROP", "0.08"));
                float rate = Float.parseFloat(get(set, "PLR", "0.075"));
                SupportView supportView = SupportView.parse(get(set, "SAUG", "simclr"));
                settings = String.format(
                        Locale.ROOT,
                        "pretrain=%s pe=%d spe=%d n=%d C=%d K=%d tau=%s stau=%s lambda=%s esup=%d crop=%s plr=%s frac=%s seed=%d width=%s ",
                        method, epochs, stepsPerEpoch, n, c, k, tau, supervisedTau, lambda, supervisedEpochs, crop, rate,
                        fraction, seed, width)
                        + (supportView == SupportView.SIMCLR ? "" : "saug=" + supportView.cliName() + " ");
                Path cache = cacheFolder.resolve(Integer.toHexString((settings + "valseed=" + validationSeed).hashCode()) + ".params");
                if (Files.exists(cache)) {
                    weights = Files.readAllBytes(cache);
                    out.println("pre-trained weights from " + cache);
                } else {
                    PretrainConfig config = new PretrainConfig(
                            suncet, epochs, n, c, k, tau, supervisedTau, lambda, supervisedEpochs, rate, 1e-6f, 0.1f,
                            18, width, seed, stepsPerEpoch, crop, supportView);
                    try (ContrastivePretraining pretraining = new ContrastivePretraining(config, pool, split)) {
                        int knnEvery = Integer.parseInt(get(set, "KNN", "0"));
                        for (int e = 0; e < epochs; e++) {
                            double loss = pretraining.runEpoch(e, null);
                            out.printf(Locale.ROOT, "pretrain %s epoch %d/%d loss %.4f (%.0f s)%n",
                                    method, e + 1, epochs, loss, (System.nanoTime() - started) / 1e9);
                            if (knnEvery > 0 && (e + 1) % knnEvery == 0 && e + 1 < epochs) {
                                out.println("epoch " + (e + 1) + " " + frozenFeatures(pretraining.getNetwork(), labeled, held.validation()));
                            }
                        }
                        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                        pretraining.getNetwork().saveParameters(new DataOutputStream(bytes));
                        weights = bytes.toByteArray();
                        Files.write(cache, weights);
                        settings += String.format(Locale.ROOT, "rows=%d pretrain_s=%.0f ",
                                pretraining.getRowsForwarded(), (System.nanoTime() - started) / 1e9);
                    }
                }
            }
            if (weights != null) {
                try (NDManager scope = manager.newSubManager()) {
                    out.println(settings + frozenFeatures(load(weights, width, scope), labeled, held.validation()));
                }
            }
            for (FineTuning fineTuning : fineTunings) {
                out.println(settings + fineTune(fineTuning, weights, width, labeled, held.validation(), test, seed, batch, manager)
                        + String.format(Locale.ROOT, " frac=%s labeled=%d seed=%d", fraction, labeled.size(), seed));
            }
        }
        return 0;
    }

    private static String fineTune(
            FineTuning f, byte[] weights, float width, ImageData labeled, ImageData validation, ImageData test,
            long seed, int batch, NDManager manager) throws Exception {
        SimClrAugmentation augmentation = f.cropMin() == null
                ? null
                : SimClrAugmentation.cropAndFlip(Math.toIntExact(labeled.images().getShape().get(2)))
                        .optCropScale(f.cropMin(), 1).optSeed(seed).build();
        int epochs = SupervisedTraining.epochsFor(f.steps(), labeled.size(), batch);
        int stepsPerEpoch = labeled.size() / batch;
        try (NDManager scope = manager.newSubManager()) {
            ContrastiveModel network = load(weights, width, scope);
            long started = System.nanoTime();
            try (SupervisedTraining training = new SupervisedTraining(
                    f.headLayers() == LINEAR
                            ? network.linearProbe(labeled.numClasses())
                            : network.fineTuneClassifier(f.headLayers(), labeled.numClasses()),
                    labeled, epochs, batch, f.rate(), seed, 0, augmentation)) {
                int every = Math.max(1, 500 / stepsPerEpoch);
                double best = 0;
                int bestStep = 0;
                double finalValidation = 0;
                double[] last = null;
                StringBuilder curve = new StringBuilder();
                for (int e = 0; e < epochs; e++) {
                    last = training.runEpoch(e);
                    if ((e + 1) % every == 0 || e == epochs - 1) {
                        double v = training.evaluate(validation).top1();
                        finalValidation = v;
                        curve.append(String.format(Locale.ROOT, " %d:%.3f", (e + 1) * stepsPerEpoch, v));
                        if (v > best) {
                            best = v;
                            bestStep = (e + 1) * stepsPerEpoch;
                        }
                    }
                }
                double finalTest = training.evaluate(test).top1();
                return String.format(Locale.ROOT,
                        "RESULT ft=%s steps=%d | train %.3f | val final %.4f best %.4f@%d | test final %.4f | ft %.0f s | curve%s",
                        f.spec(), epochs * stepsPerEpoch, last[1], finalValidation, best, bestStep, finalTest,
                        (System.nanoTime() - started) / 1e9, curve);
            }
        }
    }

    /** The network at {@code width}, with {@code weights} when not null (else its initialisation). */
    private static ContrastiveModel load(byte[] weights, float width, NDManager manager) throws Exception {
        ContrastiveModel network = ContrastivePretraining.network(18, width, 1);
        if (weights != null) {
            network.loadParameters(manager, new DataInputStream(new ByteArrayInputStream(weights)));
        }
        return network;
    }

    /** Soft-kNN validation top-1 on the frozen encoder's features (labeled images as memory) and their mean norm. */
    private static String frozenFeatures(ContrastiveModel network, ImageData labeled, ImageData validation) {
        double[] knn = FrozenKnn.evaluate(network.getEncoder(), labeled, validation);
        return String.format(Locale.ROOT, "FROZEN knn val %.4f |h| %.2f", knn[0], knn[1]);
    }

    private static String get(Map<String, String> set, String key, String fallback) {
        return set.getOrDefault(key, fallback);
    }
}
