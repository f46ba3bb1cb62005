package org.suncet.examples.run;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UTFDataFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A training checkpoint: a model's parameters, its {@link TrainingState}, and optional named arrays
 * (an optimizer's momentum buffers, say), in one {@link ChecksummedFile} {@value #FILE_NAME} in the
 * run folder.
 *
 * <p><b>Atomic and never destructive.</b> {@link #save} streams into a temporary file, forces it to
 * disk and renames it over {@value #FILE_NAME}; the checkpoint it replaces is kept as {@value
 * #PREVIOUS_FILE_NAME}. A save that fails at any point (the disk fills, an array cannot be read, the
 * process is killed) leaves the last good checkpoint in place.
 *
 * <p><b>Refused when damaged.</b> {@link #load} checks length and CRC-32C before decoding anything,
 * then checks the model's parameter names and shapes against the checkpoint's, and throws {@link
 * IllegalArgumentException} with a one-line message naming the file: "truncated", "checksum
 * mismatch", "does not fit this model: ...". When {@value #FILE_NAME} is damaged and {@value
 * #PREVIOUS_FILE_NAME} is sound, the message says so.
 *
 * <p><b>Payload layout</b> (inside the checksummed file; all big-endian {@code DataOutput}):
 *
 * <pre>
 *   UTF "suncet-checkpoint", int format (1)
 *   TrainingState: int epochsCompleted, long stepsCompleted, long seed, int n, n × (UTF key, UTF value)
 *   int p, p × (UTF parameter name, UTF shape)        the model's parameter signature
 *   Block.saveParameters(...)                         DJL's own parameter encoding
 *   int a, a × (UTF name, int length, length bytes of NDArray.encode())
 * </pre>
 */
public final class Checkpoint {

    /** The file name of the latest checkpoint in a run folder. */
    public static final String FILE_NAME = "checkpoint.bin";

    /** The file name the checkpoint before the latest is kept under. */
    public static final String PREVIOUS_FILE_NAME = "checkpoint.previous.bin";

    private static final String TAG = "suncet-checkpoint";
    private static final int FORMAT = 1;
    private static final String UNINITIALISED = "uninitialised";

    /**
     * What {@link #load} restored besides the parameters.
     *
     * @param state where the run stands
     * @param arrays the named arrays saved with the checkpoint, in name order, owned by the manager
     *     given to {@link #load}
     */
    public record Restored(TrainingState state, Map<String, NDArray> arrays) {}

    private Checkpoint() {}

    /**
     * Saves {@code block}'s parameters and {@code state} to {@code folder}/{@value #FILE_NAME}.
     *
     * @param folder the run folder (created if missing)
     * @param block the model's block, initialised
     * @param state where the run stands
     * @return the checkpoint file
     * @throws IOException if writing fails; the previous checkpoint is then untouched
     */
    public static Path save(Path folder, Block block, TrainingState state) throws IOException {
        return save(folder, block, state, Map.of());
    }

    /**
     * Saves {@code block}'s parameters, {@code state} and named {@code arrays} to {@code
     * folder}/{@value #FILE_NAME}, keeping the checkpoint it replaces as {@value #PREVIOUS_FILE_NAME}.
     *
     * @param folder the run folder (created if missing)
     * @param block the model's block, initialised
     * @param state where the run stands
     * @param arrays further arrays to keep (optimizer buffers), by non-empty name; may be empty
     * @return the checkpoint file
     * @throws IllegalArgumentException if an argument is null or an array name is empty
     * @throws IOException if writing fails; the previous checkpoint is then untouched
     */
    public static Path save(Path folder, Block block, TrainingState state, Map<String, NDArray> arrays)
            throws IOException {
        requireArgument(folder, "folder");
        requireArgument(block, "block");
        requireArgument(state, "state");
        requireArgument(arrays, "arrays");
        Map<String, NDArray> sorted = new TreeMap<>();
        for (Map.Entry<String, NDArray> entry : arrays.entrySet()) {
            if (entry.getKey() == null || entry.getKey().isEmpty() || entry.getValue() == null) {
                throw new IllegalArgumentException(
                        "arrays must map non-empty names to arrays, got '" + entry.getKey() + "' -> " + entry.getValue());
            }
            sorted.put(entry.getKey(), entry.getValue());
        }
        Path file = folder.resolve(FILE_NAME);
        ChecksummedFile.write(file, folder.resolve(PREVIOUS_FILE_NAME), out -> {
            out.writeUTF(TAG);
            out.writeInt(FORMAT);
            state.writeTo(out);
            List<Pair<String, String>> signature = signature(block);
            out.writeInt(signature.size());
            for (Pair<String, String> parameter : signature) {
                out.writeUTF(parameter.getKey());
                out.writeUTF(parameter.getValue());
            }
            block.saveParameters(out);
            TestHooks.diskFullAtCheckpoint(state.epochsCompleted());
            out.writeInt(sorted.size());
            for (Map.Entry<String, NDArray> entry : sorted.entrySet()) {
                byte[] encoded = entry.getValue().encode();
                out.writeUTF(entry.getKey());
                out.writeInt(encoded.length);
                out.write(encoded);
            }
            out.flush();
            TestHooks.inCheckpointWrite(state.epochsCompleted());
        });
        return file;
    }

    /**
     * The latest checkpoint in {@code folder}, if there is one.
     *
     * @param folder the run folder
     * @return {@code folder}/{@value #FILE_NAME} if it exists
     */
    public static Optional<Path> find(Path folder) {
        Path file = folder.resolve(FILE_NAME);
        return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
    }

    /**
     * Loads the checkpoint {@code file} into {@code block} and returns the training state.
     *
     * @param file a checkpoint {@link #save} wrote
     * @param block the model's block, built like the saved one (initialised or not)
     * @param manager owns the loaded parameters and arrays
     * @return the training state and named arrays
     * @throws IllegalArgumentException if the file is missing, damaged, not a checkpoint, or does not
     *     fit {@code block}
     * @throws IOException if reading fails
     */
    public static Restored load(Path file, Block block, NDManager manager) throws IOException {
        requireArgument(file, "file");
        requireArgument(block, "block");
        requireArgument(manager, "manager");
        try {
            ChecksummedFile.verify(file);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("checkpoint " + e.getMessage() + previousHint(file), e);
        }
        try {
            return ChecksummedFile.read(file, in -> decode(file, in, block, manager));
        } catch (EOFException | UTFDataFormatException e) {
            throw new IllegalArgumentException(
                    "checkpoint " + file + " passes its checksum but its contents end early or are garbled: "
                            + "it was written by another program or version", e);
        }
    }

    /**
     * Reads only the training state of the checkpoint {@code file}, after the same checks as {@link
     * #load} (length, CRC-32C, tag, format), without a model: what a program that loads the
     * parameters from elsewhere (a run's {@link ModelDirectory}) reports and checks them against.
     *
     * @param file a checkpoint {@link #save} wrote
     * @return the training state
     * @throws IllegalArgumentException if the file is missing, damaged or not a checkpoint
     * @throws IOException if reading fails
     */
    public static TrainingState readState(Path file) throws IOException {
        requireArgument(file, "file");
        try {
            ChecksummedFile.verify(file);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("checkpoint " + e.getMessage() + previousHint(file), e);
        }
        try {
            return ChecksummedFile.read(file, in -> {
                TrainingState state = readHeader(file, in);
                in.transferTo(java.io.OutputStream.nullOutputStream()); // the parameters and arrays
                return state;
            });
        } catch (EOFException | UTFDataFormatException e) {
            throw new IllegalArgumentException(
                    "checkpoint " + file + " passes its checksum but its contents end early or are garbled: "
                            + "it was written by another program or version", e);
        }
    }

    private static String oneLine(String text) {
        String line = text.replace("\r", "\\r").replace("\n", "\\n");
        return line.length() > 40 ? line.substring(0, 40) + "..." : line;
    }

    private static TrainingState readHeader(Path file, DataInputStream in) throws IOException {
        String tag = in.readUTF();
        if (!TAG.equals(tag)) {
            throw new IllegalArgumentException(
                    file + " is not a suncet checkpoint: its payload starts with '" + oneLine(tag) + "'");
        }
        int format = in.readInt();
        if (format != FORMAT) {
            throw new IllegalArgumentException(
                    "checkpoint " + file + " has format " + format + "; this version reads format " + FORMAT);
        }
        return TrainingState.readFrom(in);
    }

    private static Restored decode(Path file, DataInputStream in, Block block, NDManager manager)
            throws IOException {
        TrainingState state = readHeader(file, in);
        int count = in.readInt();
        Map<String, String> saved = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            saved.put(in.readUTF(), in.readUTF());
        }
        checkFits(file, saved, block);
        try {
            block.loadParameters(manager, in);
        } catch (MalformedModelException e) {
            throw new IllegalArgumentException("checkpoint " + file + " does not fit this model: " + e.getMessage(), e);
        }
        int arrayCount = in.readInt();
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        for (int i = 0; i < arrayCount; i++) {
            String name = in.readUTF();
            byte[] encoded = new byte[in.readInt()];
            in.readFully(encoded);
            arrays.put(name, NDArray.decode(manager, encoded));
        }
        return new Restored(state, Collections.unmodifiableMap(arrays));
    }

    private static List<Pair<String, String>> signature(Block block) {
        List<Pair<String, String>> signature = new ArrayList<>();
        for (Pair<String, Parameter> entry : block.getParameters()) {
            Shape shape = entry.getValue().getShape();
            signature.add(new Pair<>(entry.getKey(), shape == null ? UNINITIALISED : shape.toString()));
        }
        return signature;
    }

    private static void checkFits(Path file, Map<String, String> saved, Block block) {
        Map<String, String> model = new LinkedHashMap<>();
        for (Pair<String, String> parameter : signature(block)) {
            model.put(parameter.getKey(), parameter.getValue());
        }
        if (!saved.keySet().equals(model.keySet())) {
            List<String> missing = new ArrayList<>(model.keySet());
            missing.removeAll(saved.keySet());
            List<String> extra = new ArrayList<>(saved.keySet());
            extra.removeAll(model.keySet());
            throw new IllegalArgumentException(
                    "checkpoint " + file + " does not fit this model: parameters missing from the checkpoint "
                            + missing + ", parameters the model lacks " + extra);
        }
        for (Map.Entry<String, String> entry : saved.entrySet()) {
            String modelShape = model.get(entry.getKey());
            if (!UNINITIALISED.equals(modelShape) && !modelShape.equals(entry.getValue())) {
                throw new IllegalArgumentException(
                        "checkpoint " + file + " does not fit this model: parameter " + entry.getKey()
                                + " has shape " + entry.getValue() + " in the checkpoint, " + modelShape + " in the model");
            }
        }
    }

    private static String previousHint(Path file) {
        if (file.getFileName() == null || !FILE_NAME.equals(file.getFileName().toString())) {
            return "";
        }
        Path previous = file.resolveSibling(PREVIOUS_FILE_NAME);
        if (!Files.isRegularFile(previous)) {
            return "";
        }
        try {
            ChecksummedFile.verify(previous);
            return "; the previous checkpoint " + previous + " is sound: rename it to " + FILE_NAME + " to resume from it";
        } catch (IOException | IllegalArgumentException e) {
            return "";
        }
    }

    private static void requireArgument(Object value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
    }
}
