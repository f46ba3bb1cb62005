package org.suncet.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ElfSymbolsTest {

    private static final String SET_MKLDNN = OneDnnCacheInfo.SECOND_ANCHOR;

    private static NativeLibrary torch() throws IOException {
        return ConvolutionKernelCheck.loaded("libtorch_cpu.so");
    }

    /**
     * Two exported functions lie as far apart in the loaded library as their {@code .symtab} values
     * say: the values are offsets from one load address, which is what {@link OneDnnCacheInfo}
     * relies on to reach a local symbol.
     */
    @Test
    void symbolValuesAreOffsetsFromOneLoadAddress() throws IOException {
        NativeLibrary torch = torch();
        Path file = torch.getFile().toPath();
        Optional<ElfSymbols.Symbol> context = ElfSymbols.find(file, OneDnnCacheInfo.ANCHOR);
        Optional<ElfSymbols.Symbol> mkldnn = ElfSymbols.find(file, SET_MKLDNN);
        assumeTrue(context.isPresent() && mkldnn.isPresent(), "this libtorch_cpu.so has no .symtab");
        long runtime = Pointer.nativeValue(torch.getFunction(OneDnnCacheInfo.ANCHOR))
                - Pointer.nativeValue(torch.getFunction(SET_MKLDNN));
        assertEquals(runtime, context.get().value() - mkldnn.get().value());
        assertTrue(context.get().size() > 0, "a function's size is its code's length");
        assertEquals(ElfSymbols.FUNCTION, context.get().type());
    }

    @Test
    void findsLocalSymbolsThatDlsymCannotSee() throws IOException {
        Path file = torch().getFile().toPath();
        Optional<ElfSymbols.Symbol> object = ElfSymbols.find(file, OneDnnCacheInfo.OBJECT);
        assumeTrue(object.isPresent(), "this libtorch_cpu.so has no .symtab or another oneDNN");
        assertEquals(OneDnnCacheInfo.OBJECT_BYTES, object.get().size());
        assertEquals(ElfSymbols.OBJECT, object.get().type());
        assertEquals(ElfSymbols.FUNCTION, ElfSymbols.find(file, OneDnnCacheInfo.FUNCTION).orElseThrow().type());
        assertThrows(UnsatisfiedLinkError.class, () -> torch().getFunction(OneDnnCacheInfo.FUNCTION));
    }

    @Test
    void onePassFindsWhatSingleLookupsFind() throws IOException {
        Path file = torch().getFile().toPath();
        List<String> names = List.of(OneDnnCacheInfo.ANCHOR, SET_MKLDNN, "no_such_symbol_in_libtorch");
        Map<String, ElfSymbols.Symbol> found = ElfSymbols.find(file, names);
        assumeTrue(found.containsKey(OneDnnCacheInfo.ANCHOR), "this libtorch_cpu.so has no .symtab");
        assertEquals(2, found.size(), found.toString());
        for (String name : names) {
            assertEquals(Optional.ofNullable(found.get(name)), ElfSymbols.find(file, name), name);
        }
    }

    @Test
    void anUnknownNameIsEmptyNotAPrefixMatch() throws IOException {
        Path file = torch().getFile().toPath();
        assertEquals(Optional.empty(), ElfSymbols.find(file, "_ZN2at13globalContext"));
        assertEquals(Optional.empty(), ElfSymbols.find(file, "no_such_symbol_in_libtorch"));
    }

    @Test
    void aFileThatIsNotElf64IsRejectedByName(@TempDir Path dir) throws IOException {
        Path text = Files.writeString(dir.resolve("notes.txt"), "x".repeat(100));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ElfSymbols.find(text, "main"));
        assertTrue(e.getMessage().contains("notes.txt") && e.getMessage().contains("64-bit"), e.getMessage());
    }

    /**
     * A symbol table whose entry size is 0 would never advance: it is rejected, not looped over.
     */
    @Test
    void aSymbolTableWithZeroSizedEntriesIsAnIoError(@TempDir Path dir) throws IOException {
        ByteBuffer file = ByteBuffer.allocate(128).order(ByteOrder.LITTLE_ENDIAN);
        file.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1});
        file.putLong(0x28, 64); // one section header, right after the file header
        file.putShort(0x3a, (short) 64);
        file.putShort(0x3c, (short) 1);
        file.putInt(64 + 4, 2); // SHT_SYMTAB
        file.putLong(64 + 0x18, 0); // its symbols: the file's first 24 bytes
        file.putLong(64 + 0x20, 24);
        file.putInt(64 + 0x28, 0); // its strings: section 0, itself
        file.putLong(64 + 0x38, 0); // entry size 0
        Path elf = Files.write(dir.resolve("zero.so"), file.array());
        IOException e = assertThrows(IOException.class, () -> ElfSymbols.find(elf, "main"));
        assertTrue(e.getMessage().contains("0-byte entries") && e.getMessage().contains("zero.so"), e.getMessage());
    }

    @Test
    void sectionHeadersOutsideTheFileAreAnIoError(@TempDir Path dir) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        header.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1});
        header.putLong(0x28, 1 << 20); // section headers at 1 MiB of a 64-byte file
        header.putShort(0x3a, (short) 64);
        header.putShort(0x3c, (short) 3);
        Path elf = Files.write(dir.resolve("short.so"), header.array());
        IOException e = assertThrows(IOException.class, () -> ElfSymbols.find(elf, "main"));
        assertTrue(e.getMessage().contains("outside the file"), e.getMessage());
    }
}
