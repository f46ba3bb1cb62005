package org.suncet.examples.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.GraphicsEnvironment;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LinePlotTest {

    static double[] epochs(int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = i + 1;
        }
        return x;
    }

    static int countColour(BufferedImage image, int rgb) {
        int count = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xffffff) == rgb) {
                    count++;
                }
            }
        }
        return count;
    }

    @Test
    void writesAReadablePngOfTheRequestedSizeHeadless(@TempDir Path folder) throws IOException {
        double[] x = epochs(20);
        double[] simclr = new double[20];
        double[] suncet = new double[20];
        for (int i = 0; i < 20; i++) {
            simclr[i] = 5.0 * Math.exp(-i / 8.0) + 1;
            suncet[i] = 4.6 * Math.exp(-i / 6.0) + 0.9;
        }
        Path file = folder.resolve("plots/loss.png");
        LinePlot.builder()
                .setTitle("pre-training loss")
                .optAxisLabels("epoch", "NT-Xent loss")
                .optSize(640, 400)
                .addSeries("SimCLR", x, simclr)
                .addSeries("SimCLR + SuNCEt", x, suncet)
                .build()
                .write(file);
        assertTrue(GraphicsEnvironment.isHeadless());
        BufferedImage image = ImageIO.read(file.toFile());
        assertNotNull(image, "a PNG ImageIO can read");
        assertEquals(640, image.getWidth());
        assertEquals(400, image.getHeight());
        assertTrue(countColour(image, 0x1f77b4) > 200, "the first series is drawn in blue");
        assertTrue(countColour(image, 0xd62728) > 200, "the second series is drawn in red");
        assertEquals(0xffffff, image.getRGB(2, 2) & 0xffffff, "white background");
        try (var entries = Files.list(file.getParent())) {
            assertEquals(1, entries.count(), "no temporary file left");
        }
    }

    @Test
    void drawsAccuracyAgainstLargeComputeValuesWithGapsAndSinglePoints(@TempDir Path folder) throws IOException {
        double[] rows = {1.2e6, 2.4e6, 3.6e6, 4.8e6};
        Path file = folder.resolve("accuracy-vs-compute.png");
        LinePlot.builder()
                .setTitle("test accuracy vs compute")
                .optAxisLabels("rows forwarded", "accuracy")
                .addSeries("supervised", new double[] {2.4e6}, new double[] {0.71})
                .addSeries("SimCLR", rows, new double[] {0.60, Double.NaN, 0.74, 0.78})
                .addSeries("constant", rows, new double[] {0.5, 0.5, 0.5, 0.5})
                .build()
                .write(file);
        BufferedImage image = ImageIO.read(file.toFile());
        assertEquals(800, image.getWidth());
        assertEquals(500, image.getHeight());
        assertTrue(countColour(image, 0x1f77b4) > 10, "the single point gets a marker");
    }

    @Test
    void aConstantOrNonFiniteSeriesStillDraws() {
        BufferedImage image = LinePlot.builder()
                .setTitle("flat")
                .addSeries("zeros", epochs(3), new double[3])
                .build()
                .render();
        assertTrue(countColour(image, 0x1f77b4) > 50);
        LinePlot.builder()
                .setTitle("nothing finite")
                .addSeries("nan", epochs(2), new double[] {Double.NaN, Double.POSITIVE_INFINITY})
                .build()
                .render();
    }

    @Test
    void theSameInputGivesTheSamePngBytes(@TempDir Path folder) throws IOException {
        for (String name : new String[] {"first.png", "second.png"}) {
            LinePlot.builder()
                    .setTitle("accuracy")
                    .optAxisLabels("epoch", "top-1 (%)")
                    .addSeries("SimCLR", epochs(5), new double[] {50, 61, 66, Double.NaN, 70})
                    .addSeries("supervised", new double[] {3}, new double[] {64})
                    .build()
                    .write(folder.resolve(name));
        }
        assertArrayEquals(Files.readAllBytes(folder.resolve("first.png")), Files.readAllBytes(folder.resolve("second.png")));
    }

    @Test
    void drawsOnLogScales(@TempDir Path folder) throws IOException {
        double[] rows = {1e4, 1e5, 1e6, 1e7};
        Path file = folder.resolve("log.png");
        LinePlot.builder()
                .setTitle("loss against compute")
                .optAxisLabels("rows forwarded", "loss")
                .optLogX()
                .optLogY()
                .addSeries("SimCLR", rows, new double[] {8, 2, 0.5, 0.1})
                .build()
                .write(file);
        BufferedImage image = ImageIO.read(file.toFile());
        assertEquals(800, image.getWidth());
        assertTrue(countColour(image, 0x1f77b4) > 200, "the series is drawn in blue");
    }

    @Test
    void suffixedTickLabels() {
        assertEquals("2.4M", LinePlot.suffixed(2.4e6));
        assertEquals("15k", LinePlot.suffixed(15_000));
        assertEquals("-500k", LinePlot.suffixed(-5e5));
        assertEquals("0", LinePlot.suffixed(0));
        assertEquals("1.235G", LinePlot.suffixed(1_234_567_890));
    }

    @Test
    void badInputIsNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LinePlot.builder().optSize(50, 400))
                .getMessage().contains("width must be in [200, 10000], got 50"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LinePlot.builder().optSize(400, 20_000))
                .getMessage().contains("height must be in [150, 10000], got 20000"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> LinePlot.builder().addSeries("loss", new double[2], new double[3]))
                .getMessage().contains("series 'loss' needs as many x as y values, at least one, got x 2, y 3"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LinePlot.builder().addSeries(" ", new double[1], new double[1]))
                .getMessage().contains("series name"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LinePlot.builder().setTitle("t").build())
                .getMessage().contains("at least one series"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> LinePlot.builder().addSeries("a", new double[1], new double[1]).build())
                .getMessage().contains("title"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> LinePlot.builder().addSeries("loss", new double[] {1, Double.NaN}, new double[2]))
                .getMessage().contains("series 'loss' needs finite x values, got x[1] = NaN"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> LinePlot.builder().addSeries("loss", new double[0], new double[0]))
                .getMessage().contains("at least one, got x 0, y 0"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> LinePlot.builder().addSeries("a", epochs(1), epochs(1)).addSeries("a", epochs(1), epochs(1)))
                .getMessage().contains("series name 'a' is used twice"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> LinePlot.builder().setTitle("t").optLogY().addSeries("a", epochs(2), new double[] {1, 0}).build())
                .getMessage().contains("a log y axis needs positive values, got y[1] = 0.0 in series 'a'"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> LinePlot.builder().setTitle("t").optLogX().addSeries("a", new double[] {-1}, epochs(1)).build())
                .getMessage().contains("a log x axis needs positive values, got x[0] = -1.0 in series 'a'"));
    }
}
