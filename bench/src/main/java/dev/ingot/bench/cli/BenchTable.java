package dev.ingot.bench.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Prints the {@code ingot bench} results as a Markdown table. */
final class BenchTable {
    private BenchTable() {
    }

    static void print(PrintWriter out, List<BenchRow> rows) {
        boolean torch = rows.stream().anyMatch(row -> !Double.isNaN(row.torchBackwardMicros()));
        List<String> header = new ArrayList<>(List.of("shape", "threads", "backward us", "in place us",
                "forward us", "triad us", "backward GB/s", "% of triad"));
        if (torch) {
            header.addAll(List.of("PyTorch bwd us", "bwd speed-up", "PyTorch fwd us", "fwd speed-up"));
        }
        List<List<String>> cells = new ArrayList<>();
        cells.add(header);
        for (BenchRow row : rows) {
            List<String> line = new ArrayList<>(List.of(row.shape(), Integer.toString(row.threads()),
                    micros(row.backwardMicros()), micros(row.inPlaceMicros()), micros(row.forwardMicros()),
                    micros(row.triadMicros()), fixed(row.backwardGigabytesPerSecond(), 1),
                    fixed(row.percentOfTriad(), 0) + "%"));
            if (torch) {
                line.addAll(List.of(micros(row.torchBackwardMicros()),
                        ratio(row.torchBackwardMicros() / row.backwardMicros()), micros(row.torchForwardMicros()),
                        ratio(row.torchForwardMicros() / row.forwardMicros())));
            }
            cells.add(line);
        }
        printAligned(out, cells);
    }

    private static void printAligned(PrintWriter out, List<List<String>> cells) {
        int columns = cells.getFirst().size();
        int[] widths = new int[columns];
        for (List<String> line : cells) {
            for (int i = 0; i < columns; i++) {
                widths[i] = Math.max(widths[i], line.get(i).length());
            }
        }
        for (int r = 0; r < cells.size(); r++) {
            StringBuilder text = new StringBuilder("|");
            for (int i = 0; i < columns; i++) {
                String cell = cells.get(r).get(i);
                text.append(' ').append(i == 0 ? pad(cell, widths[i], true) : pad(cell, widths[i], false)).append(" |");
            }
            out.println(text);
            if (r == 0) {
                StringBuilder rule = new StringBuilder("|");
                for (int i = 0; i < columns; i++) {
                    rule.append(i == 0 ? " :" : " ").append("-".repeat(widths[i] - (i == 0 ? 1 : 0)))
                            .append(i == 0 ? " |" : ":|");
                }
                out.println(rule);
            }
        }
    }

    private static String pad(String cell, int width, boolean left) {
        String space = " ".repeat(width - cell.length());
        return left ? cell + space : space + cell;
    }

    private static String micros(double value) {
        if (Double.isNaN(value)) {
            return "-";
        }
        return value >= 100 ? fixed(value, 0) : fixed(value, 1);
    }

    private static String ratio(double value) {
        return Double.isNaN(value) ? "-" : fixed(value, 2) + "x";
    }

    private static String fixed(double value, int digits) {
        return String.format(Locale.ROOT, "%." + digits + "f", value);
    }
}
