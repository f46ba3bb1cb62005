package org.suncet.examples.study;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToDoubleFunction;
import org.suncet.examples.recipe.PretrainConfig;
import org.suncet.examples.recipe.SupportView;
import org.suncet.examples.run.LinePlot;
import org.suncet.examples.run.Versions;

/**
 * Writes the study's Markdown report and figures from its records: the setup, a table per labeled
 * fraction (mean, standard deviation and range of test top-1 over seeds, compute in rows forwarded
 * and seconds), the paired SuNCEt − SimCLR difference per budget with its standard error, and the
 * verdict, computed from the numbers: the smallest SuNCEt budget whose mean reaches SimCLR's best
 * mean, and the fraction of SimCLR's pre-training compute it used.
 */
public final class StudyReport {

    private final StudyConfig config;
    private final List<StudyRecord> records;
    private final boolean quick;
    private final Versions versions;

    /**
     * Makes a report.
     *
     * @param config what the study ran
     * @param records the finished cells
     * @param quick whether this was the {@code --quick} smoke run
     * @param versions the software versions
     */
    public StudyReport(StudyConfig config, List<StudyRecord> records, boolean quick, Versions versions) {
        this.config = config;
        this.records = List.copyOf(records);
        this.quick = quick;
        this.versions = versions;
    }

    /** Mean, sample standard deviation, minimum, maximum and count of some values. */
    record Summary(double mean, double sd, double min, double max, int n) {
        static Summary of(double[] values) {
            int n = values.length;
            double mean = 0;
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            for (double v : values) {
                mean += v / n;
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            double squares = 0;
            for (double v : values) {
                squares += (v - mean) * (v - mean);
            }
            return new Summary(mean, n > 1 ? Math.sqrt(squares / (n - 1)) : Double.NaN, min, max, n);
        }
    }

    /** What a verdict, a difference table or a figure measures. */
    record Metric(String name, String file, ToDoubleFunction<StudyRecord> value) {}

    /** Test top-1 after fine-tuning, the paper's measure. */
    static final Metric FINE_TUNED = new Metric("test top-1 after fine-tuning", "accuracy", StudyRecord::top1);

    /** Soft-kNN test top-1 of the frozen pre-trained features. */
    static final Metric FROZEN = new Metric("frozen soft-kNN test top-1", "knn", StudyRecord::knnTop1);

    private List<StudyRecord> cells(double fraction, String method, int budget) {
        return records.stream()
                .filter(r -> r.fraction() == fraction && r.method().equals(method) && r.budget() == budget)
                .toList();
    }

    private Optional<Summary> summary(double fraction, String method, int budget, ToDoubleFunction<StudyRecord> value) {
        List<StudyRecord> cells = cells(fraction, method, budget);
        return cells.isEmpty()
                ? Optional.empty()
                : Optional.of(Summary.of(cells.stream().mapToDouble(value).toArray()));
    }

    /** The per-seed SuNCEt − SimCLR top-1 differences at one budget, over seeds that have both. */
    private double[] pairedDifferences(double fraction, int budget, Metric metric) {
        return pairedAcross(fraction, budget, budget, metric);
    }

