package dev.ingot.bench;

import dev.ingot.runtime.parallel.ParallelExecutor;
import dev.ingot.runtime.parallel.RangeTask;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Cost and speed-up of {@link ParallelExecutor#parallelFor}. Run with {@code -prof gc}: {@code gc.alloc.rate.norm}
 * is the bytes allocated per call (all threads).
 *
 * <p>{@code ranges} is the number of ranges per call ({@code count = ranges}, {@code grain = 1}); 1 measures the
 * path that runs on the caller without dispatch. {@code work} is what each range does:
 * <ul>
 *   <li>{@code none}: nothing, so the score is the pure dispatch + join cost;</li>
 *   <li>{@code cpu}: 200 JMH tokens of CPU work;</li>
 *   <li>{@code sum4k}: sums its own 4096-float slice of an off-heap segment (16 KiB, stays in L1/L2), the shape of a
 *   per-plane reduction in a kernel.</li>
 * </ul>
 * {@link #serial} runs the same ranges in a row on the caller without the executor: the speed-up of
 * {@link #parallelFor} at {@code threads = t} is {@code serial / parallelFor}. {@code threads} counts the caller,
 * so {@code threads = 1} is the executor's serial path. Printed per trial: the share of backlogged calls, and the
 * share of ranges the pool's workers ran (the rest ran on the caller) — near 1/threads when the threads really
 * ran at the same time, near 0 when the machine's other load left the caller alone on the cores.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ExecutorBench {

    private static final int WORK_TOKENS = 200;
    private static final int SLICE_FLOATS = 4096;

    @Param({"1", "2"})
    public int threads;

    @Param({"1", "8", "64"})
    public int ranges;

    @Param({"none", "cpu", "sum4k"})
    public String work;

    private RangeTask body;
    private long calls;
    private long rangesRun;
    /** Ranges run off the caller thread, that is by the pool's workers. */
    private final LongAdder rangesOnWorkers = new LongAdder();
    private Arena arena;
    private MemorySegment data;
    /** One partial sum per range, written by whichever thread runs the range. */
    private double[] partials;

    private ParallelExecutor executor;

    @Setup(Level.Trial)
    public void open() {
        executor = new ParallelExecutor(threads);
        partials = new double[ranges];
        arena = Arena.ofShared();
        data = arena.allocate((long) ranges * SLICE_FLOATS * Float.BYTES, 64);
        for (long i = 0; i < (long) ranges * SLICE_FLOATS; i++) {
            data.setAtIndex(ValueLayout.JAVA_FLOAT, i, (i % 17) * 0.25f);
        }
        RangeTask perRange = switch (work) {
            case "none" -> (from, to) -> { };
            case "cpu" -> (from, to) -> Blackhole.consumeCPU(WORK_TOKENS);
            case "sum4k" -> this::sumSlices;
            default -> throw new IllegalArgumentException("work: expected none, cpu or sum4k, got " + work);
        };
        body = (from, to) -> {
            perRange.run(from, to);
            if (Thread.currentThread() instanceof ForkJoinWorkerThread) {
                rangesOnWorkers.add(to - from);
            }
        };
    }

    private void sumSlices(int from, int to) {
        for (int r = from; r < to; r++) {
            long base = (long) r * SLICE_FLOATS;
            float s0 = 0;
            float s1 = 0;
            float s2 = 0;
            float s3 = 0;
            for (int i = 0; i < SLICE_FLOATS; i += 4) {
                s0 += data.getAtIndex(ValueLayout.JAVA_FLOAT, base + i);
                s1 += data.getAtIndex(ValueLayout.JAVA_FLOAT, base + i + 1);
                s2 += data.getAtIndex(ValueLayout.JAVA_FLOAT, base + i + 2);
                s3 += data.getAtIndex(ValueLayout.JAVA_FLOAT, base + i + 3);
            }
            partials[r] = (s0 + s1) + (s2 + s3);
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        System.err.printf("backlogged calls: %d of %d; ranges run by workers: %.3f of all%n",
                executor.backloggedCalls(), calls, rangesOnWorkers.sum() / (double) Math.max(1, rangesRun));
        executor.close();
        arena.close();
    }

    @Benchmark
    public double parallelFor() {
        calls++;
        rangesRun += ranges;
        executor.parallelFor(ranges, 1, body);
        return partials[ranges - 1];
    }

    /** The same ranges in a row on the caller, without the executor: the baseline of the speed-up. */
    @Benchmark
    public double serial() {
        for (int r = 0; r < ranges; r++) {
            body.run(r, r + 1);
        }
        return partials[ranges - 1];
    }
}
