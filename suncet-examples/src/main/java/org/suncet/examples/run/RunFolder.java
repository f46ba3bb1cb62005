package org.suncet.examples.run;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The folder a training run writes to, and the record that makes it one: {@value #CONFIGURATION_FILE}
 * (the resolved configuration, every option with the value used, defaults included) and {@value
 * #RUN_FILE} (seeds, {@link Versions}, creation and resume times). The presence of {@value #RUN_FILE}
 * is what marks a folder as holding a run; it is written last, so a folder whose set-up was
 * interrupted does not pass for a run.
 *
 * <p><b>Modes</b>, chosen by the program's flags:
 *
 * <ul>
 *   <li>{@link Mode#FRESH} (no flag): the folder must be missing or empty. A folder that holds a run
 *       is refused ("pass --resume to continue it or --overwrite to start over"), and so is a
 *       non-empty folder that holds no run.
 *   <li>{@link Mode#RESUME} ({@code --resume}): the folder must hold a run with the same
 *       configuration and seeds; any difference is refused with the keys that differ. Versions may
 *       differ (a JDK update); {@link #versionChanges()} lists the differences for the program to
 *       print.
 *   <li>{@link Mode#OVERWRITE} ({@code --overwrite}): a folder that holds a run has its contents
 *       deleted and starts fresh; a missing or empty folder is simply used. A non-empty folder that
 *       holds no run is refused even here, so a mistyped path never deletes unrelated files.
 * </ul>
 *
 * <p><b>Checking without writing.</b> {@link #checkTarget} makes the refusals of a fresh or
 * overwritten run, and {@link #inspect} those of a resume, without writing anything; {@link
 * #recordResume()} then records the resume once it has started. {@link StagedRunFolder} builds on
 * them so that a failed command changes no file.
 *
 * <p>Both properties files are written atomically (temporary file, fsync, rename) with keys in
 * sorted order. Bad arguments and refusals throw {@link IllegalArgumentException} with a one-line
 * message naming the folder.
 */
public final class RunFolder {

    /** How {@link #open} treats the folder. */
    public enum Mode {
        /** Start a run in a missing or empty folder. */
        FRESH,
        /** Continue the run the folder holds, with the same configuration and seeds. */
        RESUME,
        /** Delete the run the folder holds, if any, and start a fresh one. */
        OVERWRITE
    }

    /** The file that marks a folder as holding a run: seeds, versions, times. */
    public static final String RUN_FILE = "run.properties";

    /** The file holding the resolved configuration. */
    public static final String CONFIGURATION_FILE = "configuration.properties";

    private static final String SEED_PREFIX = "seed.";

    private final Path folder;
    private final boolean resumed;
    private final Map<String, String> configuration;
    private final Map<String, Long> seeds;
    private final List<String> versionChanges;
    /** The {@value #RUN_FILE} a resume will write ({@link #recordResume}); null when there is none. */
    private Map<String, String> pendingRecord;

    private RunFolder(
            Path folder, boolean resumed, Map<String, String> configuration, Map<String, Long> seeds, List<String> versionChanges) {
        this.folder = folder;
        this.resumed = resumed;
        this.configuration = Collections.unmodifiableMap(configuration);
        this.seeds = Collections.unmodifiableMap(seeds);
        this.versionChanges = List.copyOf(versionChanges);
    }

    /**
     * Opens {@code folder} as a run folder with this process's {@link Versions#current() versions}.
     *
     * @param folder the run folder
     * @param mode fresh, resume or overwrite
     * @param configuration the resolved configuration; values are recorded with {@code
     *     String.valueOf}
     * @param seeds the run's seeds by name (such as {@code model}, {@code split})
     * @return the opened run folder
     * @throws IllegalArgumentException if an argument is bad or the mode does not fit the folder
     * @throws IOException if reading or writing fails
     */
    public static RunFolder open(Path folder, Mode mode, Map<String, ?> configuration, Map<String, Long> seeds)
            throws IOException {
        return open(folder, mode, configuration, seeds, Versions.current());
    }

    /**
     * Opens {@code folder} as a run folder, recording {@code versions}.
     *
     * @param folder the run folder
     * @param mode fresh, resume or overwrite
     * @param configuration the resolved configuration; values are recorded with {@code
     *     String.valueOf}
     * @param seeds the run's seeds by name
     * @param versions the versions to record, or to compare with on resume
     * @return the opened run folder
     * @throws IllegalArgumentException if an argument is bad or the mode does not fit the folder
     * @throws IOException if reading or writing fails
     */
    public static RunFolder open(
            Path folder, Mode mode, Map<String, ?> configuration, Map<String, Long> seeds, Versions versions)
            throws IOException {
        if (folder == null || mode == null || configuration == null || seeds == null || versions == null) {
            throw new IllegalArgumentException(
                    "folder, mode, configuration, seeds and versions must not be null, got folder " + folder + ", mode " + mode);
        }
        if (Files.exists(folder) && !Files.isDirectory(folder)) {
            throw new IllegalArgumentException("run folder " + folder + " is a file, not a folder");
        }
        Map<String, String> resolved = resolve(configuration);
        Map<String, Long> seedCopy = checkSeeds(seeds);
        switch (mode) {
            case RESUME:
                RunFolder resumed = inspect(folder, resolved, seedCopy, versions);
                resumed.recordResume();
                return resumed;
            case FRESH:
            case OVERWRITE:
                checkTarget(folder, mode);
                if (mode == Mode.OVERWRITE && holdsRun(folder)) {
                    deleteContents(folder);
                }
                return create(folder, resolved, seedCopy, versions);
            default:
                throw new AssertionError(mode);
        }
    }

    /**
     * Checks, writing nothing, that {@code folder} may be opened in {@code mode} {@link Mode#FRESH}
     * or {@link Mode#OVERWRITE}: the refusals of {@link #open}, for a program that validates
     * everything before it writes anything.
     *
     * @param folder the run folder
     * @param mode {@link Mode#FRESH} or {@link Mode#OVERWRITE}
     * @throws IllegalArgumentException if the mode does not fit the folder (see the class javadoc), or
     *     the mode is {@link Mode#RESUME} (use {@link #inspect})
     * @throws IOException if the folder cannot be listed
     */
    public static void checkTarget(Path folder, Mode mode) throws IOException {
        if (folder == null || mode == null || mode == Mode.RESUME) {
            throw new IllegalArgumentException("folder must be given and mode FRESH or OVERWRITE, got " + folder + ", " + mode);
        }
        if (Files.exists(folder) && !Files.isDirectory(folder)) {
            throw new IllegalArgumentException("run folder " + folder + " is a file, not a folder");
        }
        boolean holdsRun = holdsRun(folder);
        boolean empty = !Files.exists(folder) || isEmpty(folder);
        if (mode == Mode.FRESH) {
            if (holdsRun) {
                throw new IllegalArgumentException(
                        "run folder " + folder + " already holds a run; pass --resume to continue it or --overwrite to start over");
            }
            if (!empty) {
                throw new IllegalArgumentException(
                        "run folder " + folder + " is not empty and holds no run (no " + RUN_FILE + "); choose a new or empty folder");
            }
        } else if (!holdsRun && !empty) {
            throw new IllegalArgumentException(
                    "refusing to overwrite " + folder + ": it is not empty and holds no run (no " + RUN_FILE
                            + "), so deleting it could lose unrelated files; choose a new or empty folder");
        }
    }

    /**
     * Checks that {@code folder} holds a run with this configuration and these seeds, as {@link
     * Mode#RESUME} does, and writes nothing: the run's record ({@value #RUN_FILE}) learns of the
     * resume only when the program calls {@link #recordResume()}, once the run's checkpoint has
     * loaded, so a resume that cannot start changes no file.
     *
     * @param folder the run folder
     * @param configuration the resolved configuration; values are recorded with {@code
     *     String.valueOf}
     * @param seeds the run's seeds by name
     * @return the run folder, {@link #isResumed() resumed}
     * @throws IllegalArgumentException if the folder holds no run, or one with another configuration
     *     or other seeds
     * @throws IOException if reading fails
     */
    public static RunFolder inspect(Path folder, Map<String, ?> configuration, Map<String, Long> seeds) throws IOException {
        if (folder == null || configuration == null || seeds == null) {
            throw new IllegalArgumentException("folder, configuration and seeds must not be null, got folder " + folder);
        }
        return inspect(folder, resolve(configuration), checkSeeds(seeds), Versions.current());
    }

    private static Map<String, Long> checkSeeds(Map<String, Long> seeds) {
        Map<String, Long> seedCopy = new TreeMap<>();
        for (Map.Entry<String, Long> seed : seeds.entrySet()) {
            if (seed.getKey() == null || seed.getKey().isEmpty() || seed.getValue() == null) {
                throw new IllegalArgumentException(
                        "seeds must map non-empty names to values, got '" + seed.getKey() + "' -> " + seed.getValue());
            }
            seedCopy.put(seed.getKey(), seed.getValue());
        }
        return seedCopy;
    }

    private static RunFolder inspect(Path folder, Map<String, String> configuration, Map<String, Long> seeds, Versions versions)
            throws IOException {
        if (Files.exists(folder) && !Files.isDirectory(folder)) {
            throw new IllegalArgumentException("run folder " + folder + " is a file, not a folder");
        }
        if (!holdsRun(folder)) {
            throw new IllegalArgumentException(
                    "nothing to resume: " + folder + " holds no run (no " + RUN_FILE + "); drop --resume to start a fresh run");
        }
        return resume(folder, configuration, seeds, versions);
    }

    /**
     * Records in {@value #RUN_FILE} that the run was resumed (the count and the time), once; a run
     * folder {@link #inspect} returned calls it when the resume has started. Does nothing for a run
     * that was not resumed or whose resume is recorded.
     *
     * @throws IOException if writing fails; {@value #RUN_FILE} is then as it was
     */
    public void recordResume() throws IOException {
        if (pendingRecord == null) {
            return;
        }
        writeProperties(folder.resolve(RUN_FILE), "suncet run: seeds, versions, times", pendingRecord);
        pendingRecord = null;
    }

    /**
     * Whether {@code folder} holds a run, that is, has a {@value #RUN_FILE}.
     *
     * @param folder a folder
     * @return true if {@code folder}/{@value #RUN_FILE} is a file
     */
    public static boolean holdsRun(Path folder) {
        return Files.isRegularFile(folder.resolve(RUN_FILE));
    }

    /**
     * The run folder.
     *
     * @return its path
     */
    public Path folder() {
        return folder;
    }

    /**
     * A file in the run folder.
     *
     * @param name the file's name
     * @return {@code folder().resolve(name)}
     */
    public Path resolve(String name) {
        return folder.resolve(name);
    }

    /**
     * Whether this run continues an earlier one ({@link Mode#RESUME}).
     *
     * @return true when resumed
     */
    public boolean isResumed() {
        return resumed;
    }

    /**
     * The resolved configuration as recorded, in key order.
     *
     * @return key to value
     */
    public Map<String, String> configuration() {
        return configuration;
    }

    /**
     * The seeds as recorded, in name order.
     *
     * @return name to seed
     */
    public Map<String, Long> seeds() {
        return seeds;
    }

    /**
     * On resume, the versions that differ from those the run was created with, such as {@code
     * "version.java: 17.0.9 (Debian) -> 17.0.10 (Debian)"}; empty otherwise.
     *
     * @return one line per changed version
     */
    public List<String> versionChanges() {
        return versionChanges;
    }

    private static RunFolder create(
            Path folder, Map<String, String> configuration, Map<String, Long> seeds, Versions versions) throws IOException {
        Files.createDirectories(folder);
        writeProperties(folder.resolve(CONFIGURATION_FILE), "resolved configuration of this run", configuration);
        Map<String, String> run = new TreeMap<>();
        run.put("created", now());
        run.put("resumes", "0");
        seeds.forEach((name, seed) -> run.put(SEED_PREFIX + name, Long.toString(seed)));
        run.putAll(versions.asProperties());
        writeProperties(folder.resolve(RUN_FILE), "suncet run: seeds, versions, times", run);
        return new RunFolder(folder, false, configuration, seeds, List.of());
    }

    private static RunFolder resume(
            Path folder, Map<String, String> configuration, Map<String, Long> seeds, Versions versions) throws IOException {
        Map<String, String> savedConfiguration = readProperties(folder.resolve(CONFIGURATION_FILE));
        List<String> differences = differences(savedConfiguration, configuration);
        Map<String, String> run = readProperties(folder.resolve(RUN_FILE));
        Map<String, String> savedSeeds = new TreeMap<>();
        run.forEach((key, value) -> {
            if (key.startsWith(SEED_PREFIX)) {
                savedSeeds.put(key, value);
            }
        });
        Map<String, String> givenSeeds = new TreeMap<>();
        seeds.forEach((name, seed) -> givenSeeds.put(SEED_PREFIX + name, Long.toString(seed)));
        differences.addAll(differences(savedSeeds, givenSeeds));
        if (!differences.isEmpty()) {
            throw new IllegalArgumentException(
                    "cannot resume the run in " + folder + " with a different configuration (" + String.join("; ", differences)
                            + "); use the same options, or start a fresh run in another folder");
        }
        Map<String, String> currentVersions = new TreeMap<>(versions.asProperties());
        Map<String, String> savedVersions = new TreeMap<>();
        currentVersions.keySet().forEach(key -> savedVersions.put(key, run.get(key)));
        List<String> versionChanges = differences(savedVersions, currentVersions);
        int resumes = parseCount(run.get("resumes"));
        run.put("resumes", Integer.toString(resumes + 1));
        run.put("resumed.last", now());
        RunFolder resumed = new RunFolder(folder, true, configuration, seeds, versionChanges);
        resumed.pendingRecord = run;
        return resumed;
    }

    private static Map<String, String> resolve(Map<String, ?> configuration) {
        Map<String, String> resolved = new TreeMap<>();
        for (Map.Entry<String, ?> entry : configuration.entrySet()) {
            if (entry.getKey() == null || entry.getKey().isBlank()) {
                throw new IllegalArgumentException("configuration keys must be non-blank, got '" + entry.getKey() + "'");
            }
            if (entry.getValue() == null) {
                throw new IllegalArgumentException("configuration value of '" + entry.getKey() + "' must not be null");
            }
            resolved.put(entry.getKey(), String.valueOf(entry.getValue()));
        }
        return resolved;
    }

    /** Lines "key: saved -> given" for every key whose value differs or that only one side has. */
    private static List<String> differences(Map<String, String> saved, Map<String, String> given) {
        TreeSet<String> keys = new TreeSet<>(saved.keySet());
        keys.addAll(given.keySet());
        List<String> differences = new ArrayList<>();
        for (String key : keys) {
            String before = saved.get(key);
            String after = given.get(key);
            if (before == null ? after != null : !before.equals(after)) {
                differences.add(key + ": " + show(before) + " -> " + show(after));
            }
        }
        return differences;
    }

    /** A value on one line: line breaks escaped, a missing value shown as "(absent)". */
    private static String show(String value) {
        return value == null ? "(absent)" : value.replace("\r", "\\r").replace("\n", "\\n");
    }

    private static int parseCount(String value) {
        try {
            return value == null ? 0 : Integer.parseInt(value);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private static boolean isEmpty(Path folder) throws IOException {
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.findAny().isEmpty();
        }
    }

    private static void deleteContents(Path folder) throws IOException {
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(folder)) {
            paths = walk.filter(path -> !path.equals(folder)).sorted(Comparator.reverseOrder()).toList();
        }
        try {
            paths.forEach(path -> {
                try {
                    Files.delete(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Writes sorted {@code key=value} lines (escaped as {@link Properties} does) under a comment. */
    static void writeProperties(Path file, String comment, Map<String, String> values) throws IOException {
        Properties properties = new Properties();
        properties.putAll(values);
        StringWriter stored = new StringWriter();
        properties.store(stored, null);
        List<String> lines = new ArrayList<>();
        for (String line : stored.toString().split("\\R")) {
            if (!line.isEmpty() && !line.startsWith("#")) {
                lines.add(line);
            }
        }
        Collections.sort(lines);
        StringBuilder text = new StringBuilder("# ").append(comment).append('\n');
        lines.forEach(line -> text.append(line).append('\n'));
        AtomicFile.write(file, text.toString());
    }

    /** Reads a properties file into a sorted map. */
    static Map<String, String> readProperties(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("run file " + file + " is missing; the run folder is damaged");
        }
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        Map<String, String> values = new TreeMap<>();
        properties.stringPropertyNames().forEach(key -> values.put(key, properties.getProperty(key)));
        return values;
    }
}