    /** Per seed, SuNCEt at {@code suncetBudget} minus SimCLR at {@code simclrBudget}, top-1. */
    private double[] pairedAcross(double fraction, int suncetBudget, int simclrBudget, Metric metric) {
        List<Double> differences = new ArrayList<>();
        for (StudyRecord suncet : cells(fraction, "suncet", suncetBudget)) {
            cells(fraction, "simclr", simclrBudget).stream()
                    .filter(s -> s.seed() == suncet.seed())
                    .findFirst()
                    .ifPresent(s -> differences.add(metric.value().applyAsDouble(suncet) - metric.value().applyAsDouble(s)));
        }
        return differences.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /**
     * Writes the report and its figures.
     *
     * <p>A hand-written {@code notes.md} in {@code figures} (what was tried, what it means), if
     * present, is appended, so regenerating the report keeps it.
     *
     * @param report the Markdown file
     * @param figures the folder of the PNG figures, results.csv and notes.md
     * @throws IOException if a file cannot be written
     */
    public void write(Path report, Path figures) throws IOException {
        double seconds = trainingSeconds();
        Files.createDirectories(figures);
        Path reportFolder = report.toAbsolutePath().getParent();
        Files.createDirectories(reportFolder);
        StringBuilder md = new StringBuilder();
        md.append("# Does SuNCEt reach SimCLR's accuracy with less pre-training compute? (Fashion-MNIST, CPU)\n\n");
        if (quick) {
            md.append("**This is the `--quick` smoke run: tiny budgets, its numbers mean nothing.**\n\n");
        }
        md.append(setup(seconds));
        for (double fraction : config.fractions()) {
            String tag = tag(fraction);
            Path rowsFigure = figures.resolve("accuracy-vs-rows-" + tag + ".png");
            Path secondsFigure = figures.resolve("accuracy-vs-seconds-" + tag + ".png");
            Path knnFigure = figures.resolve("knn-vs-rows-" + tag + ".png");
            plot(fraction, rowsFigure, true, FINE_TUNED);
            plot(fraction, secondsFigure, false, FINE_TUNED);
            plot(fraction, knnFigure, true, FROZEN);
            md.append(String.format(Locale.ROOT, "## %s labels%n%n", percent(fraction)));
            md.append(verdict(fraction, FINE_TUNED)).append('\n');
            md.append(verdict(fraction, FROZEN)).append('\n');
            md.append(anchor(fraction));
            md.append(table(fraction)).append('\n');
            md.append(differences(fraction, FINE_TUNED)).append('\n');
            md.append(differences(fraction, FROZEN)).append('\n');
            md.append(String.format(
                    Locale.ROOT, "![test top-1 against pre-training rows, %s labels](%s)%n%n",
                    percent(fraction), relative(reportFolder, rowsFigure)));
            md.append(String.format(
                    Locale.ROOT, "![test top-1 against pre-training seconds, %s labels](%s)%n%n",
                    percent(fraction), relative(reportFolder, secondsFigure)));
            md.append(String.format(
                    Locale.ROOT, "![frozen soft-kNN test top-1 against pre-training rows, %s labels](%s)%n%n",
                    percent(fraction), relative(reportFolder, knnFigure)));
        }
        md.append(reading());
        Path notes = figures.resolve("notes.md");
        if (Files.exists(notes)) {
            md.append('\n').append(Files.readString(notes, StandardCharsets.UTF_8));
        }
        Files.writeString(report, md.toString(), StandardCharsets.UTF_8);
    }

    private static String relative(Path from, Path to) {
        return from.relativize(to.toAbsolutePath()).toString().replace('\\', '/');
    }

    private static String tag(double fraction) {
        return String.format(Locale.ROOT, "%spct", trim(100 * fraction));
    }

    private static String percent(double fraction) {
        return trim(100 * fraction) + " %";
    }

    private static String trim(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }

    /** A float setting as written in the code (0.1, not 0.10000000149011612). */
    private static String trim(float value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Float.toString(value);
    }

    /** mean ± sd, or the mean alone where one seed gives no standard deviation. */
    private static String meanSd(Summary s) {
        return s.n() < 2
                ? String.format(Locale.ROOT, "%.2f", s.mean())
                : String.format(Locale.ROOT, "%.2f ± %.2f", s.mean(), s.sd());
    }

    private static String supportView(SupportView view) {
        return switch (view) {
            case NONE -> "unaugmented: the labeled images themselves";
            case CROP_FLIP -> "random resized crop and flip only, a fresh view at each draw";
            case SIMCLR -> "augmented like the unlabeled views, a fresh view at each draw";
        };
    }

    /**
     * The training seconds of all cells: each pre-training run once (SimCLR's serves every
     * fraction), every fine-tuning, and each distillation without its teacher's fine-tuning.
     */
    double trainingSeconds() {
        double total = 0;
        java.util.Set<String> simclrRuns = new java.util.HashSet<>();
        for (StudyRecord r : records) {
            switch (r.method()) {
                case "simclr" -> {
                    if (simclrRuns.add(r.seed() + "/" + r.budget())) {
                        total += r.pretrainSeconds();
                    }
                    total += r.finetuneSeconds();
                }
                case "suncet" -> total += r.pretrainSeconds() + r.finetuneSeconds();
                case "distilled" -> total += r.finetuneSeconds()
                        - records.stream()
                                .filter(t -> t.is(r.seed(), r.fraction(), r.teacher(), r.budget()))
                                .mapToDouble(StudyRecord::finetuneSeconds)
                                .findFirst()
                                .orElse(0);
                default -> total += r.finetuneSeconds();
            }
        }
        return total;
    }

    private String setup(double seconds) {
        StudyRecord any = records.stream().filter(r -> r.method().equals("suncet")).findFirst().orElse(null);
        int rowsPerStep = any == null ? 256 : any.unlabeledRowsPerStep() + any.supportRowsPerStep();
        return String.format(
                Locale.ROOT,
                """
                Produced by `bin/suncet study%s`: %.0f min of training in all (test evaluations not \
                counted) on this project's machine (2 vCPUs, shared; other work ran at the same time, so \
                seconds are noisier than rows). suncet %s, Java %s, DJL %s, \
                %s (CPU).

                **Claim tested** (Assran et al. 2020, SPEC §8): adding SuNCEt to SimCLR reaches SimCLR's \
                fine-tuned semi-supervised accuracy with less than half the pre-training compute (ImageNet, \
                10 %% labels: SimCLR 61.7 / 63.8 / 64.8 / 65.5 / 66.1 %% at 100 / 200 / 300 / 500 / 1000 \
                epochs; SimCLR + SuNCEt 63.2 / 64.8 / 65.6 / 66.7 %% at 100 / 200 / 300 / 500).

                **Setup.**
                - Data: Fashion-MNIST (Debian's `dataset-fashion-mnist`): %d training images as the \
                unlabeled set, from those left after a fixed seeded, class-balanced hold-out of %d \
                validation images (the recipe was chosen on those, and they choose the distillation \
                teacher; the test images serve only the numbers below); %s test images. Labeled \
                fractions %s of the unlabeled set, class-balanced, drawn per seed.
                - Seeds %s: each seed changes the label split, initialisation, order and augmentation.
                - Network: ResNet-18 at width 1/8 with the CIFAR stem (3×3 stem, no max-pool), one input \
                channel, zero-initialised last BN of each block; SimCLR v1 projection head (2 layers, 128-d).
                - Pre-training: SimCLR's CIFAR augmentation (random resized crop at 28 px, flip, colour \
                jitter at strength 0.5, grayscale; no blur); LARS, base 0.075·√n, momentum 0.9, weight \
                decay 1e-6, 10 %% linear warm-up then cosine to 0; budgets of %s epochs, each a separate \
                run with its own schedule, %s steps per epoch. SimCLR: n = %s images, 2 views, NT-Xent \
                τ = %s. SimCLR + SuNCEt: n = %s images plus a labeled support of C = %s classes × K = %s \
                (%s), SuNCEt with the same τ, \
                weight λ = %s, on for every epoch (as in the official code); both forward %d rows per step.
                - Fine-tuning (all methods, the supervised-only baseline included): the whole encoder plus \
                a new linear layer, Nesterov SGD momentum 0.9, rate base·B/256 with B = %d (fewer when \
                fewer images are labeled), cosine decay, random crop and flip; each network is fine-tuned \
                once per recipe %s (base rate × share of the steps), from the same weights, for %s steps \
                at full length (per fraction), its validation top-1 measured every %d steps and at the \
                end; the weights at the best validation point of all recipes are the cell's (their test \
                top-1 is reported; the chosen recipe and step are in `results.csv`).
                - Frozen features: before fine-tuning, the pre-trained encoder's soft-kNN top-1 \
                (τ = %s, cosine, the labeled images as memory) on the test images, reported beside the \
                fine-tuned accuracy because fine-tuning on the labels can hide what pre-training did.
                - Distillation (SimCLRv2 §2.3): the fine-tuned network at the largest budget whose \
                validation top-1 is higher (SimCLR or SimCLR + SuNCEt) teaches a ResNet-18 at width %s on \
                the unlabeled images, temperature 1, no labels, %d epochs, LARS base %.3g·√n with n = %d.
                - Compute: rows forwarded in pre-training, summed step by step (the x axis), and \
                pre-training wall-clock seconds. Accuracy: top-1 on the test images, mean ± sample \
                standard deviation over seeds, with the range.

                """,
                quick ? " --quick" : "", seconds / 60, versions.suncet(), versions.java(), versions.djl(),
                versions.engine(), config.trainImages(), config.validationImages(),
                config.testImages() == 0 ? "all 10,000" : Integer.toString(config.testImages()),
                config.fractions().stream().map(StudyReport::percent).toList(), config.seeds(),
                config.budgets(),
                config.pretrainStepsPerEpoch() == 0
                        ? Integer.toString(config.trainImages() / 128)
                        : Integer.toString(config.pretrainStepsPerEpoch()),
                PretrainConfig.RECIPE_ROWS / 2, trim(PretrainConfig.RECIPE_TEMPERATURE),
                (PretrainConfig.RECIPE_ROWS - PretrainConfig.RECIPE_CLASSES * PretrainConfig.RECIPE_IMAGES_PER_CLASS) / 2,
                PretrainConfig.RECIPE_CLASSES, PretrainConfig.RECIPE_IMAGES_PER_CLASS,
                supportView(PretrainConfig.RECIPE_SUPPORT_VIEW), trim(PretrainConfig.RECIPE_WEIGHT), rowsPerStep, config.finetuneBatch(),
                config.finetuneRecipes().stream().map(r -> trim(r.baseRate()) + " × " + trim(r.stepShare())).toList(),
                config.finetuneSteps(), config.evaluateEvery(), trim(FrozenKnn.TEMPERATURE), trim(config.studentWidth()),
                config.distillEpochs(), config.distillRate(), config.distillBatch());
    }

    private String table(double fraction) {
        StringBuilder t = new StringBuilder();
        t.append("| method | budget (epochs) | pre-training rows | pre-training s | test top-1 % (mean ± sd) | range "
                + "| validation top-1 % | frozen soft-kNN test top-1 % | seeds |\n");
        t.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"supervised only", "0"});
        for (int b : config.budgets()) {
            rows.add(new String[] {"SimCLR", Integer.toString(b)});
        }
        for (int b : config.budgets()) {
            rows.add(new String[] {"SimCLR + SuNCEt", Integer.toString(b)});
        }
        rows.add(new String[] {"distilled student", Integer.toString(config.maxBudget())});
        for (String[] row : rows) {
            String method = method(row[0]);
            int budget = Integer.parseInt(row[1]);
            Optional<Summary> top1 = summary(fraction, method, budget, r -> 100 * r.top1());
            if (top1.isEmpty()) {
                continue;
            }
            Summary acc = top1.get();
            Summary pretrainRows = summary(fraction, method, budget, r -> r.pretrainRows()).orElseThrow();
            Summary pretrainSeconds = summary(fraction, method, budget, StudyRecord::pretrainSeconds).orElseThrow();
            String name = row[0];
            if (method.equals("distilled")) {
                name += " (" + teachers(fraction) + ")";
            }
            Summary onValidation = summary(fraction, method, budget, r -> 100 * r.validationTop1()).orElseThrow();
            Summary knn = summary(fraction, method, budget, r -> 100 * r.knnTop1()).orElseThrow();
            t.append(String.format(
                    Locale.ROOT, "| %s | %d | %.0f | %.0f | %s | %.2f–%.2f | %s | %s | %d |%n",
                    name, budget, pretrainRows.mean(), pretrainSeconds.mean(), meanSd(acc), acc.min(),
                    acc.max(), Double.isNaN(onValidation.mean()) ? "–" : String.format(Locale.ROOT, "%.2f", onValidation.mean()),
                    Double.isNaN(knn.mean()) ? "–" : meanSd(knn),
                    acc.n()));
        }
        return t.toString();
    }

