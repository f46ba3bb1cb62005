package org.suncet.examples.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressBarTest {

    static final long SECOND = 1_000_000_000L;

    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    final AtomicLong now = new AtomicLong(5 * SECOND);

    ProgressBar.Builder bar(boolean interactive) {
        return ProgressBar.builder()
                .setOutput(out)
                .setEpochs(10)
                .setStepsPerEpoch(10)
                .optInteractive(interactive)
                .optClock(now::get)
                .optBarWidth(10);
    }

    String printed() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void plainOutputPrintsPeriodicLinesAndTheEpochTotals() {
        ProgressBar progress = bar(false).optPlainInterval(Duration.ofSeconds(4)).build();
        progress.startEpoch(2);
        for (int step = 0; step < 10; step++) {
            now.addAndGet(SECOND);
            progress.step(32, 2.0 + (step % 2 == 0 ? 0.5 : -0.5), 0.5);
        }
        ProgressBar.Summary summary = progress.finishEpoch();
        String[] lines = printed().split("\n");
        assertFalse(printed().contains("\r"));
        assertEquals(3, lines.length, printed()); // at 4 s, at 8 s, and the end
        assertEquals("epoch  3/10 [####......]  4/10  loss 2.0000  acc 50.0%  32 img/s  0:04<0:06", lines[0]);
        assertEquals("epoch  3/10 [##########] 10/10  loss 2.0000  acc 50.0%  32 img/s  0:10", lines[2]);
        assertEquals(2.0, summary.loss(), 1e-12);
        assertEquals(0.5, summary.accuracy(), 1e-12);
        assertEquals(32.0, summary.imagesPerSecond(), 1e-9);
        assertEquals(10.0, summary.seconds(), 1e-9);
        assertEquals(10, summary.steps());
    }

    @Test
    void aTerminalGetsOneLineRedrawnInPlace() {
        ProgressBar progress = bar(true).optRedrawInterval(Duration.ofMillis(100)).build();
        progress.startEpoch(0);
        for (int step = 0; step < 10; step++) {
            now.addAndGet(SECOND / 20); // 50 ms a step: every second step is drawn
            progress.step(64, 1.0);
        }
        progress.finishEpoch();
        String text = printed();
        assertEquals(1, text.chars().filter(c -> c == '\n').count(), "one line per epoch");
        assertTrue(text.endsWith("\n"));
        long redraws = text.chars().filter(c -> c == '\r').count();
        assertEquals(6, redraws, "5 throttled redraws and the final one: " + text);
        String last = text.substring(text.lastIndexOf('\r') + 1, text.length() - 1);
        assertEquals("epoch  1/10 [##########] 10/10  loss 1.0000  1280 img/s  0:01", last.stripTrailing());
        assertFalse(last.contains("acc"), "no accuracy given, none shown");
    }

    @Test
    void aShorterRedrawErasesTheLongerLineBeforeIt() {
        ProgressBar progress = bar(true).optRedrawInterval(Duration.ZERO).build();
        progress.startEpoch(0);
        now.addAndGet(SECOND);
        progress.step(1, 123456.0, 0.5);
        now.addAndGet(SECOND);
        progress.step(1, -123456.0);
        String[] draws = printed().split("\r");
        assertEquals(draws[1].length(), draws[2].length(), "padded to the previous width");
    }

    @Test
    void clockFormatsMinutesAndHours() {
        assertEquals("0:00", ProgressBar.clock(0.2));
        assertEquals("1:05", ProgressBar.clock(65));
        assertEquals("2:00:01", ProgressBar.clock(7201));
    }

    @Test
    void badInputIsNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> bar(false).setEpochs(0).build())
                .getMessage().contains("epochs must be >= 1, got 0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> bar(false).setStepsPerEpoch(-3).build())
                .getMessage().contains("stepsPerEpoch must be >= 1, got -3"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> bar(false).setOutput(null).build())
                .getMessage().contains("output"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> bar(false).optBarWidth(0).build())
                .getMessage().contains("barWidth must be >= 1, got 0"));
        ProgressBar progress = bar(false).build();
        assertThrows(IllegalStateException.class, () -> progress.step(1, 1.0));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> progress.startEpoch(10))
                .getMessage().contains("epochIndex must be in [0, 10), got 10"));
        progress.startEpoch(0);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> progress.step(-1, 1.0))
                .getMessage().contains("stepImages must be >= 0, got -1"));
    }
}
