package org.suncet.examples.run;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * A binary file whose payload is guarded by a length and a CRC-32C checksum, written atomically.
 *
 * <p><b>Layout.</b> A 28-byte header, then the payload:
 *
 * <pre>
 *   bytes 0-7    magic "SUNCETCF" (ASCII)
 *   bytes 8-11   format version, int, big-endian (1)
 *   bytes 12-19  payload length in bytes, long
 *   bytes 20-27  CRC-32C of the payload, long (the unsigned 32-bit value)
 *   bytes 28-    payload, as the {@link Writer} wrote it
 * </pre>
 *
 * <p><b>Writing</b> ({@link #write(Path, Path, Writer)}) streams the payload into a temporary file
 * {@code .NAME.*.tmp} in the target's folder, fills in the header, forces the file to disk
 * ({@code fsync}), and only then renames it over the target with {@link
 * StandardCopyOption#ATOMIC_MOVE}, so readers see either the old file or the complete new one, never
 * a mixture. If the writer throws, or anything before the rename fails, the temporary file is
 * deleted and the target is left as it was: a failed write never replaces a good file. The
 * previous target can be kept under a second name (a hard link, or a copy where links are not
 * supported) just before the rename. Temporary files left by a killed process are deleted by the
 * next write to the same target.
 *
 * <p><b>Reading</b> ({@link #read}) checks the magic, the format, that the file is exactly as long
 * as its header says and that the payload's checksum matches, before the {@link Reader} sees a
 * byte. A file that fails any check throws {@link IllegalArgumentException} with a one-line message
 * naming the file and what is wrong ("truncated", "checksum mismatch", ...).
 */
public final class ChecksummedFile {

    /** Writes a payload. */
    @FunctionalInterface
    public interface Writer {
        /**
         * Writes the payload.
         *
         * @param out the stream to write to; do not close it
         * @throws IOException if writing fails; the target file is then left untouched
         */
        void write(DataOutputStream out) throws IOException;
    }

    /**
     * Reads a payload back.
     *
     * @param <T> what the payload decodes to
     */
    @FunctionalInterface
    public interface Reader<T> {
        /**
         * Reads the payload, all of it.
         *
         * @param in the verified payload; do not close it
         * @return the decoded value
         * @throws IOException if reading fails
         */
        T read(DataInputStream in) throws IOException;
    }

    /** The magic bytes a checksummed file starts with. */
    static final byte[] MAGIC = "SUNCETCF".getBytes(StandardCharsets.US_ASCII);

    /** The header's format version. */
    static final int FORMAT = 1;

    /** Header size in bytes: magic, format, payload length, checksum. */
    static final int HEADER_BYTES = 8 + 4 + 8 + 8;

    private static final int BUFFER_BYTES = 1 << 16;

    private ChecksummedFile() {}

    /**
     * Writes {@code target} atomically, without keeping the file it replaces.
     *
     * @param target the file to write
     * @param writer writes the payload
     * @throws IOException if writing fails; {@code target} is then unchanged
     */
    public static void write(Path target, Writer writer) throws IOException {
        write(target, null, writer);
    }

    /**
     * Writes {@code target} atomically; if {@code target} already exists and {@code keepPreviousAs}
     * is not null, the old {@code target} is kept as {@code keepPreviousAs} (replacing it) once the
     * new payload is safely on disk.
     *
     * @param target the file to write
     * @param keepPreviousAs where to keep the replaced file, in the same folder; or null
     * @param writer writes the payload
     * @throws IOException if writing fails; {@code target} is then unchanged
     */
    public static void write(Path target, Path keepPreviousAs, Writer writer) throws IOException {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(writer, "writer");
        Path absolute = target.toAbsolutePath();
        Path folder = absolute.getParent();
        if (Files.isDirectory(absolute)) {
            throw new IllegalArgumentException("target must be a file, got the folder " + target);
        }
        Files.createDirectories(folder);
        deleteStaleTemporaries(absolute);
        if (keepPreviousAs != null) {
            deleteStaleTemporaries(keepPreviousAs.toAbsolutePath());
        }
        Path temporary = AtomicFile.createTemporary(absolute);
        boolean renamed = false;
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                channel.position(HEADER_BYTES);
                CRC32C crc = new CRC32C();
                DataOutputStream out =
                        new DataOutputStream(
                                new CheckedOutputStream(
                                        new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER_BYTES),
                                        crc));
                writer.write(out);
                out.flush(); // not close(): that would close the channel before the header is written
                long length = channel.position() - HEADER_BYTES;
                ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
                header.put(MAGIC).putInt(FORMAT).putLong(length).putLong(crc.getValue()).flip();
                while (header.hasRemaining()) {
                    channel.write(header, header.position());
                }
                channel.force(true);
            }
            if (keepPreviousAs != null && Files.exists(absolute)) {
                keepCopy(absolute, keepPreviousAs.toAbsolutePath());
            }
            Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            renamed = true;
            forceFolder(folder);
        } finally {
            if (!renamed) {
                Files.deleteIfExists(temporary);
            }
        }
    }

    /**
     * Verifies {@code file} and decodes its payload.
     *
     * @param <T> what the payload decodes to
     * @param file the file to read
     * @param reader decodes the payload; it must consume all of it
     * @return what the reader returned
     * @throws IllegalArgumentException if the file is not a checksummed file, is truncated, fails its
     *     checksum, or the reader leaves bytes unread
     * @throws IOException if reading fails
     */
    public static <T> T read(Path file, Reader<T> reader) throws IOException {
        Objects.requireNonNull(reader, "reader");
        try (FileChannel channel = open(file)) {
            verify(file, channel);
            channel.position(HEADER_BYTES);
            DataInputStream in =
                    new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel), BUFFER_BYTES));
            T value = reader.read(in);
            if (in.read() != -1) {
                throw new IllegalArgumentException(
                        file + " has bytes after its payload: it was written in a different format");
            }
            return value;
        }
    }

    /**
     * Checks {@code file}'s header, length and checksum without decoding it.
     *
     * @param file the file to check
     * @throws IllegalArgumentException if the file is not a checksummed file, is truncated or fails
     *     its checksum
     * @throws IOException if reading fails
     */
    public static void verify(Path file) throws IOException {
        try (FileChannel channel = open(file)) {
            verify(file, channel);
        }
    }

    private static FileChannel open(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("file " + file + " does not exist or is not a regular file");
        }
        return FileChannel.open(file, StandardOpenOption.READ);
    }

    private static void verify(Path file, FileChannel channel) throws IOException {
        long size = channel.size();
        if (size < HEADER_BYTES) {
            throw new IllegalArgumentException(
                    file + " is truncated: " + size + " bytes, shorter than the " + HEADER_BYTES + "-byte header");
        }
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        readFully(channel, header, 0);
        header.flip();
        byte[] magic = new byte[MAGIC.length];
        header.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new IllegalArgumentException(
                    file + " is not a suncet checksummed file: it starts with "
                            + HexFormat.of().formatHex(magic) + ", not \"SUNCETCF\"");
        }
        int format = header.getInt();
        if (format != FORMAT) {
            throw new IllegalArgumentException(
                    file + " has format " + format + "; this version reads format " + FORMAT);
        }
        long length = header.getLong();
        long storedCrc = header.getLong();
        if (length != size - HEADER_BYTES) {
            throw new IllegalArgumentException(
                    file + " is truncated or damaged: its header promises " + length
                            + " payload bytes, the file holds " + (size - HEADER_BYTES));
        }
        CRC32C crc = new CRC32C();
        ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);
        long position = HEADER_BYTES;
        while (position < size) {
            buffer.clear();
            int read = channel.read(buffer, position);
            if (read < 0) {
                break;
            }
            buffer.flip();
            crc.update(buffer);
            position += read;
        }
        if (crc.getValue() != storedCrc) {
            throw new IllegalArgumentException(
                    String.format(
                            "%s is corrupt: checksum mismatch (stored CRC-32C %08x, computed %08x)",
                            file, storedCrc, crc.getValue()));
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, position + buffer.position());
            if (read < 0) {
                throw new IllegalArgumentException("unexpected end of file");
            }
        }
    }

    /** Keeps {@code source} as {@code copy} via a same-folder temporary link (or copy) and a rename. */
    private static void keepCopy(Path source, Path copy) throws IOException {
        Path folder = copy.getParent();
        Files.createDirectories(folder);
        Path temporary = AtomicFile.createTemporary(copy);
        try {
            Files.delete(temporary); // reserved a fresh name; the link or copy takes it
            try {
                Files.createLink(temporary, source);
            } catch (IOException | UnsupportedOperationException | SecurityException e) {
                Files.deleteIfExists(temporary);
                Files.copy(source, temporary);
            }
            Files.move(temporary, copy, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    private static String temporaryPrefix(Path target) {
        return "." + target.getFileName() + ".";
    }

    private static void deleteStaleTemporaries(Path target) throws IOException {
        String prefix = temporaryPrefix(target);
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(target.getParent())) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (name.startsWith(prefix) && name.endsWith(".tmp") && Files.isRegularFile(entry)) {
                    Files.deleteIfExists(entry);
                }
            }
        }
    }

    /** Makes the rename durable where the platform allows opening a folder (Linux, macOS). */
    private static void forceFolder(Path folder) {
        try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Windows cannot open a folder as a channel; the rename is still atomic there.
        }
    }
}