    private String teachers(double fraction) {
        List<StudyRecord> distilled = cells(fraction, "distilled", config.maxBudget());
        long suncet = distilled.stream().filter(r -> r.teacher().equals("suncet")).count();
        long parameters = distilled.isEmpty() ? 0 : distilled.get(0).parameters();
        long teacherParameters =
                cells(fraction, "simclr", config.maxBudget()).stream().mapToLong(StudyRecord::parameters).findFirst().orElse(0);
        return String.format(
                Locale.ROOT, "%,d vs the teacher's %,d parameters; teacher SuNCEt in %d of %d seeds",
                parameters, teacherParameters, suncet, distilled.size());
    }

    /** The methods' keys in results.csv and their names in the report's tables. */
    private static final Map<String, String> LABELS = Map.of(
            "supervised", "supervised only", "simclr", "SimCLR", "suncet", "SimCLR + SuNCEt", "distilled", "distilled student");

    private static String label(String method) {
        return method.equals("distilled") ? "the distilled student" : LABELS.get(method);
    }

    private static String method(String name) {
        return LABELS.entrySet().stream().filter(e -> e.getValue().equals(name)).map(Map.Entry::getKey).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no method is named '" + name + "'"));
    }

    private String differences(double fraction, Metric metric) {
        StringBuilder t = new StringBuilder();
        t.append("Paired by seed (same label split), SuNCEt − SimCLR " + metric.name() + " at equal budget:\n\n");
        t.append("| budget (epochs) | difference, points (mean ± standard error) | seeds |\n|---:|---:|---:|\n");
        for (int b : config.budgets()) {
            double[] d = pairedDifferences(fraction, b, metric);
            if (d.length == 0) {
                continue;
            }
            Summary s = Summary.of(d);
            t.append(String.format(
                    Locale.ROOT, "| %d | %s | %d |%n", b, s.n() < 2
                            ? String.format(Locale.ROOT, "%+.2f", 100 * s.mean())
                            : String.format(Locale.ROOT, "%+.2f ± %.2f", 100 * s.mean(), 100 * s.sd() / Math.sqrt(s.n())),
                    s.n()));
        }
        return t.toString();
    }

