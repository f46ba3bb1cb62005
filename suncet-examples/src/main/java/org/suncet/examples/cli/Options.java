package org.suncet.examples.cli;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The parsed flags of one training subcommand: {@code --name value} options that start from the
 * subcommand's defaults, and {@code --name} switches. {@code --data image-folder PATH} takes two
 * values and records the path as {@code image-folder}. An unknown flag, a missing value or a value
 * of the wrong kind throws {@link IllegalArgumentException} with a one-line message that names the
 * flag and the usage line.
 */
public final class Options {

    private final String usage;
    private final Map<String, String> values;
    private final Set<String> switchesOn;

    private Options(String usage, Map<String, String> values, Set<String> switchesOn) {
        this.usage = usage;
        this.values = values;
        this.switchesOn = switchesOn;
    }

    /**
     * Parses {@code args}.
     *
     * @param usage the subcommand's usage line, quoted in errors
     * @param args the arguments after the subcommand
     * @param defaults every option the subcommand takes, with its default ("" for none)
     * @param switches the switches it takes
     * @return the parsed flags
     */
    public static Options parse(String usage, String[] args, Map<String, String> defaults, Set<String> switches) {
        Map<String, String> values = new LinkedHashMap<>(defaults);
        Set<String> on = new TreeSet<>();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            String name = flag.startsWith("--") ? flag.substring(2) : "";
            if (switches.contains(name)) {
                on.add(name);
            } else if (defaults.containsKey(name) && i + 1 < args.length) {
                values.put(name, args[++i]);
                if (name.equals("data") && values.get("data").equals("image-folder")) {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException("--data image-folder needs a PATH; usage: " + usage);
                    }
                    values.put("image-folder", args[++i]);
                }
            } else {
                throw new IllegalArgumentException(
                        (defaults.containsKey(name) ? "flag " + flag + " needs a value" : "unknown flag '" + flag + "'")
                                + "; usage: " + usage);
            }
        }
        return new Options(usage, values, on);
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
