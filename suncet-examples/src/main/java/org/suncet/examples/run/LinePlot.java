package org.suncet.examples.run;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.XYSeries.XYSeriesRenderStyle;
import org.knowm.xchart.style.Styler.LegendLayout;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A PNG line chart: several named series, a legend, axes with grid lines, axis labels and a title,
 * optionally on log scales. Used for loss and accuracy curves over epochs and for accuracy against
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
 * <p>Drawn by <a href="https://knowm.org/open-source/xchart/">XChart</a> into a {@link BufferedImage},
 * so it needs no display: loading this class sets {@code java.awt.headless=true} unless the property is
 * already set. The same input gives the same PNG bytes. The legend sits below the plot, so it never
 * covers a point. Tick labels from 10 000 on get k / M / G / T suffixes. A NaN or infinite y value
 * leaves a gap in its line; x values must be finite. Points get markers when a series has at most 60,
 * so a one-point series shows as a dot. {@link #write} replaces the file atomically, so a plot redrawn
 * every epoch is never seen half-written.
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

    private record Series(String name, double[] x, double[] y) {}

    private final Builder settings;
    private final List<Series> series;

    private LinePlot(Builder builder) {
        this.settings = builder.copy();
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
        AtomicFile.write(file, BitmapEncoder.getBitmapBytes(chart(), BitmapFormat.PNG));
    }

    /**
     * Draws the chart.
     *
     * @return an image of the builder's size
     */
    public BufferedImage render() {
        return BitmapEncoder.getBufferedImage(chart());
    }

    private XYChart chart() {
        XYChart chart = new XYChartBuilder()
                .width(settings.width)
                .height(settings.height)
                .title(settings.title)
                .xAxisTitle(settings.xLabel)
                .yAxisTitle(settings.yLabel)
                .build();
        XYStyler styler = chart.getStyler();
        styler.setDefaultSeriesRenderStyle(XYSeriesRenderStyle.Line)
                .setXAxisLogarithmic(settings.logX)
                .setYAxisLogarithmic(settings.logY)
                .setSeriesColors(PALETTE)
                .setChartBackgroundColor(Color.WHITE)
                .setPlotBackgroundColor(Color.WHITE)
                .setPlotBorderColor(Color.DARK_GRAY)
                .setLegendBorderColor(Color.WHITE)
                .setLegendPosition(LegendPosition.OutsideS)
                .setLegendLayout(LegendLayout.Horizontal)
                .setChartTitleBoxVisible(false)
                .setAntiAlias(true);
        styler.setPlotGridLinesColor(new Color(0xe6e6e6)).setMarkerSize(7);
        styler.setXAxisTitleVisible(!settings.xLabel.isEmpty()).setYAxisTitleVisible(!settings.yLabel.isEmpty());
        if (!settings.logX && largest(true) >= 1e4) {
            styler.setxAxisTickLabelsFormattingFunction(LinePlot::suffixed);
        }
        if (!settings.logY && largest(false) >= 1e4) {
            styler.setyAxisTickLabelsFormattingFunction(LinePlot::suffixed);
        }
        if (largest(false) < 0) { // nothing finite to draw: an empty frame rather than an odd range
            styler.setXAxisMin(1.0).setXAxisMax(10.0).setYAxisMin(1.0).setYAxisMax(10.0);
        }
        for (Series line : series) {
            XYSeries drawn = chart.addSeries(line.name(), line.x(), line.y());
            drawn.setMarker(line.x().length <= MARKER_LIMIT ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        }
        return chart;
    }

    /** The largest |value| among the drawn points on one axis, or -1 if no point has a finite y. */
    private double largest(boolean x) {
        double largest = -1;
        for (Series line : series) {
            for (int i = 0; i < line.x().length; i++) {
                if (Double.isFinite(line.y()[i])) {
                    largest = Math.max(largest, Math.abs(x ? line.x()[i] : line.y()[i]));
                }
            }
        }
        return largest;
    }

    /** A tick label with a k / M / G / T suffix and at most four significant digits: 2.4M, 15k. */
    static String suffixed(double value) {
        String[] suffixes = {"", "k", "M", "G", "T"};
        int level = 0;
        double scaled = value;
        while (level < suffixes.length - 1 && Math.abs(scaled) >= 1e3) {
            level++;
            scaled /= 1e3;
        }
        if (Math.abs(scaled) < 1e-9) {
            return "0";
        }
        String digits = new BigDecimal(scaled).round(new MathContext(4)).stripTrailingZeros().toPlainString();
        return digits + suffixes[level];
    }

    /** Builds a {@link LinePlot}. */
    public static final class Builder {

        private String title;
        private String xLabel = "";
        private String yLabel = "";
        private int width = 800;
        private int height = 500;
        private boolean logX;
        private boolean logY;
        private final List<Series> series = new ArrayList<>();

        private Builder() {}

        private Builder copy() {
            Builder copy = new Builder();
            copy.title = title;
            copy.xLabel = xLabel;
            copy.yLabel = yLabel;
            copy.width = width;
            copy.height = height;
            copy.logX = logX;
            copy.logY = logY;
            return copy;
        }

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
         * Draws the horizontal axis on a log scale (default linear), as for compute spanning decades;
         * every x value must then be positive.
         *
         * @return this builder
         */
        public Builder optLogX() {
            this.logX = true;
            return this;
        }

        /**
         * Draws the vertical axis on a log scale (default linear), as for a loss falling by decades;
         * every finite y value must then be positive.
         *
         * @return this builder
         */
        public Builder optLogY() {
            this.logY = true;
            return this;
        }

        /**
         * Adds a series, drawn in the next colour of the palette.
         *
         * @param name its name in the legend, not used by another series
         * @param x the horizontal values, finite
         * @param y the vertical values, as many as {@code x}; NaN or infinity leaves a gap
         * @return this builder
         * @throws IllegalArgumentException if the name is blank or taken, an array is null or empty,
         *     their lengths differ, or an x value is not finite
         */
        public Builder addSeries(String name, double[] x, double[] y) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("series name must be non-blank, got '" + name + "'");
            }
            if (series.stream().anyMatch(line -> line.name().equals(name))) {
                throw new IllegalArgumentException("series name '" + name + "' is used twice");
            }
            if (x == null || y == null || x.length == 0 || x.length != y.length) {
                throw new IllegalArgumentException(
                        "series '" + name + "' needs as many x as y values, at least one, got x "
                                + (x == null ? "null" : x.length) + ", y " + (y == null ? "null" : y.length));
            }
            double[] gapped = y.clone();
            for (int i = 0; i < x.length; i++) {
                if (!Double.isFinite(x[i])) {
                    throw new IllegalArgumentException(
                            "series '" + name + "' needs finite x values, got x[" + i + "] = " + x[i]);
                }
                if (!Double.isFinite(gapped[i])) {
                    gapped[i] = Double.NaN; // XChart leaves a gap at NaN
                }
            }
            series.add(new Series(name, x.clone(), gapped));
            return this;
        }

        /**
         * Builds the chart.
         *
         * @return the chart
         * @throws IllegalArgumentException if the title is missing, there is no series, or a log axis
         *     gets a value that is not positive
         */
        public LinePlot build() {
            if (title == null || title.isBlank()) {
                throw new IllegalArgumentException("title must be set and non-blank, got '" + title + "'");
            }
            if (series.isEmpty()) {
                throw new IllegalArgumentException("a plot needs at least one series, got none");
            }
            for (Series line : series) {
                for (int i = 0; i < line.x().length; i++) {
                    if (logX && line.x()[i] <= 0) {
                        throw new IllegalArgumentException(String.format(Locale.ROOT,
                                "a log x axis needs positive values, got x[%d] = %s in series '%s'", i, line.x()[i], line.name()));
                    }
                    if (logY && line.y()[i] <= 0) {
                        throw new IllegalArgumentException(String.format(Locale.ROOT,
                                "a log y axis needs positive values, got y[%d] = %s in series '%s'", i, line.y()[i], line.name()));
                    }
                }
            }
            return new LinePlot(this);
        }
    }
}