    /**
     * The verdict for one fraction, from the means: SimCLR's best mean top-1 and its budget, and the
     * smallest SuNCEt budget whose mean reaches it, with the ratio of pre-training rows. "Yes" needs
     * that budget to use at most half of SimCLR's rows (the paper's claim); a SuNCEt budget that
     * reaches SimCLR's best only with more rows is a "no" that says so. Two caveats follow the
     * verdict where they hold: SimCLR's best at the smallest budget (the budgets then do not show
     * SimCLR still rising, and "half its rows" is below what was measured), and, for the fine-tuned
     * metric, where both stand against the supervised-only baseline on the same labels.
     */
    String verdict(double fraction) {
        return verdict(fraction, FINE_TUNED);
    }

    /**
     * The best mean fine-tuned test top-1 of any method and budget beside issue 15's anchor, a plain
     * supervised 5-conv CNN (140k parameters, 2,000 steps of 64) at 82.3 % with 1 % of the labels and
     * 88.9 % with 10 %; empty for other fractions.
     */
    String anchor(double fraction) {
        double cnn = fraction == 0.01 ? 82.3 : fraction == 0.1 ? 88.9 : Double.NaN;
        if (Double.isNaN(cnn)) {
            return "";
        }
        String bestName = null;
        double bestMean = Double.NEGATIVE_INFINITY;
        List<String[]> candidates = new ArrayList<>();
        candidates.add(new String[] {"supervised", "0"});
        for (int b : config.budgets()) {
            candidates.add(new String[] {"simclr", Integer.toString(b)});
            candidates.add(new String[] {"suncet", Integer.toString(b)});
        }
        candidates.add(new String[] {"distilled", Integer.toString(config.maxBudget())});
        for (String[] c : candidates) {
            Optional<Summary> s = summary(fraction, c[0], Integer.parseInt(c[1]), FINE_TUNED.value());
            if (s.isPresent() && 100 * s.get().mean() > bestMean) {
                bestMean = 100 * s.get().mean();
                bestName = c[0].equals("supervised") || c[0].equals("distilled")
                        ? label(c[0])
                        : label(c[0]) + " at " + c[1] + " epochs";
            }
        }
        if (bestName == null) {
            return "";
        }
        return String.format(
                Locale.ROOT,
                "**Beside the CNN anchor.** A plain supervised 5-conv CNN (140k parameters, 2,000 steps of 64; "
                        + "measured by issue 15's author, CPU not stated; not by this study) reaches %.1f %% test top-1 with these "
                        + "labels. The best mean here is %.2f %% (%s): %+.2f points, %s.%n%n",
                cnn, bestMean, bestName, bestMean - cnn,
                bestMean > cnn ? "above it" : "below it: no method here beats the anchor");
    }

