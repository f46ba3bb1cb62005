package org.suncet.examples.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunFolderTest {

    static final Versions VERSIONS = new Versions("0.1.0-SNAPSHOT", "17.0.15 (Debian)", "0.35.1", "PyTorch 2.7.1");

    static Map<String, Object> configuration() {
        Map<String, Object> configuration = new LinkedHashMap<>();
        configuration.put("method", "suncet");
        configuration.put("epochs", 10);
        configuration.put("learning-rate", 0.3);
        configuration.put("label-fraction", 0.1);
        configuration.put("note", "multi\nline = odd: value");
        return configuration;
    }

    static final Map<String, Long> SEEDS = Map.of("model", 0L, "split", 17L);

    static RunFolder open(Path folder, RunFolder.Mode mode) throws IOException {
        return RunFolder.open(folder, mode, configuration(), SEEDS, VERSIONS);
    }

    static String refusal(Path folder, RunFolder.Mode mode) {
        String message = assertThrows(IllegalArgumentException.class, () -> open(folder, mode)).getMessage();
        assertFalse(message.contains("\n"), message);
        assertTrue(message.contains(folder.toString()), message);
        return message;
    }

    @Test
    void aFreshRunRecordsConfigurationSeedsAndVersions(@TempDir Path root) throws IOException {
        Path folder = root.resolve("runs/first");
        RunFolder run = open(folder, RunFolder.Mode.FRESH);
        assertFalse(run.isResumed());
        assertEquals(folder.resolve("metrics.csv"), run.resolve("metrics.csv"));
        Map<String, String> recorded = RunFolder.readProperties(folder.resolve(RunFolder.CONFIGURATION_FILE));
        assertEquals(List.of("epochs", "label-fraction", "learning-rate", "method", "note"), List.copyOf(recorded.keySet()));
        assertEquals("0.3", recorded.get("learning-rate"));
        assertEquals("multi\nline = odd: value", recorded.get("note"));
        assertEquals(recorded, run.configuration());

        Map<String, String> record = RunFolder.readProperties(folder.resolve(RunFolder.RUN_FILE));
        assertEquals("17", record.get("seed.split"));
        assertEquals("0", record.get("seed.model"));
        assertEquals("PyTorch 2.7.1", record.get("version.engine"));
        assertEquals("0.35.1", record.get("version.djl"));
        assertEquals("0", record.get("resumes"));
        assertTrue(record.containsKey("created"));
        assertTrue(RunFolder.holdsRun(folder));
        assertTrue(Files.readString(folder.resolve(RunFolder.RUN_FILE)).startsWith("# suncet run"));
    }

    @Test
    void anEmptyFolderTakesAFreshRun(@TempDir Path folder) throws IOException {
        assertFalse(open(folder, RunFolder.Mode.FRESH).isResumed());
    }

    @Test
    void aFreshRunIsRefusedWhereARunIsAndTheFlagsAreNamed(@TempDir Path folder) throws IOException {
        open(folder, RunFolder.Mode.FRESH);
        Files.writeString(folder.resolve("checkpoint.bin"), "precious");
        String message = refusal(folder, RunFolder.Mode.FRESH);
        assertTrue(message.contains("already holds a run") && message.contains("--resume") && message.contains("--overwrite"), message);
        assertEquals("precious", Files.readString(folder.resolve("checkpoint.bin")));
    }

    @Test
    void aNonEmptyFolderWithoutARunIsNeverUsedNorDeleted(@TempDir Path folder) throws IOException {
        Files.writeString(folder.resolve("thesis.tex"), "years of work");
        assertTrue(refusal(folder, RunFolder.Mode.FRESH).contains("not empty and holds no run"));
        assertTrue(refusal(folder, RunFolder.Mode.OVERWRITE).contains("refusing to overwrite"));
        assertTrue(refusal(folder, RunFolder.Mode.RESUME).contains("nothing to resume"));
        assertEquals("years of work", Files.readString(folder.resolve("thesis.tex")));
    }

    @Test
    void resumeNeedsARun(@TempDir Path root) {
        assertTrue(refusal(root.resolve("missing"), RunFolder.Mode.RESUME).contains("drop --resume"));
    }

    @Test
    void resumeWithTheSameConfigurationCountsTheResumes(@TempDir Path folder) throws IOException {
        open(folder, RunFolder.Mode.FRESH);
        String configuration = Files.readString(folder.resolve(RunFolder.CONFIGURATION_FILE));
        RunFolder run = open(folder, RunFolder.Mode.RESUME);
        assertTrue(run.isResumed());
        assertEquals(List.of(), run.versionChanges());
        run = open(folder, RunFolder.Mode.RESUME);
        Map<String, String> record = RunFolder.readProperties(folder.resolve(RunFolder.RUN_FILE));
        assertEquals("2", record.get("resumes"));
        assertTrue(record.containsKey("resumed.last"));
        assertEquals(configuration, Files.readString(folder.resolve(RunFolder.CONFIGURATION_FILE)));
    }

    @Test
    void resumeWithADifferentConfigurationOrSeedNamesTheDifferences(@TempDir Path folder) throws IOException {
        open(folder, RunFolder.Mode.FRESH);
        Map<String, Object> changed = configuration();
        changed.put("epochs", 20);
        changed.remove("note");
        changed.put("width", 2);
        String message = assertThrows(
                IllegalArgumentException.class,
                () -> RunFolder.open(folder, RunFolder.Mode.RESUME, changed, SEEDS, VERSIONS)).getMessage();
        assertTrue(message.contains("epochs: 10 -> 20"), message);
        assertTrue(message.contains("note: multi\\nline = odd: value -> (absent)"), message);
        assertTrue(message.contains("width: (absent) -> 2"), message);

        message = assertThrows(
                IllegalArgumentException.class,
                () -> RunFolder.open(folder, RunFolder.Mode.RESUME, configuration(), Map.of("model", 1L, "split", 17L), VERSIONS))
                .getMessage();
        assertTrue(message.contains("seed.model: 0 -> 1"), message);
    }

    @Test
    void resumeUnderOtherVersionsReportsThem(@TempDir Path folder) throws IOException {
        open(folder, RunFolder.Mode.FRESH);
        Versions newer = new Versions("0.1.0-SNAPSHOT", "17.0.16 (Debian)", "0.35.1", "PyTorch 2.7.1");
        RunFolder run = RunFolder.open(folder, RunFolder.Mode.RESUME, configuration(), SEEDS, newer);
        assertEquals(List.of("version.java: 17.0.15 (Debian) -> 17.0.16 (Debian)"), run.versionChanges());
    }

    @Test
    void overwriteClearsTheOldRun(@TempDir Path folder) throws IOException {
        open(folder, RunFolder.Mode.FRESH);
        Files.createDirectories(folder.resolve("plots"));
        Files.writeString(folder.resolve("plots/loss.png"), "old");
        Files.writeString(folder.resolve("checkpoint.bin"), "old");
        Map<String, Object> changed = configuration();
        changed.put("epochs", 3);
        RunFolder run = RunFolder.open(folder, RunFolder.Mode.OVERWRITE, changed, SEEDS, VERSIONS);
        assertFalse(run.isResumed());
        assertFalse(Files.exists(folder.resolve("checkpoint.bin")));
        assertFalse(Files.exists(folder.resolve("plots")));
        assertEquals("3", RunFolder.readProperties(folder.resolve(RunFolder.CONFIGURATION_FILE)).get("epochs"));
        assertEquals("0", RunFolder.readProperties(folder.resolve(RunFolder.RUN_FILE)).get("resumes"));
    }

    @Test
    void badArgumentsAreNamed(@TempDir Path root) throws IOException {
        Path file = root.resolve("a-file");
        Files.writeString(file, "x");
        assertTrue(refusal(file, RunFolder.Mode.FRESH).contains("is a file"));
        Map<String, Object> withNull = new HashMap<>(configuration());
        withNull.put("epochs", null);
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> RunFolder.open(root.resolve("r"), RunFolder.Mode.FRESH, withNull, SEEDS, VERSIONS))
                .getMessage().contains("'epochs'"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> RunFolder.open(root.resolve("r"), null, configuration(), SEEDS, VERSIONS))
                .getMessage().contains("mode null"));
        assertFalse(Files.exists(root.resolve("r")), "nothing is created for bad arguments");
    }

    @Test
    void currentVersionsNameDjlAndTheEngine() {
        Versions versions = Versions.current();
        assertEquals("0.35.1", versions.djl());
        assertTrue(versions.engine().startsWith("PyTorch "), versions.engine());
        assertTrue(versions.java().startsWith(System.getProperty("java.version")), versions.java());
        // tests run from target/classes, without a jar manifest: the version is Maven's, filtered into
        // suncet.properties (neither the placeholder nor "unknown")
        assertTrue(versions.suncet().matches("\\d+\\.\\d+\\.\\d+(-[A-Za-z0-9.]+)?"), versions.suncet());
    }
}
