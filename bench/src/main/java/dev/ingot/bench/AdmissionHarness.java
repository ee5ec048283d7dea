package dev.ingot.bench;

import dev.ingot.ops.norm.InstanceNorm;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.DType;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Pipeline;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Measures run admission on the op path (InstanceNorm forward + backward through planned pipelines, one per
 * caller), printing one line per scenario:
 * <ul>
 *   <li>{@code closed K T W}: K callers in a closed loop on a backend of T threads whose runs get W threads while
 *       they compete: runs/s, p50/p99/p99.9 (µs) and process CPU time per run;</li>
 *   <li>{@code sparse T}: one caller, one run per millisecond: CPU time per run (spin-waits between runs would
 *       show here);</li>
 *   <li>{@code idle}: process CPU over 10 s after the last run, in percent of one core.</li>
 *   <li>{@code split} (third argument): 2 and 4 callers on 2 threads with runs of 1 and of 2 threads while they
 *       compete, interleaved twice: which split of the cores gives more throughput for the shape;</li>
 *   <li>{@code warm} (alone, in a fresh JVM: third argument {@code warm}): {@link Pipeline#warmUp()}, then the
 *       first run's time and heap bytes against the steady p50.</li>
 * </ul>
 * Usage: {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar
 * dev.ingot.bench.AdmissionHarness [shape] [seconds] [all|closed|sparse|warm]}. A harness, not a test: numbers depend on the machine.
 */
public final class AdmissionHarness {

    private AdmissionHarness() {
    }

    /**
     * Runs the scenarios.
     *
     * @param args optional shape (default 1x64x56x56) and seconds per scenario (default 4)
     * @throws Exception when a caller fails
     */
    public static void main(String[] args) throws Exception {
        Shape shape = args.length > 0 ? BenchShapes.parse(args[0]) : Shape.of(1, 64, 56, 56);
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        String only = args.length > 2 ? args[2] : "all";
        System.out.println("shape " + shape + ", " + seconds + " s per scenario, "
                + Runtime.getRuntime().availableProcessors() + " cores");
        if (only.equals("warm")) {
            warm(shape, Integer.getInteger("harness.threads", 2)); // first, in a fresh JVM: nothing compiled yet
            return;
        }
        if (only.equals("split")) { // competing callers: one thread per run side by side, or two threads in turn
            for (int round = 0; round < 2; round++) {
                for (int w = 1; w <= 2; w++) {
                    closed(shape, 2, 2, w, seconds);
                    closed(shape, 4, 2, w, seconds);
                }
            }
            return;
        }
        if (only.equals("pair")) { // one caller on both cores, then two callers: for A/B runs of a setting
            closed(shape, 1, 2, 1, seconds);
            closed(shape, 2, 2, 1, seconds);
            return;
        }
        if (only.equals("all") || only.equals("closed")) {
            closed(shape, 1, 1, 1, seconds);
            closed(shape, 1, 2, 1, seconds);
            for (int w = 1; w <= 2; w++) {
                closed(shape, 2, 2, w, seconds);
                closed(shape, 4, 2, w, seconds);
                closed(shape, 16, 2, w, seconds);
            }
        }
        if (only.equals("all") || only.equals("sparse")) {
            sparse(shape, 2, seconds);
            closed(shape, 1, 2, 1, seconds);
            idle(shape);
        }
    }

    private static Pipeline build(CpuBackend backend, Shape shape, long seed) {
        Pipeline.Builder graph = Pipeline.builder(backend);
        TensorType type = new TensorType(shape, DType.FLOAT32, Layout.NCHW);
        Tensor x = graph.input(type);
        Tensor dy = graph.input(type);
        List<Tensor> forward = graph.ops(InstanceNorm.OP_TYPE, Attributes.of(InstanceNorm.EPS, 1e-5), x);
        Tensor dx = graph.op(InstanceNorm.GRAD_OP_TYPE, Attributes.of(InstanceNorm.EPS, 1e-5), x, dy,
                forward.get(1), forward.get(2));
        graph.output(forward.get(0), dx);
        Pipeline pipeline = graph.build();
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[(int) x.elementCount()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        x.copyFrom(values);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        dy.copyFrom(values);
        return pipeline;
    }

    private static void closed(Shape shape, int callers, int threads, int whenBusy, int seconds) throws Exception {
        try (CpuBackend backend = CpuBackend.builder().threads(threads).threadsWhenBusy(whenBusy).build()) {
            List<Pipeline> pipelines = new ArrayList<>();
            for (int c = 0; c < callers; c++) {
                pipelines.add(build(backend, shape, c));
            }
            warm(pipelines);
            long[][] latencies = new long[callers][2_000_000];
            int[] counts = new int[callers];
            CyclicBarrier start = new CyclicBarrier(callers + 1);
            long endAt = 0;
            List<Thread> threadsList = new ArrayList<>();
            long[] window = new long[1];
            for (int c = 0; c < callers; c++) {
                int caller = c;
                threadsList.add(Thread.ofPlatform().start(() -> {
                    Pipeline p = pipelines.get(caller);
                    long[] mine = latencies[caller];
                    try {
                        start.await();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    long deadline = window[0];
                    int n = 0;
                    while (true) {
                        long t0 = System.nanoTime();
                        if (t0 >= deadline) {
                            break;
                        }
                        p.run();
                        long t1 = System.nanoTime();
                        if (n < mine.length) {
                            mine[n++] = t1 - t0;
                        }
                    }
                    counts[caller] = n;
                }));
            }
            long cpu0 = processCpuNanos();
            long t0 = System.nanoTime();
            window[0] = t0 + TimeUnit.SECONDS.toNanos(seconds);
            start.await();
            for (Thread t : threadsList) {
                t.join();
            }
            long elapsed = System.nanoTime() - t0;
            long cpu = processCpuNanos() - cpu0;
            int total = Arrays.stream(counts).sum();
            long[] all = new long[total];
            int k = 0;
            for (int c = 0; c < callers; c++) {
                System.arraycopy(latencies[c], 0, all, k, counts[c]);
                k += counts[c];
            }
            Arrays.sort(all);
            System.out.printf("closed callers %2d threads %d whenBusy %d: %8.0f runs/s  p50 %7.1f  p99 %7.1f"
                            + "  p99.9 %8.1f us  cpu/run %6.1f us%n", callers, threads, whenBusy,
                    total * 1e9 / elapsed, pct(all, 0.5), pct(all, 0.99), pct(all, 0.999), cpu / 1e3 / total);
            for (Pipeline p : pipelines) {
                p.close();
            }
        }
    }

    private static void sparse(Shape shape, int threads, int seconds) {
        try (CpuBackend backend = CpuBackend.builder().threads(threads).build();
             Pipeline p = build(backend, shape, 1)) {
            warm(List.of(p));
            int runs = seconds * 1000;
            long[] lat = new long[runs];
            long cpu0 = processCpuNanos();
            long next = System.nanoTime();
            for (int i = 0; i < runs; i++) {
                next += 1_000_000;
                long now;
                while ((now = System.nanoTime()) < next) {
                    LockSupport.parkNanos(next - now);
                }
                long t0 = System.nanoTime();
                p.run();
                lat[i] = System.nanoTime() - t0;
            }
            long cpu = processCpuNanos() - cpu0;
            Arrays.sort(lat);
            System.out.printf("sparse 1/ms threads %d: p50 %7.1f us  p99 %7.1f us  cpu/run %6.1f us "
                    + "(includes the timer thread's wake-ups)%n", threads, pct(lat, 0.5), pct(lat, 0.99), cpu / 1e3 / runs);
        }
    }

    private static void warm(Shape shape, int threads) {
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (CpuBackend backend = CpuBackend.builder().threads(threads).build();
             Pipeline p = build(backend, shape, 1)) {
            var report = p.warmUp();
            float[] request = new float[(int) p.inputs().get(0).elementCount()];
            for (int i = 0; i < request.length; i++) {
                request[i] = (float) Math.sin(i * 0.37) * 3 + 1;
            }
            if (!"same".equals(System.getProperty("harness.request"))) {
                p.inputs().get(0).copyFrom(request);
            }
            long bytes0 = bean.getCurrentThreadAllocatedBytes();
            long t0 = System.nanoTime();
            p.run();
            long first = System.nanoTime() - t0;
            long firstBytes = bean.getCurrentThreadAllocatedBytes() - bytes0;
            long[] lat = new long[2000];
            for (int i = 0; i < lat.length; i++) {
                long s0 = System.nanoTime();
                p.run();
                lat[i] = System.nanoTime() - s0;
            }
            Arrays.sort(lat);
            int rank = 0;
            while (rank < lat.length && lat[rank] < first) {
                rank++;
            }
            System.out.printf("warm-up %s; first run after it: %.1f us, %d heap bytes; steady p50 %.1f us, p90 %.1f,"
                    + " p99 %.1f; first/p50 %.2f, slower than %.1f%% of the steady runs%n", report, first / 1e3,
                    firstBytes, pct(lat, 0.5), pct(lat, 0.9), pct(lat, 0.99), first / 1e3 / pct(lat, 0.5),
                    100.0 * rank / lat.length);
        }
    }

    private static void idle(Shape shape) throws Exception {
        try (CpuBackend backend = CpuBackend.builder().threads(2).build();
             Pipeline p = build(backend, shape, 1)) {
            warm(List.of(p));
            long cpu0 = processCpuNanos();
            long t0 = System.nanoTime();
            Thread.sleep(10_000);
            double percent = 100.0 * (processCpuNanos() - cpu0) / (System.nanoTime() - t0);
            System.out.printf("idle 10 s after the last run: %.3f %% of one core%n", percent);
        }
    }

    private static void warm(List<Pipeline> pipelines) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (System.nanoTime() < end) {
            for (Pipeline p : pipelines) {
                p.run();
            }
        }
    }

    private static double pct(long[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) (q * sorted.length))] / 1e3;
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
