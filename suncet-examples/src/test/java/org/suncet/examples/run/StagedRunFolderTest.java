package org.suncet.examples.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link StagedRunFolder}: a new or overwritten run lives in {@code .NAME.partial} until {@link
 * StagedRunFolder#commit()}, so closing (or a kill) before then leaves the target as it was; a
 * resume writes nothing until it commits; what a killed command left is cleaned up by the next.
 */
class StagedRunFolderTest {

    private static final Map<String, Long> SEEDS = Map.of("run", 3L);

    private static StagedRunFolder open(Path target, RunFolder.Mode mode) throws IOException {
        return StagedRunFolder.open(target, mode, RunFolderTest.configuration(), SEEDS);
    }

    /** Every file under {@code folder} with its text, by relative path; empty if it does not exist. */
    private static Map<String, String> files(Path folder) throws IOException {
        Map<String, String> files = new TreeMap<>();
        if (!Files.exists(folder)) {
            return files;
        }
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.filter(Files::isRegularFile).toList()) {
                files.put(folder.relativize(path).toString(), Files.readString(path));
            }
        }
        return files;
    }

    private static List<String> names(Path folder) throws IOException {
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.map(path -> path.getFileName().toString()).sorted().toList();
        }
    }

    /** A run in {@code target} with one file of our own. */
    private static Map<String, String> earlierRun(Path target) throws IOException {
        try (StagedRunFolder run = open(target, RunFolder.Mode.FRESH)) {
            Files.writeString(run.folder().resolve("checkpoint.bin"), "earlier");
            run.commit();
        }
        return files(target);
    }

    @Test
    void aFreshRunAppearsOnlyAtItsCommit(@TempDir Path root) throws IOException {
        Path target = root.resolve("run");
        try (StagedRunFolder run = open(target, RunFolder.Mode.FRESH)) {
            assertEquals(root.resolve(".run" + StagedRunFolder.STAGING_SUFFIX), run.folder());
            assertFalse(Files.exists(target));
            assertTrue(RunFolder.holdsRun(run.folder()));
            Files.writeString(run.folder().resolve("checkpoint.bin"), "new");
            run.commit();
            assertEquals(target, run.folder());
            assertTrue(run.isCommitted());
        }
        assertEquals("new", Files.readString(target.resolve("checkpoint.bin")));
        assertEquals(List.of("run"), names(root));
    }

    @Test
    void closingBeforeTheCommitLeavesTheTargetAsItWas(@TempDir Path root) throws IOException {
        Path target = root.resolve("run");
        Map<String, String> earlier = earlierRun(target);
        try (StagedRunFolder run = open(target, RunFolder.Mode.OVERWRITE)) {
            Files.writeString(run.folder().resolve("checkpoint.bin"), "new");
            assertEquals(earlier, files(target), "the earlier run is intact until the commit");
        }
        assertEquals(earlier, files(target));
        assertEquals(List.of("run"), names(root));

        try (StagedRunFolder run = open(root.resolve("fresh"), RunFolder.Mode.FRESH)) {
            Files.writeString(run.folder().resolve("metrics.csv"), "epoch\n");
        }
        assertEquals(List.of("run"), names(root), "a fresh run that never committed leaves nothing");
    }

    @Test
    void anOverwriteReplacesTheWholeRunAtItsCommit(@TempDir Path root) throws IOException {
        Path target = root.resolve("run");
        earlierRun(target);
        Files.writeString(target.resolve("checkpoint.previous.bin"), "older");
        try (StagedRunFolder run = open(target, RunFolder.Mode.OVERWRITE)) {
            Files.writeString(run.folder().resolve("checkpoint.bin"), "new");
            run.commit();
        }
        assertEquals("new", Files.readString(target.resolve("checkpoint.bin")));
        assertFalse(Files.exists(target.resolve("checkpoint.previous.bin")), "nothing of the earlier run is left");
        assertEquals(List.of("run"), names(root));
    }

    @Test
    void theRefusalsComeBeforeAnythingIsWritten(@TempDir Path root) throws IOException {
        Path target = root.resolve("run");
        Map<String, String> earlier = earlierRun(target);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> open(target, RunFolder.Mode.FRESH)).getMessage()
                .contains("--resume"));
        Path other = Files.createDirectories(root.resolve("other"));
        Files.writeString(other.resolve("notes.txt"), "mine");
        assertThrows(IllegalArgumentException.class, () -> open(other, RunFolder.Mode.OVERWRITE));
        Map<String, Object> changed = RunFolderTest.configuration();
        changed.put("epochs", 11);
        String message = assertThrows(IllegalArgumentException.class,
                () -> StagedRunFolder.open(target, RunFolder.Mode.RESUME, changed, SEEDS)).getMessage();
        assertTrue(message.contains("epochs: 10 -> 11"), message);
        assertEquals(earlier, files(target));
        assertEquals("mine", Files.readString(other.resolve("notes.txt")));
        assertEquals(List.of("other", "run"), names(root));
    }

    @Test
    void aResumeWritesNothingUntilItCommits(@TempDir Path root) throws IOException {
        Path target = root.resolve("run");
        Map<String, String> earlier = earlierRun(target);
        try (StagedRunFolder run = open(target, RunFolder.Mode.RESUME)) {
            assertTrue(run.isResumed());
            assertEquals(target, run.folder());
            assertEquals(earlier, files(target), "run.properties is untouched before the commit");
        }
        assertEquals(earlier, files(target), "a resume that never committed changed no file");
        try (StagedRunFolder run = open(target, RunFolder.Mode.RESUME)) {
            run.commit();
        }
        assertEquals("1", RunFolder.readProperties(target.resolve(RunFolder.RUN_FILE)).get("resumes"));
    }

    @Test
    void whatAKilledCommandLeftIsCleanedUp(@TempDir Path root) throws IOException {
        Path target = root.resolve("run");
        Map<String, String> earlier = earlierRun(target);
        // killed before its first checkpoint: a staging folder beside the earlier run
        Path staging = Files.createDirectories(root.resolve(".run" + StagedRunFolder.STAGING_SUFFIX));
        Files.writeString(staging.resolve("metrics.csv"), "half");
        try (StagedRunFolder run = open(target, RunFolder.Mode.RESUME)) {
            assertEquals(List.of(), run.notes(), "a resume ignores it");
        }
        assertTrue(Files.exists(staging));
        try (StagedRunFolder run = open(target, RunFolder.Mode.OVERWRITE)) {
            assertEquals(1, run.notes().size(), run.notes().toString());
            assertTrue(run.notes().get(0).startsWith("deleted " + staging), run.notes().toString());
            assertFalse(Files.exists(run.folder().resolve("metrics.csv")));
        }
        assertEquals(earlier, files(target));

        // killed between the two renames of a commit: the earlier run is renamed back
        Path replaced = root.resolve(".run" + StagedRunFolder.REPLACED_SUFFIX);
        Files.move(target, replaced);
        try (StagedRunFolder run = open(target, RunFolder.Mode.RESUME)) {
            assertTrue(run.notes().get(0).contains("it is back in " + target), run.notes().toString());
        }
        assertEquals(earlier, files(target));
        // killed while deleting the replaced run after the swap: the rest is deleted
        Files.createDirectories(replaced.resolve("model"));
        Files.writeString(replaced.resolve("model/left.params"), "x");
        open(target, RunFolder.Mode.RESUME).close();
        assertEquals(List.of("run"), names(root));
    }

    @Test
    void anEmptyFolderTheUserMadeIsBuiltInAndEmptiedAgain(@TempDir Path root) throws IOException {
        Path target = Files.createDirectories(root.resolve("made"));
        try (StagedRunFolder run = open(target, RunFolder.Mode.FRESH)) {
            assertEquals(target, run.folder());
            Files.writeString(run.folder().resolve("metrics.csv"), "epoch\n");
        }
        assertTrue(Files.isDirectory(target));
        assertEquals(List.of(), names(target));
        try (StagedRunFolder run = open(target, RunFolder.Mode.FRESH)) {
            run.commit();
        }
        assertTrue(RunFolder.holdsRun(target));
        assertEquals(List.of("made"), names(root));
    }
}
