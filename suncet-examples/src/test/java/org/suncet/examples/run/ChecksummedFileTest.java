package org.suncet.examples.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChecksummedFileTest {

    static byte[] payload(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    static void writeBytes(Path file, byte[] bytes) throws IOException {
        ChecksummedFile.write(file, out -> out.write(bytes));
    }

    static byte[] readBytes(Path file) throws IOException {
        return ChecksummedFile.read(file, in -> in.readAllBytes());
    }

    static List<String> names(Path folder) throws IOException {
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static String oneLine(IllegalArgumentException e) {
        assertFalse(e.getMessage().contains("\n"), "one-line message: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void roundTripsThePayloadBehindA28ByteHeader(@TempDir Path folder) throws IOException {
        Path file = folder.resolve("state.bin");
        byte[] bytes = payload(100_000, 1);
        writeBytes(file, bytes);
        assertArrayEquals(bytes, readBytes(file));
        assertEquals(ChecksummedFile.HEADER_BYTES + bytes.length, Files.size(file));
        assertEquals(List.of("state.bin"), names(folder), "no temporary file left");
    }

    @Test
    void anEmptyPayloadIsValid(@TempDir Path folder) throws IOException {
        Path file = folder.resolve("empty.bin");
        ChecksummedFile.write(file, out -> {});
        assertEquals(0, readBytes(file).length);
    }

    @Test
    void aWriterThatFailsMidWayNeverReplacesTheGoodFile(@TempDir Path folder) throws IOException {
        Path file = folder.resolve("checkpoint.bin");
        Path previous = folder.resolve("checkpoint.previous.bin");
        byte[] good = payload(5_000, 2);
        ChecksummedFile.write(file, previous, out -> out.write(good));
        byte[] onDisk = Files.readAllBytes(file);

        IOException failure = assertThrows(IOException.class, () -> ChecksummedFile.write(file, previous, out -> {
            out.write(payload(200_000, 3)); // more than the buffer: bytes reach the temporary file
            throw new IOException("disk full (simulated)");
        }));
        assertEquals("disk full (simulated)", failure.getMessage());
        assertThrows(IllegalStateException.class, () -> ChecksummedFile.write(file, previous, out -> {
            out.write(1);
            throw new IllegalStateException("array released (simulated)");
        }));

        assertArrayEquals(onDisk, Files.readAllBytes(file), "the good file is untouched");
        assertArrayEquals(good, readBytes(file));
        assertFalse(Files.exists(previous), "a failed write does not rotate the previous file");
        assertEquals(List.of("checkpoint.bin"), names(folder), "the temporary file was deleted");
    }

    @Test
    void keepsTheReplacedFileAsThePreviousOne(@TempDir Path folder) throws IOException {
        Path file = folder.resolve("checkpoint.bin");
        Path previous = folder.resolve("checkpoint.previous.bin");
        byte[] first = payload(10, 4);
        byte[] second = payload(20, 5);
        byte[] third = payload(30, 6);
        ChecksummedFile.write(file, previous, out -> out.write(first));
        assertFalse(Files.exists(previous));
        ChecksummedFile.write(file, previous, out -> out.write(second));
        assertArrayEquals(second, readBytes(file));
        assertArrayEquals(first, readBytes(previous));
        ChecksummedFile.write(file, previous, out -> out.write(third));
        assertArrayEquals(third, readBytes(file));
        assertArrayEquals(second, readBytes(previous));
        assertEquals(List.of("checkpoint.bin", "checkpoint.previous.bin"), names(folder));
    }

    @Test
    void deletesTemporariesAKilledProcessLeftBehind(@TempDir Path folder) throws IOException {
        Path stale = folder.resolve(".state.bin.12345.tmp");
        Files.write(stale, new byte[] {1, 2, 3});
        Path unrelated = folder.resolve(".other.bin.1.tmp");
        Files.write(unrelated, new byte[] {1});
        writeBytes(folder.resolve("state.bin"), payload(10, 7));
        assertFalse(Files.exists(stale));
        assertTrue(Files.exists(unrelated), "only the target's own temporaries are deleted");
    }

    @Test
    void aTruncatedFileIsRefused(@TempDir Path folder) throws IOException {
        Path file = folder.resolve("state.bin");
        writeBytes(file, payload(1000, 8));
        byte[] whole = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(whole, whole.length - 1));
        String message = oneLine(assertThrows(IllegalArgumentException.class, () -> readBytes(file)));
        assertTrue(message.contains("truncated") && message.contains(file.toString()), message);

        Files.write(file, java.util.Arrays.copyOf(whole, 10));
        message = oneLine(assertThrows(IllegalArgumentException.class, () -> readBytes(file)));
        assertTrue(message.contains("shorter than the 28-byte header"), message);
    }

    @Test
    void aFlippedPayloadByteFailsTheChecksum(@TempDir Path folder) throws IOException {
        Path file = folder.resolve("state.bin");
        writeBytes(file, payload(1000, 9));
        byte[] bytes = Files.readAllBytes(file);
        bytes[500] ^= 0x10;
        Files.write(file, bytes);
        String message = oneLine(assertThrows(IllegalArgumentException.class, () -> ChecksummedFile.verify(file)));
        assertTrue(message.contains("checksum mismatch"), message);
    }

    @Test
    void aForeignFileIsNamedAsSuch(@TempDir Path folder) throws IOException {
        Path file = folder.resolve("notes.txt");
        Files.writeString(file, "these are not the bytes you are looking for");
        String message = oneLine(assertThrows(IllegalArgumentException.class, () -> readBytes(file)));
        assertTrue(message.contains("not a suncet checksummed file"), message);
        Path missing = folder.resolve("missing.bin");
        message = oneLine(assertThrows(IllegalArgumentException.class, () -> readBytes(missing)));
        assertTrue(message.contains("does not exist"), message);
    }

    @Test
    void aReaderThatLeavesBytesIsRefused(@TempDir Path folder) throws IOException {
        Path file = folder.resolve("state.bin");
        writeBytes(file, payload(16, 10));
        String message = oneLine(assertThrows(
                IllegalArgumentException.class, () -> ChecksummedFile.read(file, in -> in.readLong())));
        assertTrue(message.contains("bytes after its payload"), message);
    }

    @Test
    void aFolderIsNotATarget(@TempDir Path folder) {
        String message = oneLine(assertThrows(IllegalArgumentException.class, () -> writeBytes(folder, new byte[1])));
        assertTrue(message.contains(folder.toString()), message);
    }

    /** Any single corrupted byte, in the header or the payload, is detected before decoding. */
    @Property(tries = 60)
    void everySingleByteCorruptionIsDetected(
            @ForAll @IntRange(min = 0, max = 3000) int size,
            @ForAll @IntRange(min = 0, max = 1_000_000) int position,
            @ForAll @IntRange(min = 1, max = 255) int flip) throws IOException {
        Path folder = Files.createTempDirectory("checksummed");
        try {
            Path file = folder.resolve("state.bin");
            writeBytes(file, payload(size, size));
            byte[] bytes = Files.readAllBytes(file);
            int at = position % bytes.length;
            bytes[at] ^= (byte) flip;
            Files.write(file, bytes);
            assertThrows(IllegalArgumentException.class, () -> ChecksummedFile.verify(file), "byte " + at);
        } finally {
            deleteTree(folder);
        }
    }

    static void deleteTree(Path folder) throws IOException {
        try (Stream<Path> walk = Files.walk(folder)) {
            walk.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.delete(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
