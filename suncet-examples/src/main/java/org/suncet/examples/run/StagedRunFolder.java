package org.suncet.examples.run;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A {@link RunFolder} that a command which fails, or is killed, before its run's first checkpoint
 * leaves as it found it: nothing the user had is lost, and no half-made run blocks a retry.
 *
 * <p><b>Fresh and overwrite.</b> {@link #open} checks the target as {@link RunFolder#checkTarget}
 * does, writing nothing, then builds the new run in the hidden sibling folder {@code
 * .NAME}{@value #STAGING_SUFFIX} ({@link #folder()} until then). {@link #commit()}, called once the
 * first checkpoint is in the staging folder, swaps it in: an earlier run in the target is renamed
 * to {@code .NAME}{@value #REPLACED_SUFFIX}, the staging folder renamed to the target, and the
 * earlier run deleted. Until that moment the earlier run is intact; {@link #close()} deletes the
 * staging folder of a command that ends without committing. A staging folder that a killed command
 * left is deleted by the next {@link #open} of the same target for a fresh or overwritten run (and
 * ignored by a resume); a run a kill caught between the two renames is renamed back.
 *
 * <p>An existing empty target folder (one the user made, perhaps in a folder they may not write)
 * is kept: the run is built in it directly, and {@link #close()} empties it again. A command
 * killed there leaves a run without a checkpoint, which {@code --overwrite} replaces.
 *
 * <p><b>Resume.</b> {@link #open} checks the run and its configuration ({@link RunFolder#inspect})
 * and writes nothing; {@link #commit()} records the resume in the run's {@value RunFolder#RUN_FILE},
 * which a program calls once the checkpoint has loaded.
 */
public final class StagedRunFolder implements AutoCloseable {

    /** The suffix of the hidden sibling folder a new run is built in. */
    public static final String STAGING_SUFFIX = ".partial";

    /** The suffix an earlier run is renamed to for the moment of the swap. */
    public static final String REPLACED_SUFFIX = ".replaced";

    private final Path target;
    private final RunFolder run;
    private final Path staging;
    private final boolean direct;
    private final List<String> notes;
    private boolean committed;

    private StagedRunFolder(Path target, RunFolder run, Path staging, boolean direct, List<String> notes) {
        this.target = target;
        this.run = run;
        this.staging = staging;
        this.direct = direct;
        this.notes = List.copyOf(notes);
    }

    /**
     * Opens {@code target} for a run in {@code mode}: checks it, cleans up what a killed command left,
     * and for a fresh or overwritten run creates the staging folder with the run's record.
     *
     * @param target the run folder the user named
     * @param mode fresh, resume or overwrite
     * @param configuration the resolved configuration
     * @param seeds the run's seeds by name
     * @return the opened folder
     * @throws IllegalArgumentException if the mode does not fit the folder (see {@link RunFolder})
     * @throws IOException if reading or writing fails; a {@link java.nio.file.FileSystemException}
     *     names the path
     */
    public static StagedRunFolder open(Path target, RunFolder.Mode mode, Map<String, ?> configuration, Map<String, Long> seeds)
            throws IOException {
        if (target == null || mode == null || configuration == null || seeds == null) {
            throw new IllegalArgumentException("target, mode, configuration and seeds must not be null, got " + target + ", " + mode);
        }
        Path absolute = target.toAbsolutePath().normalize();
        if (absolute.getParent() == null || absolute.getFileName() == null) {
            throw new IllegalArgumentException("run folder " + target + " must be a folder below the file system's root");
        }
        List<String> notes = new ArrayList<>();
        Path replaced = sibling(absolute, REPLACED_SUFFIX);
        if (Files.isDirectory(replaced)) {
            if (Files.exists(absolute)) {
                deleteTree(replaced); // the swap was done; deleting the earlier run was cut short
            } else {
                Files.move(replaced, absolute, StandardCopyOption.ATOMIC_MOVE);
                notes.add("a command killed while it replaced the run in " + target + " left it as " + replaced
                        + "; it is back in " + target);
            }
        }
        if (mode == RunFolder.Mode.RESUME) {
            return new StagedRunFolder(target, RunFolder.inspect(target, configuration, seeds), null, true, notes);
        }
        RunFolder.checkTarget(target, mode);
        if (Files.isDirectory(target) && !Files.isWritable(target)) {
            throw new AccessDeniedException(target.toString(), null, "permission denied");
        }
        Path staging = sibling(absolute, STAGING_SUFFIX);
        if (Files.exists(staging)) {
            deleteTree(staging);
            notes.add("deleted " + staging + ", the unfinished run of a command that was killed before its first checkpoint");
        }
        boolean direct = Files.isDirectory(target) && !RunFolder.holdsRun(target); // empty, as checkTarget found it
        Path building = direct ? target : staging;
        try {
            return new StagedRunFolder(target, RunFolder.open(building, RunFolder.Mode.FRESH, configuration, seeds), building,
                    direct, notes);
        } catch (IOException | RuntimeException e) {
            if (direct) {
                deleteContents(target);
            } else {
                deleteTree(staging);
            }
            throw e;
        }
    }

    /**
     * The folder to write the run's files to now: the staging folder until {@link #commit()}, then
     * the target (for a resume, always the target).
     *
     * @return the folder
     */
    public Path folder() {
        return committed || staging == null ? target : staging;
    }

    /**
     * The run folder the user named.
     *
     * @return the target
     */
    public Path target() {
        return target;
    }

    /**
     * The run's record: its configuration, seeds, and for a resume the version changes.
     *
     * @return the run folder
     */
    public RunFolder run() {
        return run;
    }

    /**
     * Whether this continues an earlier run ({@code --resume}).
     *
     * @return true when resumed
     */
    public boolean isResumed() {
        return run.isResumed();
    }

    /**
     * Whether {@link #commit()} has run: the target then holds this run.
     *
     * @return true once committed
     */
    public boolean isCommitted() {
        return committed;
    }

    /**
     * What {@link #open} cleaned up after a killed command, one line each, for the program to print.
     *
     * @return the notes, often empty
     */
    public List<String> notes() {
        return notes;
    }

    /**
     * Makes the run the target's: for a fresh or overwritten run (call it once the first checkpoint is
     * in {@link #folder()}) swaps the staging folder in and deletes the run it replaces; for a resume
     * records it ({@link RunFolder#recordResume()}). Later calls do nothing.
     *
     * @throws IOException if a rename or the record fails; the target then holds the earlier run (or
     *     nothing, if it held none)
     */
    public void commit() throws IOException {
        if (committed) {
            return;
        }
        if (run.isResumed()) {
            run.recordResume();
        } else if (!direct) {
            Path absolute = target.toAbsolutePath().normalize();
            Path replaced = null;
            if (Files.exists(absolute)) {
                if (RunFolder.holdsRun(absolute)) {
                    replaced = sibling(absolute, REPLACED_SUFFIX);
                    Files.move(absolute, replaced, StandardCopyOption.ATOMIC_MOVE);
                } else {
                    Files.delete(absolute); // empty, as checkTarget found it
                }
            }
            try {
                Files.move(staging, absolute, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (replaced != null) {
                    Files.move(replaced, absolute, StandardCopyOption.ATOMIC_MOVE);
                }
                throw e;
            }
            if (replaced != null) {
                deleteTree(replaced);
            }
        }
        committed = true;
    }

    /**
     * Deletes the staging folder of a run that was not committed (a command that failed before its
     * first checkpoint); the target is left as {@link #open} found it. Does nothing after {@link
     * #commit()} or for a resume.
     *
     * @throws IOException if deleting fails
     */
    @Override
    public void close() throws IOException {
        if (committed || staging == null) {
            return;
        }
        if (direct) {
            deleteContents(staging);
        } else {
            deleteTree(staging);
        }
    }

    private static void deleteContents(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return;
        }
        try (Stream<Path> entries = Files.list(folder)) {
            for (Path entry : entries.toList()) {
                deleteTree(entry);
            }
        }
    }

    /** {@code .NAME<suffix>} beside {@code folder}. */
    static Path sibling(Path folder, String suffix) {
        return folder.resolveSibling("." + folder.getFileName() + suffix);
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(root)) {
            paths = walk.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path path : paths) {
            Files.deleteIfExists(path);
        }
    }
}
