package dev.ingot.bench.latency;

import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Pipeline;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.WarmUpReport;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The latency harness behind {@code ingot latency}: the op path in-process and the HTTP service over loopback,
 * closed loop with K callers and open loop at fractions of the measured capacity, plus the idle process and the
 * first request after warm-up. Prints a table, writes one {@code .hgrm} per timed scenario and, when asked, the
 * JSON report. Not thread-safe: one run at a time.
 */
public final class LatencyHarness {

    /**
     * What to run.
     *
     * @param shape     the tensor shape [N, C, spatial...]
     * @param threads   threads the backend is given (its cores) in every scenario but the one-caller,
     *                  one-thread baseline (the cold start runs on one thread, then on these)
     * @param callers   closed-loop caller counts for the op path
     * @param httpCallers closed-loop client counts for HTTP
     * @param openCallers callers sharing the open-loop schedule
     * @param loads     open-loop rates as fractions of the measured capacity
     * @param scenarios which of op, http, idle, cold to run
     * @param warmupMillis per timed scenario, before its window
     * @param measureMillis the measured window of each timed scenario
     * @param idleMillis the idle window
     * @param hgrmDir   where the histograms go
     * @param json      the JSON report, or null
     */
    public record Options(Shape shape, int threads, List<Integer> callers, List<Integer> httpCallers,
                          int openCallers, List<Double> loads, Set<String> scenarios, long warmupMillis, long measureMillis,
                          long idleMillis, Path hgrmDir, Path json) {
    }

    private final Options options;
    private final PrintWriter out;
    private final List<Row> rows = new ArrayList<>();
    private final int cores = Runtime.getRuntime().availableProcessors();

    /**
     * @param options what to run
     * @param out     where the table goes
     */
    public LatencyHarness(Options options, PrintWriter out) {
        this.options = options;
        this.out = out;
    }

    /**
     * Runs the scenarios in order (cold first, while the JIT has seen nothing; idle last, after the last request).
     *
     * @throws Exception when a scenario fails
     */
    public void run() throws Exception {
        Files.createDirectories(options.hgrmDir());
        out.printf(Locale.ROOT, "latency: shape %s, InstanceNorm forward + backward per request, %d cores,"
                + " warm-up %d ms, window %d ms%n", options.shape(), cores, options.warmupMillis(),
                options.measureMillis());
        out.printf(Locale.ROOT, "%-5s %-6s %7s %5s | %9s %9s %9s %9s | %9s | %4s %7s | %10s%n", "scen", "mode",
                "callers", "load", "p50 us", "p99 us", "p99.9 us", "max us", "req/s", "GCs", "GC ms", "heap B/req");
        if (options.scenarios().contains("cold")) {
            cold(1);
            if (options.threads() > 1) {
                cold(options.threads()); // the multi-threaded path: helpers woken from idle for the first run
            }
        }
        if (options.scenarios().contains("op")) {
            opScenarios();
        }
        if (options.scenarios().contains("http") || options.scenarios().contains("idle")) {
            httpScenarios();
        }
        if (options.json() != null) {
            writeJson(options.json());
        }
        out.flush();
    }

