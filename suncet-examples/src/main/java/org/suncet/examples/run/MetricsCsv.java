package org.suncet.examples.run;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An append-only CSV of training metrics with a fixed header, one row per epoch (or per logged
 * step). The first column is the row's key, an integer that grows from row to row ({@code epoch}
 * or {@code step}); resuming cuts the file back to a key.
 *
 * <p><b>Resume.</b> {@link #resume(Path, List, long)} reads the existing rows, checks the header,
 * keeps the rows whose key is at most the checkpoint's, drops the rest (written after the checkpoint
 * by the interrupted run) together with a last line cut short by a crash, and rewrites the file
 * atomically. A loop that appends an epoch's row before it saves that epoch's checkpoint therefore
 * ends with the same CSV, byte for byte, as an uninterrupted run with the same seed.
 *
 * <p><b>Format.</b> Comma-separated, {@code \n} line ends, UTF-8. Numbers are written with {@link
 * Double#toString} / {@link Float#toString} (the shortest text that reads back to the same value),
 * integers as they are; text containing a comma or a double quote is quoted, RFC 4180 style. Line
 * breaks inside a value are refused. Each row is flushed as it is appended.
 */
public final class MetricsCsv {

    private final Path file;
    private final List<String> columns;
    private final List<List<String>> rows;

    private MetricsCsv(Path file, List<String> columns, List<List<String>> rows) {
        this.file = file;
        this.columns = List.copyOf(columns);
        this.rows = rows;
    }

    /**
     * Creates a new metrics file with the header {@code columns}.
     *
     * @param file the CSV file; must not exist
     * @param columns the column names, the first being the integer key ({@code epoch} or {@code step})
     * @return the empty metrics file
     * @throws IllegalArgumentException if {@code file} exists or the columns are empty, blank,
     *     repeated or hold a line break
     * @throws IOException if writing fails
     */
    public static MetricsCsv create(Path file, List<String> columns) throws IOException {
        checkColumns(columns);
        if (Files.exists(file)) {
            throw new IllegalArgumentException(
                    "metrics file " + file + " already exists; resume the run or start it in a fresh run folder");
        }
        AtomicFile.write(file, line(columns));
        return new MetricsCsv(file, columns, new ArrayList<>());
    }

    /**
     * Reopens a metrics file to continue a run from the checkpoint with key {@code lastKey}: keeps the
     * rows whose key is {@code <= lastKey}, drops the others and a cut-short last line, and rewrites
     * the file. A missing or empty file (the run stopped before its first row) starts with the header.
     *
     * @param file the CSV file
     * @param columns the expected column names; must equal the file's header
     * @param lastKey the key of the last row to keep (the checkpoint's epoch); -1 keeps no rows
     * @return the metrics file, ready to append
     * @throws IllegalArgumentException if the header differs from {@code columns} or a kept row's key
     *     is not an integer or the row has the wrong number of cells
     * @throws IOException if reading or writing fails
     */
    public static MetricsCsv resume(Path file, List<String> columns, long lastKey) throws IOException {
        checkColumns(columns);
        if (!Files.exists(file) || Files.size(file) == 0) {
            AtomicFile.write(file, line(columns));
            return new MetricsCsv(file, columns, new ArrayList<>());
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        // the last element is "" after a final '\n', or a line a crash cut short: drop it either way
        lines.remove(lines.size() - 1);
        if (lines.isEmpty()) {
            AtomicFile.write(file, line(columns));
            return new MetricsCsv(file, columns, new ArrayList<>());
        }
        List<String> header = parse(lines.get(0));
        if (!header.equals(columns)) {
            throw new IllegalArgumentException(
                    "metrics file " + file + " has the header " + header + ", expected " + columns);
        }
        List<List<String>> kept = new ArrayList<>();
        StringBuilder rewritten = new StringBuilder(line(columns));
        for (int i = 1; i < lines.size(); i++) {
            List<String> row = parse(lines.get(i));
            if (row.size() != columns.size()) {
                throw new IllegalArgumentException(
                        "metrics file " + file + " line " + (i + 1) + " has " + row.size() + " cells, expected " + columns.size());
            }
            long key;
            try {
                key = Long.parseLong(row.get(0));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "metrics file " + file + " line " + (i + 1) + ": key column '" + columns.get(0)
                                + "' must be an integer, got '" + row.get(0) + "'", e);
            }
            if (key <= lastKey) {
                kept.add(Collections.unmodifiableList(row));
                rewritten.append(lines.get(i)).append('\n');
            }
        }
        AtomicFile.write(file, rewritten.toString());
        return new MetricsCsv(file, columns, kept);
    }

    /**
     * Appends one row and flushes it to the file.
     *
     * @param values one value per column; the first an integer key
     * @throws IllegalArgumentException if the count differs from the columns, a value is null or holds
     *     a line break, or the key is not an integer
     * @throws IOException if writing fails
     */
    public void append(Object... values) throws IOException {
        if (values == null || values.length != columns.size()) {
            throw new IllegalArgumentException(
                    "values must hold one value per column " + columns + ", got " + (values == null ? 0 : values.length));
        }
        if (!(values[0] instanceof Integer || values[0] instanceof Long || values[0] instanceof Short)) {
            throw new IllegalArgumentException(
                    "the key '" + columns.get(0) + "' must be an integer, got " + values[0]);
        }
        List<String> cells = new ArrayList<>(values.length);
        for (int i = 0; i < values.length; i++) {
            if (values[i] == null) {
                throw new IllegalArgumentException("value of column '" + columns.get(i) + "' must not be null");
            }
            String cell = String.valueOf(values[i]);
            if (cell.indexOf('\n') >= 0 || cell.indexOf('\r') >= 0) {
                throw new IllegalArgumentException(
                        "value of column '" + columns.get(i) + "' must not contain a line break, got '" + cell + "'");
            }
            cells.add(cell);
        }
        try (BufferedWriter writer =
                Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND)) {
            writer.write(line(cells));
        }
        rows.add(Collections.unmodifiableList(cells));
    }

    /**
     * The CSV file.
     *
     * @return its path
     */
    public Path file() {
        return file;
    }

    /**
     * The header.
     *
     * @return the column names
     */
    public List<String> columns() {
        return columns;
    }

    /**
     * The rows so far, as text cells (kept rows on resume, then appended rows).
     *
     * @return one list of cells per row
     */
    public List<List<String>> rows() {
        return Collections.unmodifiableList(rows);
    }

    /**
     * One column as numbers, for plotting; cells that are not numbers give NaN.
     *
     * @param name the column's name
     * @return its values, one per row
     * @throws IllegalArgumentException if there is no such column
     */
    public double[] column(String name) {
        int index = columns.indexOf(name);
        if (index < 0) {
            throw new IllegalArgumentException("name must be one of " + columns + ", got '" + name + "'");
        }
        double[] values = new double[rows.size()];
        for (int i = 0; i < values.length; i++) {
            try {
                values[i] = Double.parseDouble(rows.get(i).get(index));
            } catch (NumberFormatException e) {
                values[i] = Double.NaN;
            }
        }
        return values;
    }

    private static void checkColumns(List<String> columns) {
        if (columns == null || columns.isEmpty()) {
            throw new IllegalArgumentException("columns must name at least the key column, got " + columns);
        }
        if (columns.stream().anyMatch(c -> c == null || c.isBlank() || c.indexOf('\n') >= 0 || c.indexOf('\r') >= 0)
                || columns.stream().distinct().count() != columns.size()) {
            throw new IllegalArgumentException("columns must be distinct, non-blank, one-line names, got " + columns);
        }
    }

    private static String line(List<String> cells) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) {
                line.append(',');
            }
            String cell = cells.get(i);
            if (cell.indexOf(',') >= 0 || cell.indexOf('"') >= 0) {
                line.append('"').append(cell.replace("\"", "\"\"")).append('"');
            } else {
                line.append(cell);
            }
        }
        return line.append('\n').toString();
    }

    /** Splits one CSV line into cells, undoing the quoting of {@link #line}. */
    static List<String> parse(String line) {
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cell.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cell.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                cells.add(cell.toString());
                cell.setLength(0);
            } else {
                cell.append(c);
            }
        }
        cells.add(cell.toString());
        return cells;
    }
}
