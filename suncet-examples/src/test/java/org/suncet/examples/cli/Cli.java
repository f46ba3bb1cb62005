package org.suncet.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.suncet.examples.Suncet;

/** Runs the {@code suncet} program in this JVM with its output captured, and reads run folders. */
final class Cli {

    /**
     * What one run of the program did.
     *
     * @param code the exit code
     * @param out what it printed to standard output
     * @param err what it printed to standard error
     */
    record Result(int code, String out, String err) {

        /** The output, for assertion messages. */
        String both() {
            return "exit " + code + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }

        /** The number printed after {@code label}, which must occur. */
        double number(String label) {
            Matcher matcher = Pattern.compile(Pattern.quote(label) + " (-?[0-9.]+|NaN|-?Infinity)").matcher(out);
            assertTrue(matcher.find(), "'" + label + "' not printed:\n" + both());
            String last = matcher.group(1);
            while (matcher.find()) {
                last = matcher.group(1);
            }
            return Double.parseDouble(last);
        }
    }

    private Cli() {}

    /** Runs {@code suncet ARGS}, capturing standard output and error. */
    static Result run(List<String> args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        int code;
        try (PrintStream capturedOut = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
                PrintStream capturedErr = new PrintStream(errBytes, true, StandardCharsets.UTF_8)) {
            System.setOut(capturedOut);
            System.setErr(capturedErr);
            code = Suncet.run(args.toArray(new String[0]));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new Result(code, outBytes.toString(StandardCharsets.UTF_8), errBytes.toString(StandardCharsets.UTF_8));
    }

    /** Runs {@code suncet ARGS}. */
    static Result run(String... args) {
        return run(List.of(args));
    }

    /** {@code first} followed by {@code more}. */
    static List<String> args(List<String> first, String... more) {
        List<String> all = new ArrayList<>(first);
        all.addAll(List.of(more));
        return all;
    }

    /** Checks that the run succeeded. */
    static Result ok(Result result) {
        assertEquals(0, result.code(), result.both());
        return result;
    }

    /**
     * Checks that the run failed with exit code 2 and exactly one line on standard error, {@code
     * error: ...}, holding every one of {@code words}.
     */
    static Result failsWithOneLine(Result result, String... words) {
        assertEquals(2, result.code(), result.both());
        String err = result.err().strip();
        assertEquals(1, err.lines().count(), "the error is one line:\n" + result.both());
        assertTrue(err.startsWith("error: "), result.both());
        for (String word : words) {
            assertTrue(err.contains(word), "'" + word + "' missing from the error:\n" + result.both());
        }
        return result;
    }

    /** The run folder's resolved configuration. */
    static Map<String, String> configuration(Path run) throws IOException {
        Properties properties = new Properties();
        try (var reader = Files.newBufferedReader(run.resolve("configuration.properties"))) {
            properties.load(reader);
        }
        Map<String, String> values = new TreeMap<>();
        properties.forEach((key, value) -> values.put(key.toString(), value.toString()));
        return values;
    }

    /**
     * Reads {@code metrics.csv}, checks its header, that it has {@code epochs} rows numbered from 0
     * and that every value is a finite number; returns the rows.
     */
    static List<double[]> metrics(Path run, List<String> header, int epochs) throws IOException {
        List<String> lines = Files.readAllLines(run.resolve("metrics.csv"));
        assertEquals(String.join(",", header), lines.get(0));
        assertEquals(epochs + 1, lines.size(), String.join("\n", lines));
        List<double[]> rows = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            double[] row = Arrays.stream(lines.get(i).split(",")).mapToDouble(Double::parseDouble).toArray();
            assertEquals(header.size(), row.length, lines.get(i));
            assertEquals(i - 1, row[0], lines.get(i));
            assertTrue(Arrays.stream(row).allMatch(Double::isFinite), "non-finite metric: " + lines.get(i));
            rows.add(row);
        }
        return rows;
    }

    /** Checks that each file is a readable PNG with some pixels. */
    static void assertPngs(Path run, String... names) throws IOException {
        for (String name : names) {
            Path file = run.resolve(name);
            assertTrue(Files.isRegularFile(file), file + " missing");
            BufferedImage image = ImageIO.read(file.toFile());
            assertNotNull(image, file + " is not an image");
            assertTrue(image.getWidth() > 50 && image.getHeight() > 50, file + " is " + image.getWidth() + "x" + image.getHeight());
        }
    }

    /** Every regular file under {@code folder} with its bytes, by relative path. */
    static Map<String, byte[]> snapshot(Path folder) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.filter(Files::isRegularFile).toList()) {
                files.put(folder.relativize(path).toString(), Files.readAllBytes(path));
            }
        }
        return files;
    }

    /** Checks that the files of {@code expected} are still there with the same bytes. */
    static void assertUnchanged(Map<String, byte[]> expected, Path folder, String... names) throws IOException {
        for (String name : names) {
            assertTrue(expected.containsKey(name), name + " was not in the snapshot");
            Path file = folder.resolve(name);
            assertTrue(Files.isRegularFile(file), file + " is gone");
            assertArrayEquals(expected.get(name), Files.readAllBytes(file), file + " changed");
        }
    }

    /** Copies a folder tree. */
    static Path copy(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target);
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return to;
    }

    /** Flips the bits of a few bytes in the middle of a file, keeping its length. */
    static void corrupt(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        for (int i = bytes.length / 2; i < bytes.length / 2 + 4; i++) {
            bytes[i] = (byte) ~bytes[i];
        }
        Files.write(file, bytes);
    }
}
