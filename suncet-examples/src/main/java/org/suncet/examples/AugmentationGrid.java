package org.suncet.examples;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;
import org.suncet.augment.ImageTensors;
import org.suncet.augment.MultiViewTransform;
import org.suncet.augment.SimClrAugmentation;
import org.suncet.examples.cli.Options;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code bin/suncet augment-grid [OUT.png] [SEED]}: writes a PNG grid (default
 * {@code docs/augmentations.png}) showing, per row, an input image and seven SimCLR views of it made by
 * one preset: a synthetic colour image through the ImageNet, CIFAR and crop-and-flip presets at 96 px,
 * and a Fashion-MNIST image (grayscale, read from the Debian package's IDX file) through the ImageNet
 * and CIFAR presets at 28 px. Views are drawn with {@link MultiViewTransform} (view v of sample 0,
 * epoch 0), so the same seed gives the same picture.
 */
public final class AugmentationGrid {

    private static final int CELL = 84;
    private static final int GAP = 4;
    private static final int LABEL = 150;
    private static final int VIEWS = 7;
    private static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");

    private AugmentationGrid() {}

    /**
     * The subcommand's arguments for picocli ({@link Options#command}).
     *
     * @return a fresh specification
     */
    public static CommandSpec command() {
        return Options.withPositionals(
                Options.command("suncet augment-grid [OUT.png] [SEED]",
                        "Writes a PNG grid of augmented views (default docs/augmentations.png, seed 2020).",
                        java.util.Map.of(), java.util.Set.of()),
                "[OUT.png] [SEED]", "the PNG to write and the augmentation seed");
    }

    /**
     * Runs the command.
     *
     * @param args optional output path and seed
     * @return 0 on success
     * @throws Exception if the dataset cannot be read or the PNG cannot be written
     */
    public static int run(String[] args) throws Exception {
        Options options = Options.parse(command(), args);
        if (options.helpRequested()) {
            System.out.print(options.help());
            return 0;
        }
        List<String> given = options.positionals();
        if (given.size() > 2) {
            throw new IllegalArgumentException("expected at most OUT.png and SEED, got " + given + "; usage: " + options.usage());
        }
        Path out = Path.of(given.size() > 0 ? given.get(0) : "docs/augmentations.png");
        long seed;
        try {
            seed = given.size() > 1 ? Long.parseLong(given.get(1)) : 2020;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("SEED must be an integer, got '" + given.get(1) + "'", e);
        }
        String[] labels = {"colour, imagenet(96)", "colour, cifar(96)", "colour, cropAndFlip(96)",
            "Fashion-MNIST, imagenet(28)", "Fashion-MNIST, cifar(28)"};
        BufferedImage grid = new BufferedImage(LABEL + (VIEWS + 1) * (CELL + GAP),
                labels.length * (CELL + GAP) + GAP, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = grid.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, grid.getWidth(), grid.getHeight());
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray colour = colourPattern(manager, 96);
            NDArray fashion = ImageTensors.toFloatChw(fashionMnist(manager, 0));
            SimClrAugmentation[] presets = {
                SimClrAugmentation.imagenet(96).optSeed(seed).build(),
                SimClrAugmentation.cifar(96).optSeed(seed).build(),
                SimClrAugmentation.cropAndFlip(96).optSeed(seed).build(),
                SimClrAugmentation.imagenet(28).optSeed(seed).build(),
                SimClrAugmentation.cifar(28).optSeed(seed).build()};
            for (int row = 0; row < presets.length; row++) {
                NDArray input = row < 3 ? colour : fashion;
                int y = GAP + row * (CELL + GAP);
                label(g, labels[row], y);
                draw(grid, input, LABEL, y);
                NDList views = MultiViewTransform.repeat(presets[row], VIEWS).transform(input, 0, 0);
                for (int v = 0; v < VIEWS; v++) {
                    draw(grid, views.get(v), LABEL + (v + 1) * (CELL + GAP), y);
                }
                views.close();
            }
        }
        g.dispose();
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        ImageIO.write(grid, "png", out.toFile());
        System.out.println("wrote " + out + " (" + grid.getWidth() + "x" + grid.getHeight() + ", seed " + seed + ")");
        return 0;
    }

    /** A colourful 3 x size x size test image: hue sweep, a saturated disc, a checker patch and a gray ramp. */
    static NDArray colourPattern(NDManager manager, int size) {
        float[] data = new float[3 * size * size];
        int plane = size * size;
        for (int i = 0; i < size; i++) {
            for (int j = 0; j < size; j++) {
                float hue = (float) j / size;
                float sat = 0.35f + 0.65f * i / size;
                int rgb = Color.HSBtoRGB(hue, sat, 0.95f);
                double dx = j - size * 0.62;
                double dy = i - size * 0.38;
                if (dx * dx + dy * dy < size * size / 25.0) {
                    rgb = 0xE6194B;
                }
                if (i > size * 0.65 && j < size * 0.35) {
                    rgb = ((i / 4 + j / 4) % 2 == 0) ? 0x1F3FBF : 0xFFE119;
                }
                if (i > size * 0.88) {
                    int level = 255 * j / (size - 1);
                    rgb = (level << 16) | (level << 8) | level;
                }
                data[i * size + j] = ((rgb >> 16) & 0xFF) / 255f;
                data[plane + i * size + j] = ((rgb >> 8) & 0xFF) / 255f;
                data[2 * plane + i * size + j] = (rgb & 0xFF) / 255f;
            }
        }
        return manager.create(data, new Shape(3, size, size));
    }

    /** Reads image {@code index} of the Fashion-MNIST training IDX file as uint8 {@code [28, 28]}. */
    static NDArray fashionMnist(NDManager manager, int index) throws IOException {
        try (InputStream raw = Files.newInputStream(FASHION);
                DataInputStream in = new DataInputStream(new GZIPInputStream(raw))) {
            int magic = in.readInt();
            int count = in.readInt();
            int rows = in.readInt();
            int cols = in.readInt();
            if (magic != 0x803 || index < 0 || index >= count) {
                throw new IOException(FASHION + ": not an IDX image file with image " + index
                        + " (magic " + Integer.toHexString(magic) + ", " + count + " images)");
            }
            in.skipNBytes((long) index * rows * cols);
            byte[] pixels = new byte[rows * cols];
            in.readFully(pixels);
            return manager.create(pixels, new Shape(rows, cols)).toType(DataType.UINT8, false);
        }
    }

    private static void draw(BufferedImage grid, NDArray image, int x0, int y0) {
        Shape shape = image.getShape();
        int channels = (int) shape.get(0);
        int h = (int) shape.get(1);
        int w = (int) shape.get(2);
        float[] data = image.toFloatArray();
        for (int y = 0; y < CELL; y++) {
            for (int x = 0; x < CELL; x++) {
                int sy = y * h / CELL;
                int sx = x * w / CELL;
                int rgb = 0;
                for (int c = 0; c < 3; c++) {
                    float v = data[(Math.min(c, channels - 1) * h + sy) * w + sx];
                    rgb = (rgb << 8) | Math.round(Math.max(0, Math.min(1, v)) * 255);
                }
                grid.setRGB(x0 + x, y0 + y, rgb);
            }
        }
    }

    private static void label(Graphics2D g, String text, int y) {
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.DARK_GRAY);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            String[] parts = text.split(", ");
            g.drawString(parts[0], 6, y + CELL / 2 - 4);
            g.drawString(parts[1], 6, y + CELL / 2 + 12);
        } catch (RuntimeException | Error e) {
            // Headless JVMs without fonts cannot draw text; the grid is still useful without labels.
        }
    }
}
