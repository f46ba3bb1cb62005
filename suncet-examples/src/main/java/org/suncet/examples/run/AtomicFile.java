package org.suncet.examples.run;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

/**
 * Replaces a small file atomically: the content goes to a temporary file in the same folder, is
 * forced to disk, and is renamed over the target, so a reader sees the old content or the new,
 * never part of either. Used for the run folder's properties files, for rewriting a metrics CSV on
 * resume and for plots redrawn every epoch.
 */
final class AtomicFile {

    private static final SecureRandom RANDOM = new SecureRandom();

    private AtomicFile() {}

    /**
     * Creates an empty temporary file {@code .NAME.RANDOM.tmp} next to {@code target}, with the
     * default permissions a new file gets (unlike {@link Files#createTempFile}, which makes it
     * owner-only, a mode the renamed file would keep).
     *
     * @param target the file the temporary one will replace
     * @return the new temporary file
     * @throws IOException if it cannot be created
     */
    static Path createTemporary(Path target) throws IOException {
        Path folder = target.toAbsolutePath().getParent();
        while (true) {
            Path temporary = folder.resolve(
                    "." + target.getFileName() + "." + Long.toHexString(RANDOM.nextLong() & Long.MAX_VALUE) + ".tmp");
            try {
                return Files.createFile(temporary);
            } catch (FileAlreadyExistsException e) {
                // drawn twice: draw again
            }
        }
    }

    /**
     * Writes {@code text} to {@code target} as UTF-8, replacing it atomically.
     *
     * @param target the file
     * @param text its new content
     * @throws IOException if writing fails; {@code target} is then unchanged
     */
    static void write(Path target, String text) throws IOException {
        write(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes {@code bytes} to {@code target}, replacing it atomically.
     *
     * @param target the file
     * @param bytes its new content
     * @throws IOException if writing fails; {@code target} is then unchanged
     */
    static void write(Path target, byte[] bytes) throws IOException {
        Path absolute = target.toAbsolutePath();
        Files.createDirectories(absolute.getParent());
        Path temporary = createTemporary(absolute);
        boolean renamed = false;
        try {
            Files.write(temporary, bytes);
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            renamed = true;
        } finally {
            if (!renamed) {
                Files.deleteIfExists(temporary);
            }
        }
    }
}