    /** The verdict for one fraction on {@code metric}; see {@link #verdict(double)}. */
    String verdict(double fraction, Metric metric) {
        int best = -1;
        double bestMean = Double.NEGATIVE_INFINITY;
        for (int b : config.budgets()) {
            Optional<Summary> s = summary(fraction, "simclr", b, metric.value());
            if (s.isPresent() && s.get().mean() > bestMean) {
                bestMean = s.get().mean();
                best = b;
            }
        }
        if (best < 0) {
            return "No SimCLR result yet (" + metric.name() + ").\n";
        }
        String caveats = caveats(fraction, metric, best, bestMean);
        double simclrRows = summary(fraction, "simclr", best, r -> r.pretrainRows()).orElseThrow().mean();
        double simclrSeconds = summary(fraction, "simclr", best, StudyRecord::pretrainSeconds).orElseThrow().mean();
        for (int b : config.budgets()) {
            Optional<Summary> s = summary(fraction, "suncet", b, metric.value());
            if (s.isPresent() && s.get().mean() >= bestMean) {
                double rows = summary(fraction, "suncet", b, r -> r.pretrainRows()).orElseThrow().mean();
                double secs = summary(fraction, "suncet", b, StudyRecord::pretrainSeconds).orElseThrow().mean();
                Summary gap = Summary.of(pairedAcross(fraction, b, best, metric));
                String answer = rows <= 0.5 * simclrRows
                        ? "yes, on the means"
                        : "no: SuNCEt reaches SimCLR's best, but not with half its rows or less";
                return String.format(
                        Locale.ROOT,
                        "**Verdict (%s): %s.** SimCLR's best mean is %.2f %% (at %d epochs, "
                                + "%.0f pre-training rows). SimCLR + SuNCEt reaches it at %d epochs (%.2f %%) with "
                                + "%.0f rows: %.0f %% of SimCLR's rows and %.0f %% of its seconds. Paired by seed, "
                                + "SuNCEt at %d epochs minus SimCLR at %d epochs is %s.%s%n",
                        metric.name(), answer, 100 * bestMean, best, simclrRows, b, 100 * s.get().mean(), rows,
                        100 * rows / simclrRows, 100 * secs / simclrSeconds, b, best,
                        paired(gap, "a difference beyond seed noise"), caveats);
            }
        }
        int suncetBest = -1;
        double suncetBestMean = Double.NEGATIVE_INFINITY;
        for (int b : config.budgets()) {
            Optional<Summary> s = summary(fraction, "suncet", b, metric.value());
            if (s.isPresent() && s.get().mean() > suncetBestMean) {
                suncetBestMean = s.get().mean();
                suncetBest = b;
            }
        }
        if (suncetBest < 0) {
            return String.format(
                    Locale.ROOT, "**Verdict (%s): not measured.** SimCLR's best mean is %.2f %%; no SuNCEt result.%s%n",
                    metric.name(), 100 * bestMean, caveats);
        }
        Summary gap = Summary.of(pairedAcross(fraction, suncetBest, best, metric));
        return String.format(
                Locale.ROOT,
                "**Verdict (%s): no.** SimCLR's best mean is %.2f %% (at %d epochs); no SimCLR + SuNCEt "
                        + "budget reaches it on the mean. SuNCEt's best is %.2f %% at %d epochs; paired by seed it is "
                        + "%s from SimCLR's best.%s%n",
                metric.name(), 100 * bestMean, best, 100 * suncetBestMean, suncetBest,
                paired(gap, "a real shortfall at this scale"), caveats);
    }

