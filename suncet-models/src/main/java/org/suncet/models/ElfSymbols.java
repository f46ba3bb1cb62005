package org.suncet.models;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Looks a symbol up in the full symbol table ({@code .symtab}) of a 64-bit little-endian ELF file,
 * the table that also lists a shared library's local (not exported) functions and objects, which
 * {@code dlsym} and JNA cannot see. libtorch's {@code libtorch_cpu.so} ships with it (it is "not
 * stripped"), and {@link OneDnnCacheInfo} uses it to find oneDNN's CPU description.
 *
 * <p>A symbol's value in a shared library is its address relative to where the library is loaded;
 * the load address is the runtime address of any exported symbol minus that symbol's value.
 *
 * <p>Reads only the file's header, its section headers and the symbol and string tables, each mapped
 * read-only; {@code libtorch_cpu.so} 2.7.1 has 521,000 symbols and one pass for a few names takes
 * 0.14-0.16 s (AMD EPYC family 26).
 */
final class ElfSymbols {

    /**
     * A symbol's value (address relative to the load address, for a shared library), size and type.
     *
     * @param value the symbol's value
     * @param size the symbol's size in bytes
     * @param type the type nibble of {@code st_info}: {@link #OBJECT}, {@link #FUNCTION}, ...
     */
    record Symbol(long value, long size, int type) {}

    /** {@code STT_OBJECT}: a data object. */
    static final int OBJECT = 1;

    /** {@code STT_FUNC}: a function. */
    static final int FUNCTION = 2;

    private static final int SHT_SYMTAB = 2;
    private static final int SECTION_HEADER_BYTES = 64;
    private static final int SYMBOL_BYTES = 24;

    private ElfSymbols() {}

    /**
     * Finds the first symbol of the given name in the file's {@code .symtab}.
     *
     * @param elf the ELF file
     * @param name the symbol's (mangled) name
     * @return the symbol, or empty if the file has no {@code .symtab} or no such symbol
     * @throws IOException if the file cannot be read or its tables are malformed
     * @throws IllegalArgumentException if the file is not a 64-bit little-endian ELF file, naming it
     */
    static Optional<Symbol> find(Path elf, String name) throws IOException {
        return Optional.ofNullable(find(elf, List.of(name)).get(name));
    }

    /**
     * Finds the first symbol of each given name in the file's {@code .symtab}, in one pass.
     *
     * @param elf the ELF file
     * @param names the symbols' (mangled) names
     * @return the symbols found, by name (names not found are absent)
     * @throws IOException if the file cannot be read or its tables are malformed
     * @throws IllegalArgumentException if the file is not a 64-bit little-endian ELF file, naming it
     */
    static Map<String, Symbol> find(Path elf, Collection<String> names) throws IOException {
        Map<String, Symbol> found = new HashMap<>();
        List<String> keys = new ArrayList<>(new LinkedHashSet<>(names));
        byte[][] wanted = new byte[keys.size()][];
        for (int k = 0; k < wanted.length; k++) {
            wanted[k] = keys.get(k).getBytes(StandardCharsets.US_ASCII);
        }
        try (FileChannel channel = FileChannel.open(elf)) {
            ByteBuffer header = map(channel, 0, 64);
            if (header.getInt(0) != 0x464c457f || header.get(4) != 2 || header.get(5) != 1) {
                throw new IllegalArgumentException("elf " + elf + ": not a 64-bit little-endian ELF file");
            }
            long sectionsAt = header.getLong(0x28);
            int entrySize = Short.toUnsignedInt(header.getShort(0x3a));
            int count = Short.toUnsignedInt(header.getShort(0x3c));
            if (count > 0 && entrySize < SECTION_HEADER_BYTES) {
                throw new IOException("elf " + elf + ": section headers of " + entrySize + " bytes, expected "
                        + SECTION_HEADER_BYTES);
            }
            ByteBuffer sections = map(channel, sectionsAt, (long) entrySize * count);
            for (int i = 0; i < count && found.size() < wanted.length; i++) {
                int at = i * entrySize;
                if (sections.getInt(at + 4) != SHT_SYMTAB) {
                    continue;
                }
                long symbolsAt = sections.getLong(at + 0x18);
                long symbolsSize = sections.getLong(at + 0x20);
                int link = sections.getInt(at + 0x28);
                long symbolSize = sections.getLong(at + 0x38);
                if (symbolSize < SYMBOL_BYTES || link < 0 || link >= count) {
                    // a zero entry size would never advance through the table
                    throw new IOException("elf " + elf + ": symbol table with " + symbolSize
                            + "-byte entries (expected at least " + SYMBOL_BYTES + ") or string table section "
                            + link + " of " + count);
                }
                int stringsHeader = link * entrySize;
                ByteBuffer strings = map(channel, sections.getLong(stringsHeader + 0x18),
                        sections.getLong(stringsHeader + 0x20));
                ByteBuffer symbols = map(channel, symbolsAt, symbolsSize);
                for (long s = 0; s + symbolSize <= symbolsSize && found.size() < wanted.length; s += symbolSize) {
                    int entry = (int) s;
                    long nameAt = Integer.toUnsignedLong(symbols.getInt(entry));
                    for (int k = 0; k < wanted.length; k++) {
                        if (nameIs(strings, nameAt, wanted[k]) && !found.containsKey(keys.get(k))) {
                            found.put(keys.get(k), new Symbol(symbols.getLong(entry + 8),
                                    symbols.getLong(entry + 16), symbols.get(entry + 4) & 0xf));
                        }
                    }
                }
            }
            return found;
        }
    }

    private static boolean nameIs(ByteBuffer strings, long at, byte[] wanted) {
        if (at + wanted.length >= strings.limit()) {
            return false;
        }
        int start = (int) at;
        for (int k = 0; k < wanted.length; k++) {
            if (strings.get(start + k) != wanted[k]) {
                return false;
            }
        }
        return strings.get(start + wanted.length) == 0;
    }

    private static ByteBuffer map(FileChannel channel, long at, long size) throws IOException {
        if (at < 0 || size < 0 || size > Integer.MAX_VALUE || at + size > channel.size()) {
            throw new IOException("ELF section at " + at + " of " + size + " bytes lies outside the file ("
                    + channel.size() + " bytes)");
        }
        return channel.map(FileChannel.MapMode.READ_ONLY, at, size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
