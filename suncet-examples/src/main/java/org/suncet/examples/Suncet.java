package org.suncet.examples;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.suncet.models.ConvolutionKernelCheck;
import org.suncet.ndarray.MallocTuning;
import org.suncet.train.NonFiniteTrainingException;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The {@code suncet} command-line program: one entry point whose first argument names a
 * subcommand. {@code bin/suncet SUBCOMMAND [ARGS...]} builds the project if needed and runs it.
 * Each subcommand parses its flags with picocli ({@link org.suncet.examples.cli.Options}) and
 * prints its usage, with every default, for {@code -h} or {@code --help}; {@code suncet --help} (or
 * {@code -h}, {@code help}) lists the subcommands, {@code suncet help SUBCOMMAND} is {@code suncet
 * SUBCOMMAND --help}, and {@code suncet completion} prints a bash completion script (picocli's
 * {@link AutoComplete}): {@code source <(bin/suncet completion)}.
 *
 * <p>Unknown subcommands end with a one-line error and exit code 2. A subcommand that fails ends
 * with one line {@code error: MESSAGE} on standard error (a message of several lines is joined
 * into one) and exit code 2 for bad input ({@link IllegalArgumentException}, picocli's parse errors
 * included) and for training that went non-finite ({@link NonFiniteTrainingException}: the run's
 * settings or data made the loss or a gradient NaN or infinite; the message says where and what was
 * kept), 1 otherwise; a run's file that could not be written ({@link
 * org.suncet.examples.run.RunWriteException}: a full disk) gives exit code 1 and a line that names
 * the file and the last complete checkpoint.
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

    /** A subcommand's one-line summary, its picocli specification (for help and completion) and its body. */
    private record Entry(String summary, Supplier<CommandSpec> spec, Command command) {}

    private static final Map<String, Entry> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("demo", new Entry("pre-train, fine-tune and compare on Fashion-MNIST in one go", Demo::command, Demo::run));
        COMMANDS.put("losses", new Entry("print the losses on random embeddings", LossShowcase::command, LossShowcase::run));
        COMMANDS.put("augment-grid", new Entry("draw a grid of augmented views to a PNG",
                AugmentationGrid::command, AugmentationGrid::run));
        COMMANDS.put("pretrain", new Entry("SimCLR or SimCLR + SuNCEt pre-training into a run folder",
                org.suncet.examples.cli.Pretrain::command, org.suncet.examples.cli.Pretrain::run));
        COMMANDS.put("finetune", new Entry("fine-tune a pre-trained run on its labeled split",
                org.suncet.examples.cli.Finetune::command, org.suncet.examples.cli.Finetune::run));
        COMMANDS.put("evaluate", new Entry("print the test accuracy of a run",
                org.suncet.examples.cli.Evaluate::command, org.suncet.examples.cli.Evaluate::run));
        COMMANDS.put("distill", new Entry("distil a fine-tuned run into a smaller student",
                org.suncet.examples.cli.Distill::command, org.suncet.examples.cli.Distill::run));
        COMMANDS.put("study", new Entry("the label-fraction by budget study and its report",
                org.suncet.examples.study.Study::command, org.suncet.examples.study.Study::run));
        COMMANDS.put("probe", new Entry("one recipe setting, KEY=VALUE, for quick experiments",
                org.suncet.examples.study.RecipeProbe::command, org.suncet.examples.study.RecipeProbe::run));
    }

    private Suncet() {}

    /**
     * Runs the subcommand named by {@code args[0]}.
     *
     * @param args the subcommand and its arguments
     */
    public static void main(String[] args) {
        MallocTuning.ensureApplied(); // before the first tensor, so that libtorch sees its huge-page switch
        ConvolutionKernelCheck.ensureChecked(); // before the first convolution (oneDNN on a VM with no cache description)
        System.exit(run(args));
    }

    /**
     * Runs the subcommand named by {@code args[0]} and returns its exit code (for tests).
     *
     * @param args the subcommand and its arguments
     * @return the exit code: 0 on success (and for help), 2 for a usage error or non-finite training,
     *     1 for a failure
     */
    public static int run(String[] args) {
        String name = args.length == 0 ? "" : args[0];
        if (name.equals("-h") || name.equals("--help") || (name.equals("help") && args.length == 1)) {
            System.out.print(commandLine().getUsageMessage());
            return 0;
        }
        if (name.equals("help")) {
            return run(new String[] {args[1], "--help"});
        }
        if (name.equals("completion")) {
            System.out.print(AutoComplete.bash("suncet", commandLine()));
            return 0;
        }
        if (!COMMANDS.containsKey(name)) {
            System.err.println("error: " + (args.length == 0 ? "no subcommand given" : "unknown subcommand '" + oneLine(name) + "'")
                    + "; expected one of " + COMMANDS.keySet() + " (suncet --help lists them)");
            return 2;
        }
        try {
            return COMMANDS.get(name).command().run(Arrays.copyOfRange(args, 1, args.length));
        } catch (IllegalArgumentException | NonFiniteTrainingException e) {
            System.err.println("error: " + oneLine(String.valueOf(e.getMessage())));
            return 2;
        } catch (org.suncet.examples.run.RunWriteException e) {
            // a file of a run could not be written: the message names it and what the run kept
            System.err.println("error: " + oneLine(String.valueOf(e.getMessage())));
            return 1;
        } catch (Exception e) {
            System.err.println("error: " + oneLine(e.toString()));
            return 1;
        }
    }

    /** The whole program for picocli: every subcommand with its options, for the help and completion. */
    private static CommandLine commandLine() {
        CommandSpec top = CommandSpec.create().name("suncet");
        top.addOption(CommandLine.Model.OptionSpec.builder("-h", "--help").usageHelp(true)
                .description("print this help and exit").build());
        top.usageMessage()
                .description("Contrastive semi-supervised pre-training (SimCLR + SuNCEt) on DJL.",
                        "Run suncet SUBCOMMAND --help for a subcommand's options and defaults.")
                .commandListHeading("%nSubcommands:%n");
        CommandLine line = new CommandLine(top);
        COMMANDS.forEach((name, entry) -> {
            CommandSpec spec = entry.spec().get();
            spec.usageMessage().header(entry.summary());
            line.addSubcommand(name, new CommandLine(spec));
        });
        CommandSpec help = CommandSpec.create().name("help");
        help.usageMessage().header("print the help of suncet, or of a subcommand: suncet help SUBCOMMAND");
        line.addSubcommand("help", new CommandLine(help));
        CommandSpec completion = CommandSpec.create().name("completion");
        completion.usageMessage().header("print a bash completion script: source <(bin/suncet completion)");
        line.addSubcommand("completion", new CommandLine(completion));
        return line;
    }

    /** A message on one line: its lines joined by " / " (a library's message may span several). */
    private static String oneLine(String message) {
        return String.join(" / ", message.strip().lines().map(String::strip).filter(line -> !line.isEmpty()).toList());
    }
}