    /** "m ± se points (mean ± standard error, n seeds; what it means)". */
    private static String paired(Summary gap, String beyondNoise) {
        double se = gap.sd() / Math.sqrt(gap.n());
        String noise =
                gap.n() < 2
                        ? "one seed: no estimate of the noise"
                        : Math.abs(gap.mean()) > 2 * se
                                ? "more than two standard errors: " + beyondNoise
                                : "within two standard errors: not distinguishable from seed noise";
        if (gap.n() < 2) {
            return String.format(Locale.ROOT, "%+.2f points (%s)", 100 * gap.mean(), noise);
        }
        return String.format(Locale.ROOT, "%+.2f ± %.2f points (mean ± standard error, %d seeds; %s)",
                100 * gap.mean(), 100 * se, gap.n(), noise);
    }

    /** The caveats of a verdict, each a sentence with a leading space; empty when none holds. */
    private String caveats(double fraction, Metric metric, int simclrBest, double simclrBestMean) {
        StringBuilder out = new StringBuilder();
        int smallest = config.budgets().get(0);
        if (simclrBest == smallest && config.budgets().size() > 1) {
            out.append(String.format(Locale.ROOT,
                    " SimCLR's best is at the smallest budget (%d epochs): these budgets do not show SimCLR still"
                            + " rising, so they cannot show SuNCEt saving half of SimCLR's compute.",
                    smallest));
        }
        if (metric == FINE_TUNED) {
            Optional<Summary> supervised = summary(fraction, "supervised", 0, metric.value());
            if (supervised.isPresent()) {
                double[] gaps = records.stream()
                        .filter(r -> r.fraction() == fraction && r.method().equals("simclr") && r.budget() == simclrBest)
                        .flatMap(r -> cells(fraction, "supervised", 0).stream()
                                .filter(u -> u.seed() == r.seed())
                                .map(u -> metric.value().applyAsDouble(r) - metric.value().applyAsDouble(u)))
                        .mapToDouble(Double::doubleValue)
                        .toArray();
                out.append(String.format(Locale.ROOT,
                        " The supervised-only baseline on the same labels has %.2f %%; SimCLR's best minus it, paired"
                                + " by seed, is %s.",
                        100 * supervised.get().mean(),
                        gaps.length == 0 ? "not measured" : paired(Summary.of(gaps), "pre-training changes the result")));
            }
        }
        return out.toString();
    }

