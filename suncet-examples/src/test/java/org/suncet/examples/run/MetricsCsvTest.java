package org.suncet.examples.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsCsvTest {

    static final List<String> COLUMNS = List.of("epoch", "loss", "accuracy", "method");

    /** The metrics of epoch {@code epoch}: what a seeded run would compute, the same every time. */
    static Object[] row(int epoch) {
        return new Object[] {epoch, 4.0 / (epoch + 1), (float) (0.1 * epoch), "simclr"};
    }

    @Test
    void writesTheHeaderThenOneFlushedRowPerAppend(@TempDir Path folder) throws IOException {
        Path file = folder.resolve("metrics.csv");
        MetricsCsv csv = MetricsCsv.create(file, COLUMNS);
        assertEquals("epoch,loss,accuracy,method\n", Files.readString(file));
        csv.append(0, 4.0, 0.25f, "simclr");
        csv.append(1L, 2.0, 0.5f, "suncet, 10 %");
        assertEquals(
                "epoch,loss,accuracy,method\n0,4.0,0.25,simclr\n1,2.0,0.5,\"suncet, 10 %\"\n", Files.readString(file));
        assertEquals(List.of("1", "2.0", "0.5", "suncet, 10 %"), csv.rows().get(1));
        assertArrayEquals(new double[] {4.0, 2.0}, csv.column("loss"));
        assertTrue(Double.isNaN(csv.column("method")[0]));
    }

    @Test
    void quotedCellsReadBack() {
        String line = "3,\"a \"\"quoted\"\", text\",x";
        assertEquals(List.of("3", "a \"quoted\", text", "x"), MetricsCsv.parse(line));
    }

    @Test
    void resumeDropsRowsAfterTheCheckpointAndACutShortLine(@TempDir Path folder) throws IOException {
        Path uninterrupted = folder.resolve("a.csv");
        MetricsCsv whole = MetricsCsv.create(uninterrupted, COLUMNS);
        for (int epoch = 0; epoch < 6; epoch++) {
            whole.append(row(epoch));
        }

        Path interrupted = folder.resolve("b.csv");
        MetricsCsv first = MetricsCsv.create(interrupted, COLUMNS);
        for (int epoch = 0; epoch < 4; epoch++) {
            first.append(row(epoch));
        }
        Files.writeString(interrupted, "4,0.8", StandardOpenOption.APPEND); // killed mid-line
        // the last checkpoint is after epoch 2: epoch 3's row was written, its checkpoint was not
        MetricsCsv resumed = MetricsCsv.resume(interrupted, COLUMNS, 2);
        assertEquals(3, resumed.rows().size());
        for (int epoch = 3; epoch < 6; epoch++) {
            resumed.append(row(epoch));
        }
        assertEquals(Files.readString(uninterrupted), Files.readString(interrupted));
        assertEquals(whole.rows(), resumed.rows());
    }

    @Property(tries = 40)
    void aResumedRunEndsWithTheSameCsvAsAnUninterruptedOne(
            @ForAll @IntRange(min = 1, max = 12) int epochs,
            @ForAll @IntRange(min = 0, max = 12) int rowsBeforeCrash,
            @ForAll @IntRange(min = -1, max = 12) int checkpoint,
            @ForAll boolean cutShortLine) throws IOException {
        int written = Math.min(rowsBeforeCrash, epochs);
        int lastCheckpoint = Math.min(checkpoint, written - 1); // a checkpoint follows its row
        Path folder = Files.createTempDirectory("metrics");
        try {
            MetricsCsv whole = MetricsCsv.create(folder.resolve("a.csv"), COLUMNS);
            for (int epoch = 0; epoch < epochs; epoch++) {
                whole.append(row(epoch));
            }
            Path file = folder.resolve("b.csv");
            MetricsCsv first = MetricsCsv.create(file, COLUMNS);
            for (int epoch = 0; epoch < written; epoch++) {
                first.append(row(epoch));
            }
            if (cutShortLine) {
                Files.writeString(file, written + ",1.", StandardOpenOption.APPEND);
            }
            MetricsCsv resumed = MetricsCsv.resume(file, COLUMNS, lastCheckpoint);
            for (int epoch = lastCheckpoint + 1; epoch < epochs; epoch++) {
                resumed.append(row(epoch));
            }
            assertEquals(Files.readString(folder.resolve("a.csv")), Files.readString(file));
        } finally {
            ChecksummedFileTest.deleteTree(folder);
        }
    }

    @Test
    void resumingAMissingOrEmptyFileStartsWithTheHeader(@TempDir Path folder) throws IOException {
        Path missing = folder.resolve("missing.csv");
        MetricsCsv.resume(missing, COLUMNS, 5).append(row(0));
        Path empty = folder.resolve("empty.csv");
        Files.writeString(empty, "");
        MetricsCsv.resume(empty, COLUMNS, 5).append(row(0));
        assertEquals(Files.readString(missing), Files.readString(empty));
        assertTrue(Files.readString(missing).startsWith("epoch,loss,accuracy,method\n0,"));
    }

    @Test
    void badInputIsNamed(@TempDir Path folder) throws IOException {
        Path file = folder.resolve("metrics.csv");
        MetricsCsv csv = MetricsCsv.create(file, COLUMNS);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MetricsCsv.create(file, COLUMNS))
                .getMessage().contains("already exists"));
        String message = assertThrows(
                IllegalArgumentException.class, () -> MetricsCsv.resume(file, List.of("step", "loss"), 0)).getMessage();
        assertTrue(message.contains("[epoch, loss, accuracy, method]") && message.contains("[step, loss]"), message);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> csv.append(1, 2.0))
                .getMessage().contains("got 2"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> csv.append(1.5, 2.0, 0.1, "x"))
                .getMessage().contains("key 'epoch' must be an integer, got 1.5"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> csv.append(1, 2.0, 0.1, "two\nlines"))
                .getMessage().contains("column 'method'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> csv.append(1, null, 0.1, "x"))
                .getMessage().contains("column 'loss'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> csv.column("lr"))
                .getMessage().contains("got 'lr'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MetricsCsv.create(folder.resolve("x.csv"), List.of("a", "a")))
                .getMessage().contains("[a, a]"));
        assertEquals("epoch,loss,accuracy,method\n", Files.readString(file), "refused rows are not written");

        Files.writeString(file, "epoch,loss,accuracy,method\nfirst,1.0,0.5,x\n");
        message = assertThrows(IllegalArgumentException.class, () -> MetricsCsv.resume(file, COLUMNS, 3)).getMessage();
        assertTrue(message.contains("line 2") && message.contains("'first'"), message);
    }
}
