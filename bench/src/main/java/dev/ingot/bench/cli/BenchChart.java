package dev.ingot.bench.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.Styler;

/** Draws the backward's bandwidth per shape against the triad roof (and PyTorch's, when measured) as a PNG. */
final class BenchChart {
    private BenchChart() {
    }

    static void write(Path file, List<BenchRow> rows) {
        System.setProperty("java.awt.headless", "true");
        CategoryChart chart = new CategoryChartBuilder().width(1100).height(560)
                .title("InstanceNormGrad backward: effective bandwidth at 12 bytes per element")
                .xAxisTitle("shape, threads").yAxisTitle("GB/s").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setXAxisLabelRotation(30);
        chart.getStyler().setYAxisDecimalPattern("#0");

        List<String> labels = new ArrayList<>();
        List<Double> ingot = new ArrayList<>();
        List<Double> roof = new ArrayList<>();
        List<Double> torch = new ArrayList<>();
        for (BenchRow row : rows) {
            labels.add(row.shape() + " x" + row.threads());
            ingot.add(row.backwardGigabytesPerSecond());
            roof.add(row.triadGigabytesPerSecond());
            torch.add(Double.isNaN(row.torchBackwardMicros()) ? 0.0
                    : row.elements() * (double) BenchRow.BACKWARD_BYTES_PER_ELEMENT / row.torchBackwardMicros() / 1e3);
        }
        chart.addSeries("ingot backward", labels, ingot);
        if (rows.stream().anyMatch(row -> !Double.isNaN(row.torchBackwardMicros()))) {
            chart.addSeries("PyTorch backward (malloc tuned)", labels, torch);
        }
        CategorySeries triad = chart.addSeries("STREAM triad (roof)", labels, roof);
        triad.setChartCategorySeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);

        Path target = file.toAbsolutePath();
        try {
            Path partial = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".partial");
            try (OutputStream out = Files.newOutputStream(partial)) {
                BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
            }
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("--chart: cannot write " + target + ": " + e.getMessage(), e);
        }
    }
}
