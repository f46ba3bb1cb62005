package org.suncet.examples.run;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A PNG line chart: several named series, a legend, axis ticks at round numbers with grid lines,
 * axis labels and a title. Used for loss and accuracy curves over epochs and for accuracy against
 * compute (rows forwarded).
 *
 * <pre>
 *   LinePlot.builder()
 *           .setTitle("pre-training loss")
 *           .optAxisLabels("epoch", "NT-Xent loss")
 *           .addSeries("SimCLR", epochs, simclrLoss)
 *           .addSeries("SimCLR + SuNCEt", epochs, suncetLoss)
 *           .build()
 *           .write(run.resolve("loss.png"));
 * </pre>
 *
 * <p>Drawn with {@code java.awt} into a {@link BufferedImage} and encoded with {@link ImageIO}, so it
 * needs no display: loading this class sets {@code java.awt.headless=true} unless the property is
 * already set. Ticks are 1, 2 or 5 × 10^k apart; values from 10 000 on get k / M / G / T
 * suffixes. A NaN or infinite value leaves a gap in its line. Points get markers when a series has at most 60. The
 * legend sits in the corner of the plot that covers the fewest points. {@link #write} replaces the
 * file atomically, so a plot redrawn every epoch is never seen half-written.
 */
public final class LinePlot {

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf)
    };
    private static final int MARKER_LIMIT = 60;
    private static final int TARGET_TICKS = 6;

    private record Series(String name, double[] x, double[] y) {}

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final int width;
    private final int height;
    private final List<Series> series;

    private LinePlot(Builder builder) {
        this.title = builder.title;
        this.xLabel = builder.xLabel;
        this.yLabel = builder.yLabel;
        this.width = builder.width;
        this.height = builder.height;
        this.series = List.copyOf(builder.series);
    }

    /**
     * A builder; {@link Builder#setTitle} and at least one {@link Builder#addSeries} are required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Writes the chart as a PNG, replacing {@code file} atomically.
     *
     * @param file the PNG file
     * @throws IOException if writing fails
     */
    public void write(Path file) throws IOException {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        if (!ImageIO.write(render(), "png", png)) {
            throw new IOException("no PNG writer available in this Java runtime");
        }
        AtomicFile.write(file, png.toByteArray());
    }

    /**
     * Draws the chart.
     *
     * @return an RGB image of the builder's size
     */
    public BufferedImage render() {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            draw(g);
        } finally {
            g.dispose();
        }
        return image;
    }

    private void draw(Graphics2D g) {
        Font tickFont = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        Font labelFont = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
        Font titleFont = new Font(Font.SANS_SERIF, Font.BOLD, 15);
        Axis xAxis = Axis.of(range(true));
        double[] yRange = range(false);
        double yPad = 0.03 * (yRange[1] - yRange[0]); // keep extreme points off the frame
        Axis yAxis = Axis.of(new double[] {yRange[0] - yPad, yRange[1] + yPad});

        g.setFont(tickFont);
        FontMetrics tickMetrics = g.getFontMetrics();
        int yTickWidth = 0;
        for (double tick : yAxis.ticks()) {
            yTickWidth = Math.max(yTickWidth, tickMetrics.stringWidth(yAxis.format(tick)));
        }
        int left = 16 + (yLabel.isEmpty() ? 0 : 20) + yTickWidth + 8;
        int right = width - 24;
        int top = 44;
        int bottom = height - (16 + (xLabel.isEmpty() ? 0 : 20) + tickMetrics.getHeight() + 6);
        int plotWidth = Math.max(1, right - left);
        int plotHeight = Math.max(1, bottom - top);

        // grid and ticks
        g.setStroke(new BasicStroke(1f));
        for (double tick : xAxis.ticks()) {
            int px = (int) Math.round(left + xAxis.fraction(tick) * plotWidth);
            g.setColor(new Color(0xe6e6e6));
            g.drawLine(px, top, px, bottom);
            g.setColor(Color.DARK_GRAY);
            g.drawLine(px, bottom, px, bottom + 4);
            String text = xAxis.format(tick);
            g.drawString(text, px - tickMetrics.stringWidth(text) / 2, bottom + 6 + tickMetrics.getAscent());
        }
        for (double tick : yAxis.ticks()) {
            int py = (int) Math.round(bottom - yAxis.fraction(tick) * plotHeight);
            g.setColor(new Color(0xe6e6e6));
            g.drawLine(left, py, right, py);
            g.setColor(Color.DARK_GRAY);
            g.drawLine(left - 4, py, left, py);
            String text = yAxis.format(tick);
            g.drawString(text, left - 8 - tickMetrics.stringWidth(text), py + tickMetrics.getAscent() / 2 - 1);
        }
        g.setColor(Color.DARK_GRAY);
        g.drawRect(left, top, plotWidth, plotHeight);

        // labels and title
        g.setFont(labelFont);
        FontMetrics labelMetrics = g.getFontMetrics();
        g.setColor(Color.BLACK);
        if (!xLabel.isEmpty()) {
            g.drawString(xLabel, left + (plotWidth - labelMetrics.stringWidth(xLabel)) / 2, height - 14);
        }
        if (!yLabel.isEmpty()) {
            AffineTransform saved = g.getTransform();
            g.rotate(-Math.PI / 2);
            g.drawString(yLabel, -(top + (plotHeight + labelMetrics.stringWidth(yLabel)) / 2), 14 + labelMetrics.getAscent());
            g.setTransform(saved);
        }
        g.setFont(titleFont);
        FontMetrics titleMetrics = g.getFontMetrics();
        g.drawString(title, (width - titleMetrics.stringWidth(title)) / 2, 14 + titleMetrics.getAscent());

        // series, clipped to the plot area
        java.awt.Shape clip = g.getClip();
        g.clipRect(left, top, plotWidth + 1, plotHeight + 1);
        for (int s = 0; s < series.size(); s++) {
            Series line = series.get(s);
            g.setColor(PALETTE[s % PALETTE.length]);
            g.setStroke(new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            Path2D.Double path = new Path2D.Double();
            boolean drawing = false;
            for (int i = 0; i < line.x().length; i++) {
                if (!Double.isFinite(line.x()[i]) || !Double.isFinite(line.y()[i])) {
                    drawing = false;
                    continue;
                }
                double px = left + xAxis.fraction(line.x()[i]) * plotWidth;
                double py = bottom - yAxis.fraction(line.y()[i]) * plotHeight;
                if (drawing) {
                    path.lineTo(px, py);
                } else {
                    path.moveTo(px, py);
                    drawing = true;
                }
                if (line.x().length <= MARKER_LIMIT) {
                    g.fill(new Ellipse2D.Double(px - 3, py - 3, 6, 6));
                }
            }
            g.draw(path);
        }
        g.setClip(clip);

        drawLegend(g, tickFont, left, top, plotWidth, plotHeight, xAxis, yAxis);
    }

    private void drawLegend(
            Graphics2D g, Font font, int left, int top, int plotWidth, int plotHeight, Axis xAxis, Axis yAxis) {
        g.setFont(font);
        FontMetrics metrics = g.getFontMetrics();
        int rowHeight = metrics.getHeight() + 2;
        int textWidth = 0;
        for (Series line : series) {
            textWidth = Math.max(textWidth, metrics.stringWidth(line.name()));
        }
        int boxWidth = 8 + 24 + 6 + textWidth + 8;
        int boxHeight = 6 + rowHeight * series.size() + 2;
        int margin = 8;
        int[][] corners = {
            {left + plotWidth - boxWidth - margin, top + margin},
            {left + margin, top + margin},
            {left + plotWidth - boxWidth - margin, top + plotHeight - boxHeight - margin},
            {left + margin, top + plotHeight - boxHeight - margin}
        };
        int best = 0;
        int fewest = Integer.MAX_VALUE;
        for (int c = 0; c < corners.length; c++) {
            int covered = 0;
            for (Series line : series) {
                for (int i = 0; i < line.x().length; i++) {
                    double px = left + xAxis.fraction(line.x()[i]) * plotWidth;
                    double py = top + plotHeight - yAxis.fraction(line.y()[i]) * plotHeight;
                    if (px >= corners[c][0] && px <= corners[c][0] + boxWidth
                            && py >= corners[c][1] && py <= corners[c][1] + boxHeight) {
                        covered++;
                    }
                }
            }
            if (covered < fewest) {
                fewest = covered;
                best = c;
            }
        }
        int x = corners[best][0];
        int y = corners[best][1];
        g.setColor(new Color(255, 255, 255, 230));
        g.fillRect(x, y, boxWidth, boxHeight);
        g.setColor(Color.GRAY);
        g.setStroke(new BasicStroke(1f));
        g.drawRect(x, y, boxWidth, boxHeight);
        for (int s = 0; s < series.size(); s++) {
            int rowMiddle = y + 4 + rowHeight * s + rowHeight / 2;
            g.setColor(PALETTE[s % PALETTE.length]);
            g.setStroke(new BasicStroke(2f));
            g.drawLine(x + 8, rowMiddle, x + 32, rowMiddle);
            g.fill(new Ellipse2D.Double(x + 20 - 3, rowMiddle - 3, 6, 6));
            g.setColor(Color.BLACK);
            g.drawString(series.get(s).name(), x + 38, rowMiddle + metrics.getAscent() / 2 - 1);
        }
    }

    /** The finite data range on one axis, or [0, 1] if there is none. */
    private double[] range(boolean x) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (Series line : series) {
            for (int i = 0; i < line.x().length; i++) {
                if (Double.isFinite(line.x()[i]) && Double.isFinite(line.y()[i])) {
                    double value = x ? line.x()[i] : line.y()[i];
                    min = Math.min(min, value);
                    max = Math.max(max, value);
                }
            }
        }
        return min <= max ? new double[] {min, max} : new double[] {0, 1};
    }

    /** A linear axis from {@code low} to {@code high} with ticks {@code step} apart. */
    private record Axis(double low, double high, double step) {

        static Axis of(double[] range) {
            double min = range[0];
            double max = range[1];
            if (max - min <= Math.abs(max) * 1e-12) {
                double pad = min == 0 ? 1 : Math.abs(min) * 0.1;
                min -= pad;
                max += pad;
            }
            double step = niceStep((max - min) / TARGET_TICKS);
            return new Axis(Math.floor(min / step) * step, Math.ceil(max / step) * step, step);
        }

        /** 1, 2 or 5 × 10^k, the smallest not below {@code rough}. */
        static double niceStep(double rough) {
            double power = Math.pow(10, Math.floor(Math.log10(rough)));
            double mantissa = rough / power;
            double nice = mantissa <= 1 ? 1 : mantissa <= 2 ? 2 : mantissa <= 5 ? 5 : 10;
            return nice * power;
        }

        List<Double> ticks() {
            List<Double> ticks = new ArrayList<>();
            long count = Math.round((high - low) / step);
            for (long i = 0; i <= count; i++) {
                ticks.add(low + i * step);
            }
            return ticks;
        }

        double fraction(double value) {
            return (value - low) / (high - low);
        }

        String format(double value) {
            double magnitude = Math.max(Math.abs(low), Math.abs(high));
            String[] suffixes = {"", "k", "M", "G", "T"};
            int level = 0;
            double scale = 1;
            while (level < suffixes.length - 1 && magnitude / scale >= 1e4) {
                level++;
                scale *= 1e3;
            }
            double scaledStep = step / scale;
            int decimals = Math.max(0, (int) Math.ceil(-Math.log10(scaledStep) - 1e-9));
            double scaled = value / scale;
            if (Math.abs(scaled) < scaledStep * 1e-6) {
                return level == 0 ? String.format(Locale.ROOT, "%." + decimals + "f", 0.0) : "0";
            }
            return String.format(Locale.ROOT, "%." + decimals + "f", scaled) + suffixes[level];
        }
    }

    /** Builds a {@link LinePlot}. */
    public static final class Builder {

        private String title;
        private String xLabel = "";
        private String yLabel = "";
        private int width = 800;
        private int height = 500;
        private final List<Series> series = new ArrayList<>();

        private Builder() {}

        /**
         * Sets the title (required).
         *
         * @param title the chart's title
         * @return this builder
         */
        public Builder setTitle(String title) {
            this.title = title;
            return this;
        }

        /**
         * Sets the axis labels (default none).
         *
         * @param xLabel the horizontal axis's label
         * @param yLabel the vertical axis's label
         * @return this builder
         * @throws IllegalArgumentException if a label is null
         */
        public Builder optAxisLabels(String xLabel, String yLabel) {
            if (xLabel == null || yLabel == null) {
                throw new IllegalArgumentException("axis labels must not be null, got '" + xLabel + "', '" + yLabel + "'");
            }
            this.xLabel = xLabel;
            this.yLabel = yLabel;
            return this;
        }

        /**
         * Sets the image size in pixels (default 800 × 500).
         *
         * @param width the width, 200 to 10000
         * @param height the height, 150 to 10000
         * @return this builder
         * @throws IllegalArgumentException if a size is out of range
         */
        public Builder optSize(int width, int height) {
            if (width < 200 || width > 10_000) {
                throw new IllegalArgumentException("width must be in [200, 10000], got " + width);
            }
            if (height < 150 || height > 10_000) {
                throw new IllegalArgumentException("height must be in [150, 10000], got " + height);
            }
            this.width = width;
            this.height = height;
            return this;
        }

        /**
         * Adds a series, drawn in the next colour of the palette.
         *
         * @param name its name in the legend
         * @param x the horizontal values
         * @param y the vertical values, as many as {@code x}; NaN leaves a gap
         * @return this builder
         * @throws IllegalArgumentException if the name is blank, an array is null or empty, or their
         *     lengths differ
         */
        public Builder addSeries(String name, double[] x, double[] y) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("series name must be non-blank, got '" + name + "'");
            }
            if (x == null || y == null || x.length == 0 || x.length != y.length) {
                throw new IllegalArgumentException(
                        "series '" + name + "' needs as many x as y values, at least one, got x "
                                + (x == null ? "null" : x.length) + ", y " + (y == null ? "null" : y.length));
            }
            series.add(new Series(name, x.clone(), y.clone()));
            return this;
        }

        /**
         * Builds the chart.
         *
         * @return the chart
         * @throws IllegalArgumentException if the title is missing or there is no series
         */
        public LinePlot build() {
            if (title == null || title.isBlank()) {
                throw new IllegalArgumentException("title must be set and non-blank, got '" + title + "'");
            }
            if (series.isEmpty()) {
                throw new IllegalArgumentException("a plot needs at least one series, got none");
            }
            return new LinePlot(this);
        }
    }
}
