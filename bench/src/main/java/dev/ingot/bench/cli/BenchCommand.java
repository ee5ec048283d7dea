package dev.ingot.bench.cli;

import dev.ingot.bench.BenchShapes;
import dev.ingot.runtime.Shape;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
                    + " forward, STREAM triad) and prints, per shape and thread count, each time's median and range"
                    + " over every fork's iterations, with PyTorch's times beside them when Debian's python3-torch"
                    + " is installed. It says how long it will take before it starts.",
            "For the full suite: ./ingot jmh; for the full side-by-side with PyTorch: bench/scripts/compare_pytorch.py."
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

    @Option(names = "--forks", paramLabel = "N", defaultValue = "2",
            description = "JVMs per benchmark; the range covers the forks' differences (default: ${DEFAULT-VALUE}).")
    int forks;

    @Option(names = "--warmups", paramLabel = "N", defaultValue = "4",
            description = "Warm-up iterations per fork, so the JIT has compiled the kernels (default: ${DEFAULT-VALUE}).")
    int warmups;

    @Option(names = "--iterations", paramLabel = "N", defaultValue = "3",
            description = "Measured iterations per fork: forks x iterations samples per value"
                    + " (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--iteration-ms", paramLabel = "MS", defaultValue = "250",
            description = "Length of one iteration in milliseconds (default: ${DEFAULT-VALUE}).")
    long iterationMillis;

    @Option(names = "--torch", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Time PyTorch too when python3-torch is installed (default: on; --no-torch skips it).")
    boolean torch;

    @Option(names = "--chart", paramLabel = "FILE.png",
            description = "Also draw the backward's GB/s per shape, one panel per thread count, with the triad roof.")
    Path chart;

    @Option(names = "--csv", paramLabel = "FILE.csv", description = "Also write the table as CSV.")
    Path csv;

    @Option(names = "--json", paramLabel = "FILE.json",
            description = "Also write the table, every sample and the machine, JDK, date and commit as JSON.")
    Path json;

    @Override
    public Integer call() {
        validate();
        PrintWriter out = spec.commandLine().getOut();
        int samples = forks * iterations;
        double torchSeconds = samples * iterationMillis / 1000.0;
        TorchPeer peer = torch ? TorchPeer.findOrNull(projectHome(), torchSeconds, samples) : null;
        if (torch && peer == null) {
            out.println("PyTorch not found (Debian's python3-torch under /usr/bin/python3): its columns are left out.");
        }
        int runs = shapes.size() * threads.size();
        BenchEstimate estimate = new BenchEstimate(runs, forks, warmups + iterations, iterationMillis,
                peer == null ? 0 : torchSeconds);
        out.printf(Locale.ROOT, "%d runs (%d shape(s) x %d thread count(s)), each %d benchmarks x %d fork(s) x %d"
                        + " iterations of %d ms%s: %s.%n", runs, shapes.size(), threads.size(), KernelSuite.BENCHMARKS,
                forks, warmups + iterations, iterationMillis, peer == null ? "" : ", then PyTorch", estimate.text());
        out.flush();
        BenchContext context = BenchContext.current(projectHome(), forks, warmups, iterations, iterationMillis);
        KernelSuite suite = new KernelSuite(forks, warmups, iterations, iterationMillis);
        List<BenchRow> rows = new ArrayList<>();
        long started = System.nanoTime();
        for (String shape : shapes) {
            long elements = BenchShapes.parse(shape).elementCount();
            for (int t : threads) {
                long start = System.nanoTime();
                Map<String, Samples> ingot = suite.run(shape, t);
                TorchPeer.Times torchTimes = peer == null ? null : peer.measure(shape, t);
                BenchRow row = BenchRow.of(shape, t, elements, ingot, torchTimes);
                rows.add(row);
                out.printf(Locale.ROOT, "%-14s %d thread(s): backward %s us, %.0f%% of triad (%.0f s)%n", shape, t,
                        BenchTable.range(row.backward()), row.percentOfTriad(), (System.nanoTime() - start) / 1e9);
                out.flush();
            }
        }
        out.printf(Locale.ROOT, "(%.0f s in all)%n%n", (System.nanoTime() - started) / 1e9);
        BenchTable.print(out, rows, context);
        if (csv != null) {
            BenchFiles.writeCsv(csv, rows);
            out.println("table written to " + csv);
        }
        if (json != null) {
            BenchFiles.writeJson(json, rows, context);
            out.println("table and samples written to " + json);
        }
        if (chart != null) {
            BenchChart.write(chart, rows, context);
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
        if (forks < 1 || warmups < 0 || iterations < 1 || iterationMillis < 10) {
            throw new IllegalArgumentException("--forks, --warmups, --iterations, --iteration-ms: expected at least"
                    + " 1, 0, 1 and 10, got " + forks + ", " + warmups + ", " + iterations + " and " + iterationMillis);
        }
        for (Map.Entry<String, Path> file : fileOptions().entrySet()) {
            Path path = file.getValue();
            if (path != null && (path.toAbsolutePath().getParent() == null
                    || !Files.isDirectory(path.toAbsolutePath().getParent()))) {
                throw new IllegalArgumentException(file.getKey() + ": expected a file in an existing folder, got "
                        + path);
            }
            if (path != null && Files.isDirectory(path)) { // checked now, not after minutes of benchmarks
                throw new IllegalArgumentException(file.getKey() + ": expected a file, got a folder: " + path);
            }
        }
    }

    private Map<String, Path> fileOptions() {
        Map<String, Path> files = new LinkedHashMap<>();
        files.put("--chart", chart);
        files.put("--csv", csv);
        files.put("--json", json);
        return files;
    }

    private static Path projectHome() {
        String home = System.getProperty("ingot.home");
        return home == null ? null : Path.of(home);
    }
}
