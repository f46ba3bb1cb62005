package org.suncet.examples;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.loss.Loss;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.suncet.examples.cli.Options;
import picocli.CommandLine.Model.CommandSpec;
import org.suncet.loss.ContrastiveAccuracy;
import org.suncet.loss.DistillationLoss;
import org.suncet.loss.NcaLoss;
import org.suncet.loss.NtXentLoss;
import org.suncet.loss.SuNCEtLoss;
import org.suncet.loss.SuNCEtPretrainingLoss;
import org.suncet.loss.SupConLoss;

/**
 * {@code suncet losses}: computes every loss of {@code org.suncet.loss} on seeded random embeddings
 * shaped like one SuNCEt pre-training step and prints the values, next to what each loss gives for
 * uninformative (all-equal) embeddings, {@code log(M − 1)}-style baselines a user can check by hand.
 *
 * <p>Options: {@code --seed S} (default 0), {@code --images N} unlabeled images per step (default
 * 64), {@code --classes C} and {@code --per-class K} of the labeled support (default 10 × 2), {@code
 * --dim D} (default 128). Bad values end with a one-line error and exit code 2.
 */
public final class LossShowcase {

    private LossShowcase() {}

    /**
     * The subcommand's options for picocli ({@link Options#command}).
     *
     * @return a fresh specification
     */
    public static CommandSpec command() {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("seed", "0");
        defaults.put("images", "64");
        defaults.put("classes", "10");
        defaults.put("per-class", "2");
        defaults.put("dim", "128");
        return Options.command("suncet losses [--seed S] [--images N] [--classes C] [--per-class K] [--dim D]",
                "Prints NT-Xent, SuNCEt and their sum on random embeddings: N unlabeled images per step,"
                        + " a labeled support of C classes x K images, D dimensions.", defaults, java.util.Set.of());
    }

    /**
     * Runs the showcase.
     *
     * @param args the options
     * @return the exit code
     */
    public static int run(String[] args) {
        Options parsed = Options.parse(command(), args);
        if (parsed.helpRequested()) {
            System.out.print(parsed.help());
            return 0;
        }
        Map<String, Integer> options = new LinkedHashMap<>();
        parsed.values().forEach((name, value) -> options.put("--" + name, parsePositive("--" + name, value)));
        print(System.out, options);
        return 0;
    }

    private static int parsePositive(String name, String value) {
        try {
            int parsed = Integer.parseInt(value);
            if (parsed < 1 && !name.equals("--seed")) {
                throw new IllegalArgumentException(name + " must be >= 1, got " + value);
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, got '" + value + "'", e);
        }
    }

    private static void print(PrintStream out, Map<String, Integer> options) {
        int images = options.get("--images");
        int classes = options.get("--classes");
        int perClass = options.get("--per-class");
        int dim = options.get("--dim");
        if (perClass < 2) {
            throw new IllegalArgumentException("--per-class must be >= 2 (SuNCEt needs positives), got " + perClass);
        }
        int support = classes * perClass;
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(options.get("--seed"));
            NDArray views = manager.randomNormal(new Shape(2L * images, dim));
            NDArray supportRows = manager.randomNormal(new Shape(support, dim));
            NDArray supportLabels = manager.arange(0, classes, 1, DataType.INT64).repeat(perClass);
            NDList labels = new NDList(supportLabels);

            out.printf(
                    "suncet losses on random embeddings: %d unlabeled images x 2 views, support %d classes x %d, D = %d, seed %d%n",
                    images, classes, perClass, dim, options.get("--seed"));
            out.printf("%-34s %10s   %s%n", "loss", "value", "reference point");
            row(out, NtXentLoss.builder().build(), null, views,
                    String.format("log(2N-1) = %.4f for identical rows", Math.log(2.0 * images - 1)));
            row(out, SuNCEtLoss.builder().build(), labels, supportRows,
                    String.format("log((M-1)/(K-1)) = %.4f for identical rows", Math.log((support - 1.0) / (perClass - 1))));
            row(out, SupConLoss.builder().build(), labels, supportRows,
                    String.format("log(M-1) = %.4f for identical rows", Math.log(support - 1.0)));
            row(out, NcaLoss.builder().build(), labels, supportRows,
                    String.format("log((M-1)/(K-1)) = %.4f for identical rows", Math.log((support - 1.0) / (perClass - 1))));
            NDArray teacher = manager.randomNormal(new Shape(images, classes));
            NDArray student = manager.randomNormal(new Shape(images, classes));
            row(out, DistillationLoss.builder().build(), new NDList(teacher), student,
                    "entropy of the teacher when the student copies it");
            SuNCEtPretrainingLoss objective = SuNCEtPretrainingLoss.builder().build();
            NDArray all = views.concat(supportRows, 0);
            row(out, objective, labels, all, "NT-Xent + 1 x SuNCEt, rows routed by index");
            float accuracy = new ContrastiveAccuracy().evaluate(null, new NDList(views)).getFloat();
            out.printf("%-34s %10.4f   chance = 1/(2N-1) = %.4f%n", "ContrastiveAccuracy", accuracy, 1.0 / (2 * images - 1));
        }
    }

    private static void row(PrintStream out, Loss loss, NDList labels, NDArray predictions, String note) {
        float value = loss.evaluate(labels, new NDList(predictions)).getFloat();
        out.printf("%-34s %10.4f   %s%n", loss.getName(), value, note);
    }
}
