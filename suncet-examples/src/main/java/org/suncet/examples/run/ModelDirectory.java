package org.suncet.examples.run;

import ai.djl.Model;
import ai.djl.nn.Block;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.suncet.models.SuncetBlockFactory;
import org.suncet.models.translate.SuncetTranslatorFactory;

/**
 * The DJL model folder {@value #FOLDER} of a run folder: what DJL's {@code Criteria} loads without
 * the training code, through {@link SuncetBlockFactory}.
 *
 * <pre>
 *   RUN/model/serving.properties   engine=PyTorch, option.modelName=suncet, blockFactory=org.suncet.models.SuncetBlockFactory,
 *                                  translatorFactory=org.suncet.models.translate.SuncetTranslatorFactory (read by
 *                                  DJL Serving; DJL's Criteria picks its translator before reading this file, so
 *                                  pass optTranslatorFactory, or optArgument("translatorFactory", that name)),
 *                                  the factory's and the translators' arguments (network, depth, width, ...)
 *   RUN/model/synset.txt           class names in label order, one a line (classifiers only)
 *   RUN/model/suncet-NNNN.params   Model.save of the network after epoch NNNN (the only one kept)
 * </pre>
 *
 * <p><b>Never half written.</b> {@link #write} builds a missing folder complete (properties,
 * names, parameters, each forced to disk) in a hidden temporary folder of the run folder and
 * renames it to {@value #FOLDER}, so {@value #FOLDER} exists only whole. Later epochs write the new
 * {@code .params} to a temporary file, force it to disk and rename it into the folder, then delete
 * the older {@code .params}; if a crash leaves both, DJL loads the newer (it picks the highest
 * epoch). Leftover temporary folders of a crashed write are deleted by the next write.
 */
public final class ModelDirectory {

    /** The model folder's name inside a run folder. */
    public static final String FOLDER = "model";

    /** The model name: parameter files are {@code suncet-NNNN.params}. */
    public static final String MODEL_NAME = "suncet";

    /** The file DJL reads the loading arguments from. */
    public static final String SERVING_PROPERTIES = "serving.properties";

    /** The file of class names. */
    public static final String SYNSET = "synset.txt";

    private static final String TEMPORARY_PREFIX = ".model.";
    private static final String TEMPORARY_SUFFIX = ".tmp";
    private static final Pattern PARAMS = Pattern.compile(Pattern.quote(MODEL_NAME) + "-(\\d{4})\\.params");
    private static final SecureRandom RANDOM = new SecureRandom();

    private ModelDirectory() {}