    /** Warm-up, 100 ms idle, then the first request against the steady p50, on a backend of {@code threads}. */
    private void cold(int threads) throws Exception {
        try (CpuBackend backend = CpuBackend.builder().threads(threads).build();
             Pipeline caller = NormStep.build(backend, options.shape(), 1)) {
            WarmUpReport warm = caller.warmUp(); // the public warm-up: until three rounds in a row allocate nothing
            Thread.sleep(100);
            JvmCounters before = JvmCounters.now();
            // Reading the counter allocates (the MXBean call, 792 bytes on JDK 25): measure that and take it off.
            long probe = JvmCounters.threadAllocated();
            long probeCost = JvmCounters.threadAllocated() - probe;
            long heap = JvmCounters.threadAllocated();
            long start = System.nanoTime();
            caller.run();
            long first = System.nanoTime() - start;
            long firstHeap = Math.max(0, JvmCounters.threadAllocated() - heap - probeCost);
            Histogram steady = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(1, options.measureMillis() / 3));
            JvmCounters windowStart = JvmCounters.now();
            long n = 0;
            do {
                long s = System.nanoTime();
                caller.run();
                steady.recordValue(System.nanoTime() - s);
                n++;
            } while (System.nanoTime() < end);
            Measured m = new Measured(steady, n, windowStart, JvmCounters.now());
            Row row = Row.timed("cold", null, 1, threads, null, m)
                    .put("first_request_us", Row.micros(first))
                    .put("first_request_heap_bytes", firstHeap)
                    .put("steady_p50_us", Row.micros(steady.getValueAtPercentile(50)));
            record(row, m, "cold-c1-t" + threads);
            out.printf(Locale.ROOT, "      warm-up: %d runs in %d ms, last rounds allocation-free: %b%n", warm.runs(),
                    TimeUnit.NANOSECONDS.toMillis(warm.nanos()), warm.allocationFree());
            out.printf(Locale.ROOT, "      first request after warm-up: %.1f us (%.2fx the steady p50), %d heap bytes"
                    + " allocated by run() on the calling thread%n", first / 1000.0,
                    (double) first / steady.getValueAtPercentile(50), firstHeap);
            if (before.gcCount() != m.start().gcCount()) {
                out.println("      (a GC ran during the first request)");
            }
        }
    }

    /**
     * The baseline (one caller on a one-thread backend), then K callers on a backend given {@code threads} cores,
     * then open loop on that backend at fractions of the best closed-loop throughput.
     */
    private void opScenarios() throws Exception {
        try (OpTarget target = new OpTarget(options.shape(), 1)) {
            Measured m = Loops.closed(target, 1, warm(), measure());
            record(Row.timed("op", "closed", 1, 1, null, m), m, "op-closed-c1-t1");
        }
        double capacity = 0;
        try (OpTarget target = new OpTarget(options.shape(), options.threads())) {
            for (int k : options.callers()) {
                Measured m = Loops.closed(target, k, warm(), measure());
                record(Row.timed("op", "closed", k, target.threads(), null, m), m,
                        "op-closed-c" + k + "-t" + target.threads());
                capacity = Math.max(capacity, m.throughput());
            }
            if (capacity == 0) {
                capacity = Loops.closed(target, options.openCallers(), warm(), measure()).throughput();
            }
            for (double load : options.loads()) {
                int workers = options.openCallers();
                Measured m = Loops.open(target, workers, load * capacity, warm(), measure());
                record(Row.timed("op", "open", workers, target.threads(), load, m), m,
                        "op-open-c" + workers + "-t" + target.threads() + "-load" + Math.round(load * 100));
            }
        }
    }

    private void httpScenarios() throws Exception {
        try (HttpTarget target = new HttpTarget(options.shape(), options.threads())) {
            if (options.scenarios().contains("http")) {
                double capacity = 0;
                for (int k : options.httpCallers()) {
                    Measured m = Loops.closed(target, k, warm(), measure());
                    record(Row.timed("http", "closed", k, target.threads(), null, m), m,
                            "http-closed-c" + k + "-t" + target.threads());
                    capacity = Math.max(capacity, m.throughput());
                }
                if (capacity == 0) {
                    capacity = Loops.closed(target, options.openCallers(), warm(), measure()).throughput();
                }
                for (double load : options.loads()) {
                    int clients = options.openCallers();
                    Measured m = Loops.open(target, clients, load * capacity, warm(), measure());
                    record(Row.timed("http", "open", clients, target.threads(), load, m), m,
                            "http-open-c" + clients + "-t" + target.threads() + "-load" + Math.round(load * 100));
                }
            }
            if (options.scenarios().contains("idle")) {
                idle(target.threads());
            }
        }
    }

    /** CPU the whole process uses, server and backend up, while no request comes. */
    private void idle(int threads) throws Exception {
        Thread.sleep(200);
        JvmCounters start = JvmCounters.now();
        Thread.sleep(options.idleMillis());
        JvmCounters end = JvmCounters.now();
        double wall = end.nanoTime() - start.nanoTime();
        double percent = 100.0 * (end.cpuNanos() - start.cpuNanos()) / wall;
        Row row = new Row().put("scenario", "idle").put("callers", 0).put("threads", threads).put("load", null)
                .put("p50_us", null).put("p99_us", null).put("p999_us", null).put("max_us", null)
                .put("throughput_per_s", 0.0).put("gc_count", end.gcCount() - start.gcCount())
                .put("heap_bytes_per_request", null)
                .put("cpu_percent_of_one_core", Row.round(percent, 3))
                .gcPause(end.gcMillis() - start.gcMillis());
        rows.add(row);
        out.printf(Locale.ROOT, "idle  %-6s %7s %5s | process CPU %.3f%% of one core over %.1f s (server and"
                + " backend up, no requests)%n", "", "", "", percent, wall / 1e9);
        out.flush();
    }

    private void record(Row row, Measured m, String name) throws IOException {
        rows.add(row);
        Path file = options.hgrmDir().resolve(name + ".hgrm");
        try (PrintStream stream = new PrintStream(Files.newOutputStream(file), false, StandardCharsets.UTF_8)) {
            m.histogram().outputPercentileDistribution(stream, 1000.0);
        }
        Object mode = row.get("mode");
        Object load = row.get("load");
        out.printf(Locale.ROOT, "%-5s %-6s %7s %5s | %9.1f %9.1f %9.1f %9.1f | %9.1f | %4d %7d | %10.1f%n",
                row.get("scenario"), mode == null ? "-" : mode, row.get("callers") + "x" + row.get("threads"),
                load == null ? "-" : Math.round((Double) load * 100) + "%", row.get("p50_us"), row.get("p99_us"),
                row.get("p999_us"), row.get("max_us"), row.get("throughput_per_s"), m.gcCount(), m.gcMillis(),
                m.heapBytesPerRequest());
        out.flush();
    }

    private void writeJson(Path file) throws IOException {
        StringBuilder sb = new StringBuilder("[\n");
        for (int i = 0; i < rows.size(); i++) {
            sb.append("  ").append(rows.get(i).toJson()).append(i < rows.size() - 1 ? ",\n" : "\n");
        }
        sb.append("]\n");
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            Files.writeString(temp, sb, StandardCharsets.UTF_8);
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
        out.println("wrote " + file + " and the histograms in " + options.hgrmDir());
    }

    private long warm() {
        return TimeUnit.MILLISECONDS.toNanos(options.warmupMillis());
    }

    private long measure() {
        return TimeUnit.MILLISECONDS.toNanos(options.measureMillis());
    }
}
