package org.suncet.examples.cli;

import ai.djl.Device;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * The parsed flags of one subcommand, parsed by picocli ({@link CommandLine}) from a {@link
 * CommandSpec} that {@link #command} builds: {@code --name value} options (arity 1: a missing value,
 * or an option where the value should be, is refused) that start from the subcommand's defaults,
 * {@code --name} switches, and {@code -h}/{@code --help}, which prints the usage with every default.
 * {@code --data image-folder PATH} takes two values and records the path as {@code image-folder}.
 * The values are kept as the text given (a run folder's configuration records them so); the typed
 * accessors ({@link #integer}, {@link #positive}, ...) check them. An unknown flag, a missing value
 * or a value of the wrong kind throws {@link IllegalArgumentException} with a one-line message that
 * names the flag and the usage line.
 */
public final class Options {

    /** What the usage help says of the options many subcommands share. */
    private static final Map<String, String> DESCRIPTIONS = Map.ofEntries(
            Map.entry("device", DeviceOption.DESCRIPTION),
            Map.entry("out", "the run folder to write"),
            Map.entry("resume", "continue the run in --out from its last checkpoint"),
            Map.entry("overwrite", "delete the run in --out and start again"),
            Map.entry("seed", "the random seed"),
            Map.entry("epochs", "training epochs"),
            Map.entry("batch", "images per step"),
            Map.entry("lr", "base learning rate"),
            Map.entry("data", "fashion-mnist, cifar10 or image-folder PATH"),
            Map.entry("data-dir", "the folder of the Fashion-MNIST .gz files"),
            Map.entry("image-folder", "the image folder (same as --data image-folder PATH)"),
            Map.entry("test-folder", "an image folder of test images with the same classes"),
            Map.entry("holdout-fraction", "hold out this fraction of each class as test images"),
            Map.entry("label-fraction", "fraction of the training images whose labels are used"),
            Map.entry("train-images", "use this many training images (0: all)"),
            Map.entry("test-images", "use this many test images (0: all)"),
            Map.entry("image-size", "side of the square images an image folder is resized to"),
            Map.entry("from", "the run folder to start from"),
            Map.entry("support-augmentation", "how SuNCEt's labeled support is augmented: none (the recipe's), crop-flip or simclr"),
            Map.entry("suncet-epochs", "SuNCEt is on for this many first epochs (empty: all)"),
            Map.entry("temperature", "NT-Xent temperature"),
            Map.entry("suncet-temperature", "SuNCEt temperature"),
            Map.entry("classes-per-step", "C, classes of SuNCEt's labeled support per step"),
            Map.entry("images-per-class", "K, labeled images of each class per step (the recipe: 8)"),
            Map.entry("skip-unreadable", TrainingData.SKIP_UNREADABLE_HELP));

    private final String usage;
    private final List<String> positionals;
    private final Map<String, String> values;
    private final Set<String> switchesOn;
    private final boolean helpRequested;
    private final String help;

    private Options(String usage, List<String> positionals, Map<String, String> values, Set<String> switchesOn,
            boolean helpRequested, String help) {
        this.usage = usage;
        this.positionals = positionals;
        this.values = values;
        this.switchesOn = switchesOn;
        this.helpRequested = helpRequested;
        this.help = help;
    }

    /**
     * Describes a subcommand's flags for picocli: the usage help shows {@code usage} as its synopsis,
     * {@code description} below it, and each option with its default.
     *
     * @param usage the subcommand's usage line, {@code suncet NAME ...}; its second word names it
     * @param description what the subcommand does and notes, shown in its usage help
     * @param defaults every option the subcommand takes, with its default ("" for none)
     * @param switches the switches it takes ({@code help} is always there)
     * @return the command's specification
     */
    public static CommandSpec command(String usage, String description, Map<String, String> defaults, Set<String> switches) {
        String[] words = usage.split(" ");
        CommandSpec spec = CommandSpec.create().name(words.length > 1 ? words[1] : words[0]);
        spec.usageMessage().customSynopsis(usage).description(description.split("\n")).showDefaultValues(true)
                .sortOptions(false).descriptionHeading("%n").optionListHeading("%nOptions:%n").width(100).autoWidth(true);
        spec.parser().overwrittenOptionsAllowed(true); // the last value of a repeated option wins
        spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("print this help and exit").build());
        for (Map.Entry<String, String> option : defaults.entrySet()) {
            String name = option.getKey();
            OptionSpec.Builder builder = OptionSpec.builder("--" + name)
                    .paramLabel(label(usage, name))
                    .description(name.equals("data") && !defaults.containsKey("image-folder") ? "the Fashion-MNIST folder"
                            : DESCRIPTIONS.getOrDefault(name, ""))
                    .defaultValue(option.getValue().isEmpty() ? null : option.getValue());
            if (name.equals("data") && defaults.containsKey("image-folder")) {
                builder.arity("1..2").type(List.class).auxiliaryTypes(String.class);
            } else {
                builder.arity("1").type(String.class);
            }
            spec.addOption(builder.build());
        }
        for (String name : new TreeSet<>(switches)) {
            if (!name.equals("help")) {
                spec.addOption(OptionSpec.builder("--" + name).arity("0").type(boolean.class)
                        .description(DESCRIPTIONS.getOrDefault(name, "")).build());
            }
        }
        return spec;
    }

    /** The option's value label in the usage line ({@code --epochs E} gives {@code E}), else its name. */
    private static String label(String usage, String name) {
        java.util.regex.Matcher matcher =
                java.util.regex.Pattern.compile("--" + java.util.regex.Pattern.quote(name) + " ([A-Z][A-Z_]*)\\b").matcher(usage);
        return matcher.find() ? matcher.group(1) : name.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
    }

    /**
     * Adds positional parameters to a command: any number of them, kept as text ({@link #positionals}).
     *
     * @param command the command {@link #command} built
     * @param label their label in the usage, such as {@code KEY=VALUE}
     * @param description what they are
     * @return the command
     */
    public static CommandSpec withPositionals(CommandSpec command, String label, String description) {
        command.addPositional(CommandLine.Model.PositionalParamSpec.builder().arity("0..*").paramLabel(label)
                .type(List.class).auxiliaryTypes(String.class).description(description).build());
        return command;
    }

    /**
     * The positional parameters given ({@link #withPositionals}), in order.
     *
     * @return the positional parameters, empty if none
     */
    public List<String> positionals() {
        return Collections.unmodifiableList(positionals);
    }

    /**
     * Parses {@code args} against a command that {@link #command} built.
     *
     * @param command the subcommand's specification; used once
     * @param args the arguments after the subcommand
     * @return the parsed flags
     * @throws IllegalArgumentException for an unknown flag or a missing value, naming it and the usage
     */
    public static Options parse(CommandSpec command, String[] args) {
        CommandLine line = new CommandLine(command);
        ParseResult result;
        try {
            result = line.parseArgs(args);
        } catch (ParameterException e) {
            throw new IllegalArgumentException(e.getMessage() + "; usage: " + command.usageMessage().customSynopsis()[0], e);
        }
        Map<String, String> values = new LinkedHashMap<>();
        Set<String> on = new TreeSet<>();
        for (OptionSpec option : command.options()) {
            String name = option.longestName().substring(2);
            if (option.usageHelp()) {
                continue;
            }
            if (option.arity().max() == 0) {
                if (Boolean.TRUE.equals(option.getValue())) {
                    on.add(name);
                }
            } else if (name.equals("data") && option.arity().max() == 2) {
                List<String> data = option.getValue();
                values.put(name, data == null || data.isEmpty() ? "" : data.get(0));
                if (data != null && data.size() > 1) {
                    if (!data.get(0).equals("image-folder")) {
                        throw new IllegalArgumentException("--data " + data.get(0) + " takes no PATH, got '" + data.get(1)
                                + "'; usage: " + command.usageMessage().customSynopsis()[0]);
                    }
                    values.put("image-folder", data.get(1));
                } else if ("image-folder".equals(values.get(name)) && !result.hasMatchedOption("--image-folder")) {
                    throw new IllegalArgumentException(
                            "--data image-folder needs a PATH; usage: " + command.usageMessage().customSynopsis()[0]);
                }
            } else if (!(name.equals("image-folder") && values.containsKey(name))) {
                Object value = option.getValue();
                values.put(name, value == null ? "" : value.toString());
            }
        }
        // the options in declaration order, as the defaults list them
        List<String> positionals = new java.util.ArrayList<>();
        for (CommandLine.Model.PositionalParamSpec positional : command.positionalParameters()) {
            List<String> given = positional.getValue();
            if (given != null) {
                positionals.addAll(given);
            }
        }
        return new Options(command.usageMessage().customSynopsis()[0], positionals, values, on, line.isUsageHelpRequested(),
                line.getUsageMessage());
    }

    /**
     * Whether {@code -h} or {@code --help} was given: the program then prints {@link #help()} and
     * exits 0 without checking the other flags.
     *
     * @return true if help was asked for
     */
    public boolean helpRequested() {
        return helpRequested;
    }

    /**
     * The usage help: synopsis, description and every option with its default.
     *
     * @return the help text, ending in a line break
     */
    public String help() {
        return help;
    }

    /**
     * The {@code --device} option, parsed and checked against the engine ({@link DeviceOption}).
     *
     * @return the device
     */
    public Device device() {
        return DeviceOption.parse(text("device"));
    }

    /**
     * Whether a switch was given.
     *
     * @param name the switch without {@code --}
     * @return true if given
     */
    public boolean on(String name) {
        return switchesOn.contains(name);
    }

    /**
     * The value of an option.
     *
     * @param name the option without {@code --}
     * @return its value or default
     */
    public String text(String name) {
        return values.get(name);
    }

    /**
     * Whether an option has a non-empty value.
     *
     * @param name the option without {@code --}
     * @return true if set
     */
    public boolean has(String name) {
        return values.get(name) != null && !values.get(name).isEmpty();
    }

    /**
     * An integer option that must be at least {@code min}.
     *
     * @param name the option without {@code --}
     * @param min the smallest value allowed
     * @return its value
     */
    public int integer(String name, int min) {
        try {
            int value = Integer.parseInt(values.get(name));
            if (value < min) {
                throw new IllegalArgumentException("--" + name + " must be >= " + min + ", got " + value);
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be an integer, got '" + values.get(name) + "'", e);
        }
    }

    /**
     * A long option (a seed).
     *
     * @param name the option without {@code --}
     * @return its value
     */
    public long longValue(String name) {
        try {
            return Long.parseLong(values.get(name));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be an integer, got '" + values.get(name) + "'", e);
        }
    }

    /**
     * A finite float option that must be &gt; 0.
     *
     * @param name the option without {@code --}
     * @return its value
     */
    public float positive(String name) {
        try {
            float value = Float.parseFloat(values.get(name));
            if (!(value > 0) || Float.isInfinite(value)) {
                throw new IllegalArgumentException("--" + name + " must be a finite number > 0, got " + values.get(name));
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a number, got '" + values.get(name) + "'", e);
        }
    }

    /**
     * A fraction in (0, 1].
     *
     * @param name the option without {@code --}
     * @return its value
     */
    public float fraction(String name) {
        float value = positive(name);
        if (value > 1) {
            throw new IllegalArgumentException("--" + name + " must be in (0, 1], got " + values.get(name));
        }
        return value;
    }

    /**
     * Every option with its value, defaults included, in declaration order.
     *
     * @return name to value
     */
    public Map<String, String> values() {
        return Collections.unmodifiableMap(values);
    }

    /**
     * The usage line.
     *
     * @return the usage
     */
    public String usage() {
        return usage;
    }
}
