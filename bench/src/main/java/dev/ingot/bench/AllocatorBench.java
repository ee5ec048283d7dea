package dev.ingot.bench;

import dev.ingot.allocator.AllocatorOptions;
import dev.ingot.allocator.EagerBufferAllocator;
import dev.ingot.allocator.MemoryChunk;
import dev.ingot.allocator.SegmentSource;
import dev.ingot.allocator.StripedBufferAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * One allocation and its release, for buffers of {@code size} bytes: ingot's pool (fast, sampled-checks and
 * checked mode), a confined {@link Arena} opened and closed per buffer, and Netty's pooled direct buffers. Each call
 * touches the first and last byte so no variant can skip the memory.
 *
 * <p>The {@code ...Threads} variants run {@code threads} (1, 2, 8) worker threads at once, each doing
 * {@value #OPS} alloc + touch + free in a row per invocation; the score is the time per operation of one thread
 * (wall time / {@value #OPS}), so a pool that scales keeps it flat as threads are added (up to the cores):
 * {@code pooledThreads} one {@link EagerBufferAllocator} (one lock), {@code stripedThreads} a
 * {@link StripedBufferAllocator} (arenas chosen by thread), {@code nettyThreads} Netty's pooled direct buffers.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
// Netty runs at its best: with access to sun.misc.Unsafe and its no-cleaner direct buffers.
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
    "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true"})
public class AllocatorBench {

    @Param({"65536", "1048576"})
    public long size;

    /** Alloc + free pairs per thread per invocation of the threaded variants. */
    static final int OPS = 10_000;

    private EagerBufferAllocator fastPool;
    private EagerBufferAllocator checkedPool;
    private PooledByteBufAllocator netty;

    @Setup(Level.Trial)
    public void setUp() {
        AllocatorOptions options = AllocatorOptions.defaults().withTrackAllocations(false).withMinBlockSize(4 * size);
        fastPool = new EagerBufferAllocator(SegmentSource.arena(), options.withName("bench-fast").withChecked(false));
        checkedPool = new EagerBufferAllocator(SegmentSource.arena(),
                options.withName("bench-checked").withChecked(true));
        netty = PooledByteBufAllocator.DEFAULT;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        fastPool.close();
        checkedPool.close();
    }

    /**
     * The pool with sampled checks (one chunk in 64) for {@code pooledSampled}: {@code checkBatch} sampled chunks
     * share a scope, so one close (a thread handshake) serves {@code checkBatch * 64} allocations on average.
     */
    @State(Scope.Benchmark)
    public static class Sampling {
        @Param({"32", "256"})
        public int checkBatch;

        EagerBufferAllocator pool;

        @Setup(Level.Trial)
        public void setUp(AllocatorBench bench) {
            pool = new EagerBufferAllocator(SegmentSource.arena(), AllocatorOptions.defaults()
                    .withTrackAllocations(false).withMinBlockSize(4 * bench.size).withName("bench-sampled")
                    .withChecked(false).withSampledChecks(64).withCheckBatch(checkBatch));
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            pool.close();
        }
    }

    /** The worker threads and pools of the threaded variants; its parameter applies to those variants only. */
    @State(Scope.Benchmark)
    public static class Contention {
        @Param({"1", "2", "8"})
        public int threads;

        ExecutorService workers;
        EagerBufferAllocator onePool;
        StripedBufferAllocator striped;
        PooledByteBufAllocator netty;

        @Setup(Level.Trial)
        public void setUp(AllocatorBench bench) {
            workers = Executors.newFixedThreadPool(threads);
            AllocatorOptions options = AllocatorOptions.defaults().withTrackAllocations(false).withChecked(false)
                    .withMinBlockSize(4 * bench.size);
            onePool = new EagerBufferAllocator(SegmentSource.arena(), options.withName("bench-one-lock"));
            striped = new StripedBufferAllocator(options.withName("bench-striped"));
            netty = PooledByteBufAllocator.DEFAULT;
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            workers.shutdownNow();
            onePool.close();
            striped.close();
        }

        /** Runs {@code work} on every worker thread at once and waits for all of them. */
        long runOnAll(java.util.concurrent.Callable<Long> work) throws Exception {
            List<Future<Long>> results = new ArrayList<>(threads);
            for (int t = 0; t < threads; t++) {
                results.add(workers.submit(work));
            }
            long sum = 0;
            for (Future<Long> result : results) {
                sum += result.get();
            }
            return sum;
        }
    }

    @Benchmark
    public byte pooled() {
        return allocTouchFree(fastPool);
    }

    /** Sampled checks, one chunk in 64 scoped, {@code checkBatch} of them per scope. */
    @Benchmark
    public byte pooledSampled(Sampling sampling) {
        return allocTouchFree(sampling.pool);
    }

    @Benchmark
    public byte pooledChecked() {
        return allocTouchFree(checkedPool);
    }

    @Benchmark
    public byte arena() {
        try (Arena arena = Arena.ofConfined()) {
            return touch(arena.allocate(size, 64));
        }
    }

    @Benchmark
    public byte netty() {
        ByteBuf buffer = netty.directBuffer((int) size);
        try {
            buffer.setByte(0, 1);
            buffer.setByte((int) size - 1, 2);
            return (byte) (buffer.getByte(0) + buffer.getByte((int) size - 1));
        } finally {
            buffer.release();
        }
    }

    /** Two threads hitting one pool at once: the cost of its lock under contention. */
    @Benchmark
    @Group("contended")
    @GroupThreads(2)
    public void pooledContended(Blackhole blackhole) {
        blackhole.consume(allocTouchFree(fastPool));
    }

    /** Two threads hitting Netty's pool at once (each has its own thread cache). */
    @Benchmark
    @Group("nettyContended")
    @GroupThreads(2)
    public void nettyContended(Blackhole blackhole) {
        blackhole.consume(netty());
    }

    /** {@code threads} threads on one pool with one lock. */
    @Benchmark
    @OperationsPerInvocation(OPS)
    public long pooledThreads(Contention contention) throws Exception {
        return contention.runOnAll(() -> loop(contention.onePool));
    }

    /** {@code threads} threads on a striped pool (arenas chosen by thread). */
    @Benchmark
    @OperationsPerInvocation(OPS)
    public long stripedThreads(Contention contention) throws Exception {
        return contention.runOnAll(() -> loop(contention.striped));
    }

    /** {@code threads} threads on Netty's pooled direct buffers (each thread with its own cache). */
    @Benchmark
    @OperationsPerInvocation(OPS)
    public long nettyThreads(Contention contention) throws Exception {
        return contention.runOnAll(() -> {
            long sum = 0;
            for (int i = 0; i < OPS; i++) {
                ByteBuf buffer = contention.netty.directBuffer((int) size);
                try {
                    buffer.setByte(0, 1);
                    buffer.setByte((int) size - 1, 2);
                    sum += buffer.getByte(0) + buffer.getByte((int) size - 1);
                } finally {
                    buffer.release();
                }
            }
            return sum;
        });
    }

    private long loop(dev.ingot.allocator.BufferAllocator pool) {
        long sum = 0;
        for (int i = 0; i < OPS; i++) {
            MemoryChunk chunk = pool.alloc(size);
            try {
                sum += touch(chunk.segment());
            } finally {
                pool.free(chunk);
            }
        }
        return sum;
    }

    private byte allocTouchFree(EagerBufferAllocator pool) {
        MemoryChunk chunk = pool.alloc(size);
        try {
            return touch(chunk.segment());
        } finally {
            pool.free(chunk);
        }
    }

    private static byte touch(MemorySegment segment) {
        long last = segment.byteSize() - 1;
        segment.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        segment.set(ValueLayout.JAVA_BYTE, last, (byte) 2);
        return (byte) (segment.get(ValueLayout.JAVA_BYTE, 0)
                + segment.get(ValueLayout.JAVA_BYTE, last));
    }
}
