package dev.ingot.bench.cli;

import dev.ingot.bench.BenchShapes;
import dev.ingot.runtime.Shape;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ingot bench}: a short run of the kernel benchmarks, one progress line per shape, then the table. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Runs a short version of the JMH kernel suite (InstanceNormGrad backward and in place, InstanceNorm"
                    + " forward, STREAM triad) and prints medians per shape and thread count, with PyTorch's times"
                    + " beside them when Debian's python3-torch is installed.",
            "For the full suite: java -jar bench/target/benchmarks.jar; for the full side-by-side with PyTorch:"
                    + " bench/scripts/compare_pytorch.py."
        })
final class BenchCommand implements Callable<Integer> {
    static final List<String> SHAPES = List.of("1x64x56x56", "8x64x64x64", "4x32x1024", "2x16x16x32x32",
            "8x128x128x128", "1x3x512x512", "16x256x32x32");

    @Spec
    CommandSpec spec;

    @Option(names = "--shapes", split = ",", paramLabel = "NxCx...",
            description = "Shapes to run, comma-separated (default: the seven of the suite).")
    List<String> shapes = new ArrayList<>(SHAPES);

    @Option(names = "--threads", split = ",", paramLabel = "T", defaultValue = "1,2",
            description = "Thread counts, comma-separated (default: ${DEFAULT-VALUE}).")
    List<Integer> threads;

    @Option(names = "--warmups", paramLabel = "N", defaultValue = "4",
            description = "Warm-up iterations per benchmark, so the JIT has compiled the kernels"
                    + " (default: ${DEFAULT-VALUE}).")
    int warmups;

    @Option(names = "--iterations", paramLabel = "N", defaultValue = "3",
            description = "Measured iterations per benchmark; the table shows their median (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--iteration-ms", paramLabel = "MS", defaultValue = "300",
            description = "Length of one iteration in milliseconds (default: ${DEFAULT-VALUE}).")
    long iterationMillis;

    @Option(names = "--torch", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Time PyTorch too when python3-torch is installed (default: on; --no-torch skips it).")
    boolean torch;

    @Option(names = "--chart", paramLabel = "FILE.png",
            description = "Also draw the backward's GB/s per shape against the triad roof into this PNG file.")
    Path chart;

    @Override
    public Integer call() {
        validate();
        PrintWriter out = spec.commandLine().getOut();
        TorchPeer peer = torch ? TorchPeer.findOrNull(projectHome(), iterationMillis * iterations / 1000.0) : null;
        if (torch && peer == null) {
            out.println("PyTorch not found (Debian's python3-torch under /usr/bin/python3): its columns are left out.");
        }
        KernelSuite suite = new KernelSuite(warmups, iterations, iterationMillis);
        List<BenchRow> rows = new ArrayList<>();
        for (String shape : shapes) {
            long elements = BenchShapes.parse(shape).elementCount();
            for (int t : threads) {
                long start = System.nanoTime();
                Map<String, Double> medians = suite.run(shape, t);
                TorchPeer.Times torchTimes = peer == null ? null : peer.measure(shape, t);
                BenchRow row = BenchRow.of(shape, t, elements, medians, torchTimes);
                rows.add(row);
                out.printf(Locale.ROOT, "%-14s %d thread(s): backward %.1f us, %.0f%% of triad (%.0f s)%n", shape, t,
                        row.backwardMicros(), row.percentOfTriad(), (System.nanoTime() - start) / 1e9);
                out.flush();
            }
        }
        out.println();
        BenchTable.print(out, rows);
        if (chart != null) {
            BenchChart.write(chart, rows);
            out.println("chart written to " + chart);
        }
        return 0;
    }

    private void validate() {
        for (String shape : shapes) {
            Shape parsed = BenchShapes.parse(shape);
            if (parsed.rank() < 3 || parsed.rank() > 5) {
                throw new IllegalArgumentException("--shapes: expected rank 3 to 5 like 8x64x64x64, got " + shape);
            }
        }
        for (int t : threads) {
            if (t < 1 || t > 1024) {
                throw new IllegalArgumentException("--threads: expected 1 to 1024, got " + t);
            }
        }
        if (warmups < 0 || iterations < 1 || iterationMillis < 10) {
            throw new IllegalArgumentException("--warmups, --iterations, --iteration-ms: expected at least 0, 1 and"
                    + " 10, got " + warmups + ", " + iterations + " and " + iterationMillis);
        }
        if (chart != null && (chart.toAbsolutePath().getParent() == null
                || !Files.isDirectory(chart.toAbsolutePath().getParent()))) {
            throw new IllegalArgumentException("--chart: expected a file in an existing folder, got " + chart);
        }
    }

    private static Path projectHome() {
        String home = System.getProperty("ingot.home");
        return home == null ? null : Path.of(home);
    }
}
