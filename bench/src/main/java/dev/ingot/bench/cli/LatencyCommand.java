package dev.ingot.bench.cli;

import dev.ingot.bench.BenchShapes;
import dev.ingot.bench.latency.LatencyHarness;
import dev.ingot.runtime.Shape;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ingot latency}: the latency harness (op path in-process, HTTP over loopback, idle, cold). */
@Command(name = "latency", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Measures latency of InstanceNorm forward + backward per request: (a) the op path in-process,"
                    + " (b) the HTTP service over loopback; closed loop with K callers and open loop at fractions"
                    + " of the measured capacity, timed from each request's intended start (corrected for"
                    + " coordinated omission); then the idle process's CPU, and the first request after warm-up"
                    + " (run first). Prints p50/p99/p99.9/max, throughput, GCs and their pause in the window, heap"
                    + " bytes per request; writes one .hgrm per scenario. With no option but --json it runs the"
                    + " standard set in under 4 minutes."
        })
final class LatencyCommand implements Callable<Integer> {

    private static final Set<String> KNOWN = Set.of("op", "http", "idle", "cold");

    @Spec
    CommandSpec spec;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the results as a JSON array to FILE.")
    Path json;

    @Option(names = "--scenarios", paramLabel = "S", split = ",", defaultValue = "cold,op,http,idle",
            description = "Which of cold, op, http, idle to run (default: ${DEFAULT-VALUE}).")
    List<String> scenarios;

    @Option(names = "--shape", paramLabel = "NxCxHxW", defaultValue = "1x64x56x56",
            description = "Tensor shape (default: ${DEFAULT-VALUE}).")
    String shape;

    @Option(names = "--threads", paramLabel = "T",
            description = "Threads the backend is given (default: the number of processors); the op path also"
                    + " runs one caller on a one-thread backend, the baseline.")
    Integer threads;

    @Option(names = "--callers", paramLabel = "K", split = ",", defaultValue = "1,2,4,16",
            description = "Closed-loop callers on the op path (default: ${DEFAULT-VALUE}).")
    List<Integer> callers;

    @Option(names = "--http-callers", paramLabel = "K", split = ",", defaultValue = "1,4",
            description = "Closed-loop HTTP clients (default: ${DEFAULT-VALUE}).")
    List<Integer> httpCallers;

    @Option(names = "--open-callers", paramLabel = "K", defaultValue = "4",
            description = "Callers (HTTP clients) sharing the open-loop schedule (default: ${DEFAULT-VALUE}).")
    int openCallers;

    @Option(names = "--loads", paramLabel = "F", split = ",", defaultValue = "0.5,0.8",
            description = "Open-loop rates as fractions of the measured capacity (default: ${DEFAULT-VALUE}).")
    List<Double> loads;

    @Option(names = "--warmup-ms", paramLabel = "MS", defaultValue = "2000",
            description = "Warm-up before each window (default: ${DEFAULT-VALUE}).")
    long warmupMillis;

    @Option(names = "--measure-ms", paramLabel = "MS", defaultValue = "6000",
            description = "Measured window of each scenario (default: ${DEFAULT-VALUE}).")
    long measureMillis;

    @Option(names = "--idle-ms", paramLabel = "MS", defaultValue = "10000",
            description = "Idle window (default: ${DEFAULT-VALUE}).")
    long idleMillis;

    @Option(names = "--hgrm", paramLabel = "DIR",
            description = "Directory for the .hgrm histograms (default: next to --json, else ./latency-hgrm).")
    Path hgrm;

    @Override
    public Integer call() throws Exception {
        Set<String> chosen = new LinkedHashSet<>();
        for (String s : scenarios) {
            String name = s.strip().toLowerCase(java.util.Locale.ROOT);
            if (!KNOWN.contains(name)) {
                throw new IllegalArgumentException("--scenarios: expected some of cold, op, http, idle, got " + s);
            }
            chosen.add(name);
        }
        int cores = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (cores < 1 || cores > 1024) {
            throw new IllegalArgumentException("--threads: expected 1 to 1024, got " + cores);
        }
        checkCallers("--open-callers", openCallers);
        for (int k : callers) {
            checkCallers("--callers", k);
        }
        for (int k : httpCallers) {
            checkCallers("--http-callers", k);
        }
        for (double load : loads) {
            if (!(load > 0 && load <= 1)) {
                throw new IllegalArgumentException("--loads: expected fractions in (0, 1], got " + load);
            }
        }
        checkMillis("--warmup-ms", warmupMillis, 0);
        checkMillis("--measure-ms", measureMillis, 1);
        checkMillis("--idle-ms", idleMillis, 1);
        Shape tensor = BenchShapes.parse(shape);
        if (tensor.rank() < 3 || tensor.rank() > 5) {
            throw new IllegalArgumentException("--shape: expected rank 3 to 5 like 1x64x56x56, got " + shape);
        }
        Path dir = hgrm != null ? hgrm : json != null && json.toAbsolutePath().getParent() != null
                ? json.toAbsolutePath().getParent() : Path.of("latency-hgrm");
        new LatencyHarness(new LatencyHarness.Options(tensor, cores, callers, httpCallers, openCallers, loads, chosen,
                warmupMillis, measureMillis, idleMillis, dir, json), spec.commandLine().getOut()).run();
        return 0;
    }

    private static void checkCallers(String option, int k) {
        if (k < 1 || k > 256) {
            throw new IllegalArgumentException(option + ": expected 1 to 256, got " + k);
        }
    }

    private static void checkMillis(String option, long value, long min) {
        if (value < min || value > 600_000) {
            throw new IllegalArgumentException(option + ": expected " + min + " to 600000, got " + value);
        }
    }
}