    /**
     * Points below the lowest other mean by more than this are left out of a figure (the distilled
     * student's, when it is far below the rest); the table still reports them.
     */
    static final double DISTILLED_PLOT_MARGIN = 15;

    /**
     * Whether a figure of {@code metric} shows the distilled student: only when it has a mean and that
     * mean is at most {@link #DISTILLED_PLOT_MARGIN} points below every other method's mean at every
     * budget (a student far below the rest would flatten the curves the figure is for; the table
     * reports it either way).
     */
    boolean figureShowsDistilled(double fraction, Metric metric) {
        ToDoubleFunction<StudyRecord> percent = r -> 100 * metric.value().applyAsDouble(r);
        Optional<Summary> student =
                summary(fraction, "distilled", config.maxBudget(), percent).filter(s -> !Double.isNaN(s.mean()));
        if (student.isEmpty()) {
            return false;
        }
        double lowest = Double.POSITIVE_INFINITY;
        List<Optional<Summary>> others = new ArrayList<>();
        others.add(summary(fraction, "supervised", 0, percent));
        for (int b : config.budgets()) {
            others.add(summary(fraction, "simclr", b, percent));
            others.add(summary(fraction, "suncet", b, percent));
        }
        for (Optional<Summary> other : others) {
            if (other.isPresent() && !Double.isNaN(other.get().mean())) {
                lowest = Math.min(lowest, other.get().mean());
            }
        }
        return student.get().mean() >= lowest - DISTILLED_PLOT_MARGIN;
    }

