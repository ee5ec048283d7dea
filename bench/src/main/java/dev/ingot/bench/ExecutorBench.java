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

import java.util.concurrent.TimeUnit;

/**
 * Dispatch overhead of {@link ParallelExecutor#parallelFor} with an empty body: what every op pays per parallel
 * loop. Run with {@code -prof gc}: {@code gc.alloc.rate.norm} is the bytes allocated per call.
 *
 * <p>{@code ranges} is the number of ranges per call ({@code count = ranges}, {@code grain = 1}); 1 measures the
 * path that runs on the caller without dispatch. {@code busy} adds 200 JMH tokens of CPU work per range: without it the
 * caller finishes before helpers start, so many calls find the pool backlogged and run on the caller alone; with
 * work per range the helpers take part. The share of backlogged calls is printed at the end of each trial.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ExecutorBench {

    private static final int WORK_TOKENS = 200;
    private static final RangeTask EMPTY = (from, to) -> { };
    private static final RangeTask BUSY = (from, to) -> Blackhole.consumeCPU(WORK_TOKENS);

    @Param({"2"})
    public int threads;

    @Param({"1", "8", "64"})
    public int ranges;

    @Param({"false", "true"})
    public boolean busy;

    private RangeTask body;
    private long calls;

    private ParallelExecutor executor;

    @Setup(Level.Trial)
    public void open() {
        executor = new ParallelExecutor(threads);
        body = busy ? BUSY : EMPTY;
    }

    @TearDown(Level.Trial)
    public void close() {
        System.err.printf("backlogged calls: %d of %d%n", executor.backloggedCalls(), calls);
        executor.close();
    }

    @Benchmark
    public void parallelFor() {
        calls++;
        executor.parallelFor(ranges, 1, body);
    }
}
