package dev.ingot.bench.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import javax.imageio.ImageIO;

/**
 * Draws the backward's bandwidth as a PNG: one panel per thread count on one shared scale; per shape a bar for
 * ingot (and one for PyTorch when measured) at the median, an error bar from the slowest to the fastest sample, and
 * the STREAM triad of that shape as a black dash (the roof); the machine, JDK, date and commit in the caption.
 * Stateless.
 */
final class BenchChart {
    private static final int PANEL_WIDTH = 640;
    private static final int HEIGHT = 640;
    private static final int TOP = 118;
    private static final int BOTTOM = 150;
    private static final int LEFT = 70;
    private static final int RIGHT = 24;
    private static final Color INGOT = new Color(0x1f77b4);
    private static final Color TORCH = new Color(0xff7f0e);
    private static final Color ROOF = Color.BLACK;
    private static final Color GRID = new Color(0xdddddd);
    private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 17);
    private static final Font TEXT = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
    private static final Font SMALL = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

    private BenchChart() {
    }

    static void write(Path file, List<BenchRow> rows, BenchContext context) {
        System.setProperty("java.awt.headless", "true");
        BufferedImage image = draw(rows, context);
        Path target = file.toAbsolutePath();
        try {
            Path partial = BenchFiles.createPartial(target);
            try {
                try (OutputStream out = Files.newOutputStream(partial)) {
                    ImageIO.write(image, "png", out);
                }
                Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(partial);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("--chart: cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    static BufferedImage draw(List<BenchRow> rows, BenchContext context) {
        TreeSet<Integer> threadCounts = new TreeSet<>();
        rows.forEach(row -> threadCounts.add(row.threads()));
        boolean torch = rows.stream().anyMatch(BenchRow::hasTorch);
        int width = Math.max(2, threadCounts.size()) * PANEL_WIDTH;
        BufferedImage image = new BufferedImage(width, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, HEIGHT);
            g.setColor(Color.BLACK);
            g.setFont(TITLE);
            centre(g, "InstanceNormGrad backward: effective bandwidth at 12 bytes per element (higher is better)",
                    width / 2, 28);
            g.setFont(TEXT);
            centre(g, "bars: median GB/s; error bars: " + context.method().replace("median and ", "")
                    + (torch ? "; PyTorch: " + context.samplesPerValue() + " timing rounds" : ""), width / 2, 50);
            legend(g, torch, width / 2, 78);
            double top = niceTop(rows);
            int panel = 0;
            for (int threads : threadCounts) {
                List<BenchRow> panelRows = rows.stream().filter(row -> row.threads() == threads).toList();
                drawPanel(g, panelRows, threads, panel * PANEL_WIDTH, top, torch);
                panel++;
            }
            g.setFont(SMALL);
            g.setColor(Color.DARK_GRAY);
            centre(g, context.caption(), width / 2, HEIGHT - 30);
            centre(g, "* slowest sample over " + BenchTable.fixed(Samples.UNSTABLE_SPREAD, 1)
                    + "x the fastest (an outlier or a disturbed run): rerun before quoting;"
                    + " ^ faster than the triad: at this size the triad is no roof", width / 2, HEIGHT - 12);
        } finally {
            g.dispose();
        }
        return image;
    }

    private static void drawPanel(Graphics2D g, List<BenchRow> rows, int threads, int x0, double top, boolean torch) {
        int plotLeft = x0 + LEFT;
        int plotRight = x0 + PANEL_WIDTH - RIGHT;
        int plotTop = TOP;
        int plotBottom = HEIGHT - BOTTOM;
        g.setFont(TITLE.deriveFont(15f));
        g.setColor(Color.BLACK);
        centre(g, threads + (threads == 1 ? " thread" : " threads"), (plotLeft + plotRight) / 2, plotTop - 10);

        g.setFont(SMALL);
        double step = niceStep(top);
        for (double tick = 0; tick <= top + 1e-9; tick += step) {
            int y = y(tick, top, plotTop, plotBottom);
            g.setColor(GRID);
            g.drawLine(plotLeft, y, plotRight, y);
            g.setColor(Color.BLACK);
            String label = BenchTable.fixed(tick, step < 1 ? 1 : 0);
            g.drawString(label, plotLeft - 8 - g.getFontMetrics().stringWidth(label), y + 4);
        }
        AffineTransform saved = g.getTransform();
        g.rotate(-Math.PI / 2);
        g.setFont(TEXT);
        centre(g, "GB/s", -(plotTop + plotBottom) / 2, x0 + 20);
        g.setTransform(saved);
        g.setColor(Color.BLACK);
        g.drawLine(plotLeft, plotTop, plotLeft, plotBottom);
        g.drawLine(plotLeft, plotBottom, plotRight, plotBottom);

        int groups = rows.size();
        double groupWidth = (plotRight - plotLeft) / (double) Math.max(1, groups);
        int series = torch ? 2 : 1;
        double barWidth = groupWidth * 0.7 / series;
        for (int i = 0; i < groups; i++) {
            BenchRow row = rows.get(i);
            double groupLeft = plotLeft + i * groupWidth + groupWidth * 0.15;
            bar(g, row.backwardGigabytesPerSecond(), groupLeft, barWidth, top, plotTop, plotBottom, INGOT);
            if (torch && row.hasTorch()) {
                bar(g, row.torchBackwardGigabytesPerSecond(), groupLeft + barWidth, barWidth, top, plotTop,
                        plotBottom, TORCH);
            }
            int roofY = y(row.triadGigabytesPerSecond().median(), top, plotTop, plotBottom);
            g.setColor(ROOF);
            g.setStroke(new BasicStroke(3f));
            g.drawLine((int) (groupLeft - 4), roofY, (int) (groupLeft + series * barWidth + 4), roofY);
            g.setStroke(new BasicStroke(1f));
            marks(g, row.backwardGigabytesPerSecond(), groupLeft, barWidth, top, plotTop, plotBottom,
                    row.backward().unstable(), row.aboveRoof());
            if (torch && row.hasTorch()) {
                marks(g, row.torchBackwardGigabytesPerSecond(), groupLeft + barWidth, barWidth, top, plotTop,
                        plotBottom, row.torchBackward().unstable(), false);
            }

            g.setFont(SMALL);
            g.setColor(Color.BLACK);
            double centre = plotLeft + (i + 0.5) * groupWidth;
            AffineTransform before = g.getTransform();
            g.translate(centre + 4, plotBottom + 14);
            g.rotate(-Math.PI / 6);
            g.drawString(row.shape(), -g.getFontMetrics().stringWidth(row.shape()), 0);
            g.setTransform(before);
        }
    }

    private static void bar(Graphics2D g, Samples gigabytes, double left, double width, double top, int plotTop,
                            int plotBottom, Color color) {
        int yMedian = y(gigabytes.median(), top, plotTop, plotBottom);
        g.setColor(color);
        g.fillRect((int) Math.round(left), yMedian, (int) Math.round(width) - 2, plotBottom - yMedian);
        int centre = (int) Math.round(left + width / 2 - 1);
        int yLow = y(gigabytes.min(), top, plotTop, plotBottom);
        int yHigh = y(gigabytes.max(), top, plotTop, plotBottom);
        g.setColor(Color.DARK_GRAY);
        g.setStroke(new BasicStroke(1.5f));
        g.drawLine(centre, yLow, centre, yHigh);
        int cap = (int) Math.max(3, width / 5);
        g.drawLine(centre - cap, yLow, centre + cap, yLow);
        g.drawLine(centre - cap, yHigh, centre + cap, yHigh);
        g.setStroke(new BasicStroke(1f));
    }

    /** The flags of one bar, above its error bar; drawn after the roof so that no dash hides them. */
    private static void marks(Graphics2D g, Samples gigabytes, double left, double width, double top, int plotTop,
                              int plotBottom, boolean unstable, boolean aboveRoof) {
        String marks = (unstable ? "*" : "") + (aboveRoof ? "^" : "");
        if (marks.isEmpty()) {
            return;
        }
        int centre = (int) Math.round(left + width / 2 - 1);
        int yHigh = y(Math.max(gigabytes.max(), gigabytes.median()), top, plotTop, plotBottom);
        g.setFont(TEXT);
        FontMetrics metrics = g.getFontMetrics();
        int textWidth = metrics.stringWidth(marks);
        int baseline = yHigh - 6;
        g.setColor(Color.WHITE);
        g.fillRect(centre - textWidth / 2 - 1, baseline - metrics.getAscent() + 3, textWidth + 2, metrics.getAscent());
        g.setColor(Color.BLACK);
        centre(g, marks, centre, baseline);
    }

    private static void legend(Graphics2D g, boolean torch, int centreX, int y) {
        g.setFont(TEXT);
        FontMetrics metrics = g.getFontMetrics();
        List<String> labels = new ArrayList<>(List.of("ingot backward"));
        if (torch) {
            labels.add("PyTorch backward (malloc tuned)");
        }
        labels.add("STREAM triad, same traffic (roof)");
        labels.add("min-max");
        int total = 0;
        for (String label : labels) {
            total += 28 + metrics.stringWidth(label) + 24;
        }
        int x = centreX - total / 2;
        for (String label : labels) {
            if (label.startsWith("ingot")) {
                g.setColor(INGOT);
                g.fillRect(x, y - 10, 20, 12);
            } else if (label.startsWith("PyTorch")) {
                g.setColor(TORCH);
                g.fillRect(x, y - 10, 20, 12);
            } else if (label.startsWith("STREAM")) {
                g.setColor(ROOF);
                g.setStroke(new BasicStroke(3f));
                g.drawLine(x, y - 4, x + 20, y - 4);
                g.setStroke(new BasicStroke(1f));
            } else {
                g.setColor(Color.DARK_GRAY);
                g.drawLine(x + 10, y - 11, x + 10, y + 3);
                g.drawLine(x + 6, y - 11, x + 14, y - 11);
                g.drawLine(x + 6, y + 3, x + 14, y + 3);
            }
            g.setColor(Color.BLACK);
            g.drawString(label, x + 28, y);
            x += 28 + metrics.stringWidth(label) + 24;
        }
    }

    private static double niceTop(List<BenchRow> rows) {
        double max = 1;
        for (BenchRow row : rows) {
            max = Math.max(max, row.backwardGigabytesPerSecond().max());
            max = Math.max(max, row.triadGigabytesPerSecond().median());
            if (row.hasTorch()) {
                max = Math.max(max, row.torchBackwardGigabytesPerSecond().max());
            }
        }
        double step = niceStep(max * 1.08);
        return Math.ceil(max * 1.08 / step) * step;
    }

    /** A tick step of 1, 2 or 5 times a power of ten giving 4 to 10 ticks. */
    private static double niceStep(double top) {
        double raw = top / 6;
        double power = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double factor : new double[] {1, 2, 5, 10}) {
            if (factor * power >= raw) {
                return factor * power;
            }
        }
        return 10 * power;
    }

    private static int y(double value, double top, int plotTop, int plotBottom) {
        double clamped = Math.min(Math.max(value, 0), top);
        return (int) Math.round(plotBottom - clamped / top * (plotBottom - plotTop));
    }

    private static void centre(Graphics2D g, String text, int x, int y) {
        g.drawString(text, x - g.getFontMetrics().stringWidth(text) / 2, y);
    }
}
