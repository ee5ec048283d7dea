package dev.ingot.bench.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Prints the {@code ingot bench} results as a Markdown table: each time as its median with the min-max range, and
 * notes under the table for what must not be quoted as is. Stateless.
 */
final class BenchTable {
    private BenchTable() {
    }

    static void print(PrintWriter out, List<BenchRow> rows, BenchContext context) {
        boolean torch = rows.stream().anyMatch(BenchRow::hasTorch);
        List<String> header = new ArrayList<>(List.of("shape", "threads", "backward us", "in place us",
                "forward us", "triad us", "backward GB/s", "% of triad"));
        if (torch) {
            header.addAll(List.of("PyTorch bwd us", "bwd speed-up", "PyTorch fwd us", "fwd speed-up"));
        }
        List<List<String>> cells = new ArrayList<>();
        cells.add(header);
        boolean unstable = false;
        boolean aboveRoof = false;
        for (BenchRow row : rows) {
            List<String> line = new ArrayList<>(List.of(row.shape(), Integer.toString(row.threads()),
                    range(row.backward()), range(row.inPlace()), range(row.forward()), range(row.triad()),
                    fixed(row.backwardGigabytesPerSecond().median(), 1),
                    fixed(row.percentOfTriad(), 0) + "%" + (row.aboveRoof() ? " ^" : "")));
            if (torch) {
                line.addAll(List.of(row.hasTorch() ? range(row.torchBackward()) : "-",
                        ratio(row.backwardSpeedup(), row.backwardSpeedupUnstable()),
                        row.hasTorch() ? range(row.torchForward()) : "-",
                        ratio(row.forwardSpeedup(), row.forwardSpeedupUnstable())));
            }
            cells.add(line);
            unstable |= row.flags().stream().anyMatch(flag -> flag.endsWith("unstable"));
            aboveRoof |= row.aboveRoof();
        }
        printAligned(out, cells);
        out.println();
        out.println("Each time: " + context.method()
                + (torch ? " (PyTorch: " + context.samplesPerValue() + " timing rounds)." : "."));
        if (unstable) {
            out.println("* marks a value whose slowest sample is over " + fixed(Samples.UNSTABLE_SPREAD, 1)
                    + "x its fastest (an outlier or a disturbed run): its speed-up is not given (\"?\"); rerun"
                    + " before quoting it.");
        }
        if (aboveRoof) {
            out.println("^ marks a backward faster than the triad on the same traffic: at that size the triad is no"
                    + " roof (data in cache, or a disturbed triad run).");
        }
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
                text.append(' ').append(pad(cell, widths[i], i == 0)).append(" |");
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

    /** "44.9 (43.1-47.0)", with "*" when the samples are unstable. */
    static String range(Samples samples) {
        return micros(samples.median()) + " (" + micros(samples.min()) + "-" + micros(samples.max()) + ")"
                + (samples.unstable() ? "*" : "");
    }

    private static String micros(double value) {
        return value >= 100 ? fixed(value, 0) : fixed(value, 1);
    }

    private static String ratio(double value, boolean unstable) {
        if (Double.isNaN(value)) {
            return "-";
        }
        return unstable ? "?" : fixed(value, 2) + "x";
    }

    static String fixed(double value, int digits) {
        return String.format(Locale.ROOT, "%." + digits + "f", value);
    }
}