    private void plot(double fraction, Path file, boolean rows, Metric metric) throws IOException {
        LinePlot.Builder plot =
                LinePlot.builder()
                        .setTitle("Fashion-MNIST, " + percent(fraction) + " labels: " + metric.name())
                        .optAxisLabels(rows ? "pre-training rows forwarded" : "pre-training seconds", metric.name() + " (%)");
        ToDoubleFunction<StudyRecord> x = rows ? r -> r.pretrainRows() : StudyRecord::pretrainSeconds;
        double maxX = 0;
        for (String method : List.of("simclr", "suncet")) {
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (int b : config.budgets()) {
                Optional<Summary> acc = summary(fraction, method, b, r -> 100 * metric.value().applyAsDouble(r));
                if (acc.isPresent()) {
                    xs.add(summary(fraction, method, b, x).orElseThrow().mean());
                    ys.add(acc.get().mean());
                }
            }
            if (!xs.isEmpty()) {
                maxX = Math.max(maxX, xs.get(xs.size() - 1));
                String name = method.equals("simclr") ? "SimCLR (mean)" : "SimCLR + SuNCEt (mean)";
                plot.addSeries(name, xs.stream().mapToDouble(Double::doubleValue).toArray(),
                        ys.stream().mapToDouble(Double::doubleValue).toArray());
            }
        }
        final double right = Math.max(maxX, 1);
        Optional<Summary> supervised = summary(fraction, "supervised", 0, r -> 100 * metric.value().applyAsDouble(r))
                .filter(s -> !Double.isNaN(s.mean()));
        summary(fraction, "distilled", config.maxBudget(), r -> 100 * metric.value().applyAsDouble(r))
                .filter(s -> figureShowsDistilled(fraction, metric))
                .ifPresent(s -> plot.addSeries(
                        "distilled student (mean)",
                        new double[] {summary(fraction, "distilled", config.maxBudget(), x).orElseThrow().mean()},
                        new double[] {s.mean()}));
        // no pre-training: a level line across the plot
        supervised.ifPresent(s -> plot.addSeries("supervised only (mean)", new double[] {0, right},
                        new double[] {s.mean(), s.mean()}));
        plot.build().write(file);
    }

    private String reading() {
        return """
                ## How to read this

                - Each budget is its own pre-training run (warm-up and cosine decay fitted to its length), \
                not a checkpoint of a longer run, as in the paper's tables.
                - A figure leaves out the distilled student when its mean is more than %s points below \
                every other point (it would flatten the curves the figure is for); the table reports it.
                - SuNCEt's rows include the labeled support it forwards; the two methods forward the same \
                rows per step while SuNCEt is on, so a curve to the left is cheaper at equal accuracy.
                - The standard error is the sample standard deviation of the per-seed differences over √seeds; \
                with three seeds a difference smaller than about two standard errors is not evidence either way.
                - The raw cells, one per line, are in `study/results.csv` next to this file; \
                `bin/suncet study --resume` continues an interrupted run from it.
                """.formatted(trim(DISTILLED_PLOT_MARGIN));
    }
}
