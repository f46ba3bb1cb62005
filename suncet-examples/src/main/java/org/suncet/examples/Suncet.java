package org.suncet.examples;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.suncet.train.NonFiniteTrainingException;

/**
 * The {@code suncet} command-line program: one entry point whose first argument names a
 * subcommand. {@code bin/suncet SUBCOMMAND [ARGS...]} builds the project if needed and runs it.
 *
 * <p>Unknown subcommands end with a one-line error and exit code 2. A subcommand that fails ends
 * with one line {@code error: MESSAGE} on standard error (a message of several lines is joined
 * into one) and exit code 2 for bad input ({@link IllegalArgumentException}) and for training that
 * went non-finite ({@link NonFiniteTrainingException}: the run's settings or data made the loss or a
 * gradient NaN or infinite; the message says where and what was kept), 1 otherwise.
 */
public final class Suncet {

    /** A subcommand: takes the remaining arguments and returns the process exit code. */
    @FunctionalInterface
    public interface Command {
        /**
         * Runs the subcommand.
         *
         * @param args the arguments after the subcommand's name
         * @return the process exit code
         * @throws Exception whatever the subcommand fails with; reported as a one-line error
         */
        int run(String[] args) throws Exception;
    }

    private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("demo", Demo::run);
        COMMANDS.put("losses", LossShowcase::run);
        COMMANDS.put("augment-grid", AugmentationGrid::run);
        COMMANDS.put("pretrain", org.suncet.examples.cli.Pretrain::run);
        COMMANDS.put("finetune", org.suncet.examples.cli.Finetune::run);
        COMMANDS.put("evaluate", org.suncet.examples.cli.Evaluate::run);
        COMMANDS.put("distill", org.suncet.examples.cli.Distill::run);
        COMMANDS.put("study", org.suncet.examples.study.Study::run);
        COMMANDS.put("probe", org.suncet.examples.study.RecipeProbe::run);
    }

    private Suncet() {}

    /**
     * Runs the subcommand named by {@code args[0]}.
     *
     * @param args the subcommand and its arguments
     */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the subcommand named by {@code args[0]} and returns its exit code (for tests).
     *
     * @param args the subcommand and its arguments
     * @return the exit code: 0 on success, 2 for a usage error or non-finite training, 1 for a
     *     failure
     */
    public static int run(String[] args) {
        if (args.length == 0 || !COMMANDS.containsKey(args[0])) {
            System.err.println(
                    (args.length == 0 ? "no subcommand given" : "unknown subcommand '" + args[0] + "'")
                            + "; expected one of " + COMMANDS.keySet());
            return 2;
        }
        try {
            return COMMANDS.get(args[0]).run(Arrays.copyOfRange(args, 1, args.length));
        } catch (IllegalArgumentException | NonFiniteTrainingException e) {
            System.err.println("error: " + oneLine(String.valueOf(e.getMessage())));
            return 2;
        } catch (Exception e) {
            System.err.println("error: " + oneLine(e.toString()));
            return 1;
        }
    }

    /** A message on one line: its lines joined by " / " (a library's message may span several). */
    private static String oneLine(String message) {
        return String.join(" / ", message.strip().lines().map(String::strip).filter(line -> !line.isEmpty()).toList());
    }
}
