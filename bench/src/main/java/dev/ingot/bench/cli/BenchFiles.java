package dev.ingot.bench.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The {@code ingot bench} table as CSV (one line per shape and thread count, medians and ranges) and as JSON (the
 * same plus every sample and the run's context). Each file is written to a temporary file and renamed, so no
 * half-written file is left. Stateless.
 */
final class BenchFiles {
    private BenchFiles() {
    }

    private static final List<String> VALUES = List.of("backward_us", "in_place_us", "forward_us", "triad_us",
            "torch_backward_us", "torch_forward_us");

    static void writeCsv(Path file, List<BenchRow> rows) {
        StringBuilder text = new StringBuilder();
        StringJoiner header = new StringJoiner(",");
        header.add("shape").add("threads").add("elements");
        for (String value : VALUES) {
            header.add(value + "_median").add(value + "_min").add(value + "_max");
        }
        header.add("backward_gb_per_s").add("percent_of_triad").add("backward_speedup").add("forward_speedup")
                .add("flags");
        text.append(header).append('\n');
        for (BenchRow row : rows) {
            StringJoiner line = new StringJoiner(",");
            line.add(row.shape()).add(Integer.toString(row.threads())).add(Long.toString(row.elements()));
            for (Samples samples : samples(row).values()) {
                line.add(number(samples == null ? Double.NaN : samples.median()))
                        .add(number(samples == null ? Double.NaN : samples.min()))
                        .add(number(samples == null ? Double.NaN : samples.max()));
            }
            line.add(number(row.backwardGigabytesPerSecond().median())).add(number(row.percentOfTriad()))
                    .add(number(row.backwardSpeedupUnstable() ? Double.NaN : row.backwardSpeedup()))
                    .add(number(row.forwardSpeedupUnstable() ? Double.NaN : row.forwardSpeedup()))
                    .add(String.join("; ", row.flags()));
            text.append(line).append('\n');
        }
        write(file, "--csv", text.toString());
    }

    static void writeJson(Path file, List<BenchRow> rows, BenchContext context) {
        StringBuilder json = new StringBuilder("{\n");
        json.append("  \"cpu\": ").append(quote(context.cpu())).append(",\n");
        json.append("  \"cores\": ").append(context.cores()).append(",\n");
        json.append("  \"memory_bytes\": ").append(context.memoryBytes()).append(",\n");
        json.append("  \"jdk\": ").append(quote(context.jdk())).append(",\n");
        json.append("  \"date\": ").append(quote(context.date())).append(",\n");
        json.append("  \"commit\": ").append(quote(context.commit())).append(",\n");
        json.append("  \"forks\": ").append(context.forks()).append(",\n");
        json.append("  \"warmups\": ").append(context.warmups()).append(",\n");
        json.append("  \"iterations\": ").append(context.iterations()).append(",\n");
        json.append("  \"iteration_ms\": ").append(context.iterationMillis()).append(",\n");
        json.append("  \"rows\": [");
        for (int r = 0; r < rows.size(); r++) {
            BenchRow row = rows.get(r);
            json.append(r == 0 ? "\n" : ",\n").append("    {\"shape\": ").append(quote(row.shape()))
                    .append(", \"threads\": ").append(row.threads()).append(", \"elements\": ").append(row.elements())
                    .append(",\n     \"backward_gb_per_s\": ").append(jsonNumber(row.backwardGigabytesPerSecond()
                            .median()))
                    .append(", \"percent_of_triad\": ").append(jsonNumber(row.percentOfTriad()))
                    .append(", \"backward_speedup\": ").append(jsonNumber(row.backwardSpeedupUnstable()
                            ? Double.NaN : row.backwardSpeedup()))
                    .append(", \"forward_speedup\": ").append(jsonNumber(row.forwardSpeedupUnstable()
                            ? Double.NaN : row.forwardSpeedup()))
                    .append(",\n     \"flags\": [");
            List<String> flags = new ArrayList<>();
            for (String flag : row.flags()) {
                flags.add(quote(flag));
            }
            json.append(String.join(", ", flags)).append(']');
            for (Map.Entry<String, Samples> value : samples(row).entrySet()) {
                json.append(",\n     ").append(quote(value.getKey())).append(": ");
                Samples samples = value.getValue();
                if (samples == null) {
                    json.append("null");
                    continue;
                }
                json.append("{\"median\": ").append(jsonNumber(samples.median())).append(", \"min\": ")
                        .append(jsonNumber(samples.min())).append(", \"max\": ").append(jsonNumber(samples.max()))
                        .append(", \"samples\": [");
                double[] values = samples.values();
                for (int i = 0; i < values.length; i++) {
                    json.append(i == 0 ? "" : ", ").append(jsonNumber(values[i]));
                }
                json.append("]}");
            }
            json.append('}');
        }
        json.append("\n  ]\n}\n");
        write(file, "--json", json.toString());
    }

    private static Map<String, Samples> samples(BenchRow row) {
        Map<String, Samples> samples = new LinkedHashMap<>();
        samples.put(VALUES.get(0), row.backward());
        samples.put(VALUES.get(1), row.inPlace());
        samples.put(VALUES.get(2), row.forward());
        samples.put(VALUES.get(3), row.triad());
        samples.put(VALUES.get(4), row.torchBackward());
        samples.put(VALUES.get(5), row.torchForward());
        return samples;
    }

    private static String number(double value) {
        return Double.isNaN(value) ? "" : String.format(Locale.ROOT, "%.4g", value);
    }

    private static String jsonNumber(double value) {
        return Double.isNaN(value) ? "null" : String.format(Locale.ROOT, "%.6g", value);
    }

    private static String quote(String text) {
        StringBuilder quoted = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        quoted.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        quoted.append(c);
                    }
                }
            }
        }
        return quoted.append('"').toString();
    }

    /**
     * A new empty file beside {@code target} to write it in full before renaming it into place; made as any new
     * file is (the umask applies), not private as a temporary file would be, since it becomes the target.
     */
    static Path createPartial(Path target) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path candidate = target.resolveSibling("." + target.getFileName() + "."
                    + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong()) + ".partial");
            try {
                return Files.createFile(candidate);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (attempt == 9) {
                    throw e;
                }
            }
        }
    }

    static void write(Path file, String option, String text) {
        Path target = file.toAbsolutePath();
        try {
            Path partial = createPartial(target);
            try {
                Files.writeString(partial, text, StandardCharsets.UTF_8);
                Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(partial);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(option + ": cannot write " + target + ": " + e.getMessage(), e);
        }
    }
}