    /**
     * Writes (or updates) {@code runFolder}/{@value #FOLDER} with {@code block}'s parameters after
     * {@code epoch} epochs.
     *
     * @param runFolder the run folder
     * @param block the trained network, initialised, built as {@code arguments} describe
     * @param epoch the epochs completed, 0 to 9999
     * @param arguments {@link SuncetBlockFactory} and translator arguments for {@value
     *     #SERVING_PROPERTIES}, by key
     * @param classes class names in label order for {@value #SYNSET}, or null for a network without
     *     a classifier
     * @return the model folder
     * @throws IllegalArgumentException for a null argument or an epoch out of range
     * @throws IOException if writing fails; the folder is then as it was, or holds the new
     *     parameters besides the old
     */
    public static Path write(Path runFolder, Block block, int epoch, Map<String, String> arguments, List<String> classes)
            throws IOException {
        if (runFolder == null || block == null || arguments == null) {
            throw new IllegalArgumentException("runFolder, block and arguments must not be null");
        }
        if (epoch < 0 || epoch > 9999) {
            throw new IllegalArgumentException("epoch must be in [0, 9999], got " + epoch);
        }
        Path folder = runFolder.resolve(FOLDER);
        deleteLeftovers(runFolder);
        Path temporary = createTemporaryFolder(runFolder);
        try {
            Path params = save(block, epoch, temporary);
            if (!Files.isDirectory(folder)) {
                writeDescription(temporary, arguments, classes);
                Files.move(temporary, folder, StandardCopyOption.ATOMIC_MOVE);
                return folder;
            }
            writeDescription(folder, arguments, classes); // unchanged in a run: rewritten only if it differs
            Path target = folder.resolve(params.getFileName().toString());
            Files.move(params, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            for (Path old : paramFiles(folder)) {
                if (!old.equals(target)) {
                    Files.delete(old);
                }
            }
            return folder;
        } finally {
            deleteTree(temporary);
        }
    }

    /**
     * The model folder of a run folder, if it holds a complete model (a {@value
     * #SERVING_PROPERTIES} and a parameter file).
     *
     * @param runFolder the run folder
     * @return {@code runFolder}/{@value #FOLDER}, or empty
     * @throws IOException if the folder cannot be listed
     */
    public static Optional<Path> find(Path runFolder) throws IOException {
        Path folder = runFolder.resolve(FOLDER);
        if (!Files.isRegularFile(folder.resolve(SERVING_PROPERTIES)) || epoch(folder).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(folder);
    }

    /**
     * The epoch of the parameters DJL loads from a model folder: the highest {@code NNNN} of its
     * {@code suncet-NNNN.params}.
     *
     * @param folder a model folder
     * @return the epoch, or empty if it holds no parameter file
     * @throws IOException if the folder cannot be listed
     */
    public static OptionalInt epoch(Path folder) throws IOException {
        return paramFiles(folder).stream().mapToInt(ModelDirectory::epochOf).max();
    }

    private static Path save(Block block, int epoch, Path folder) throws IOException {
        try (Model model = Model.newInstance(MODEL_NAME)) {
            model.setBlock(block);
            model.setProperty("Epoch", Integer.toString(epoch));
            model.save(folder, MODEL_NAME);
        }
        Path params = folder.resolve(String.format(Locale.ROOT, "%s-%04d.params", MODEL_NAME, epoch));
        force(params);
        return params;
    }

    private static void writeDescription(Path folder, Map<String, String> arguments, List<String> classes)
            throws IOException {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("engine", "PyTorch");
        properties.put("option.modelName", MODEL_NAME);
        properties.put("blockFactory", SuncetBlockFactory.class.getName());
        properties.put("translatorFactory", SuncetTranslatorFactory.class.getName());
        properties.putAll(arguments);
        Path file = folder.resolve(SERVING_PROPERTIES);
        if (!Files.isRegularFile(file) || !RunFolder.readProperties(file).equals(new TreeMap<>(properties))) {
            RunFolder.writeProperties(file,
                    "suncet model: load with Criteria.builder().optModelPath(this folder); the block and translator"
                            + " factories below are found on the classpath (suncet-models)", properties);
        }
        if (classes != null) {
            byte[] names = (String.join("\n", classes) + "\n").getBytes(StandardCharsets.UTF_8);
            Path synset = folder.resolve(SYNSET);
            if (!Files.isRegularFile(synset) || !Arrays.equals(Files.readAllBytes(synset), names)) {
                AtomicFile.write(synset, names);
            }
        }
    }

    private static List<Path> paramFiles(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.filter(path -> PARAMS.matcher(path.getFileName().toString()).matches()).sorted().toList();
        }
    }

    private static int epochOf(Path params) {
        Matcher matcher = PARAMS.matcher(params.getFileName().toString());
        if (!matcher.matches()) {
            throw new AssertionError(params);
        }
        return Integer.parseInt(matcher.group(1));
    }

    private static Path createTemporaryFolder(Path runFolder) throws IOException {
        Files.createDirectories(runFolder);
        while (true) {
            Path folder = runFolder.resolve(
                    TEMPORARY_PREFIX + Long.toHexString(RANDOM.nextLong() & Long.MAX_VALUE) + TEMPORARY_SUFFIX);
            try {
                return Files.createDirectory(folder);
            } catch (FileAlreadyExistsException e) {
                // drawn twice: draw again
            }
        }
    }

    private static void deleteLeftovers(Path runFolder) throws IOException {
        if (!Files.isDirectory(runFolder)) {
            return;
        }
        List<Path> leftovers = new ArrayList<>();
        try (Stream<Path> entries = Files.list(runFolder)) {
            entries.filter(path -> {
                String name = path.getFileName().toString();
                return name.startsWith(TEMPORARY_PREFIX) && name.endsWith(TEMPORARY_SUFFIX) && Files.isDirectory(path);
            }).forEach(leftovers::add);
        }
        for (Path leftover : leftovers) {
            deleteTree(leftover);
        }
    }

    private static void force(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
