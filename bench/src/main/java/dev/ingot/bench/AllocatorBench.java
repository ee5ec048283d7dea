package dev.ingot.bench;

import dev.ingot.allocator.AllocatorOptions;
import dev.ingot.allocator.EagerBufferAllocator;
import dev.ingot.allocator.MemoryChunk;
import dev.ingot.allocator.SegmentSource;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
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

/**
 * One allocation and its release, for buffers of {@code size} bytes: ingot's pool (fast and checked mode), a
 * confined {@link Arena} opened and closed per buffer, and Netty's pooled direct buffers. Each call touches the
 * first and last byte so no variant can skip the memory.
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

    @Benchmark
    public byte pooled() {
        return allocTouchFree(fastPool);
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
