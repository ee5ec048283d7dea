package dev.ingot.bench;

import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.parallel.RangeTask;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
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

/**
 * The STREAM triad a[i] = b[i] + s * c[i] over as many floats as the shape has, on the same executor as the
 * kernels: two reads and one write per element, the traffic of InstanceNormGrad (read x and dy, write dx), so its
 * time is the bandwidth roof for the backward.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "--sun-misc-unsafe-memory-access=allow"})
public class StreamBench {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int BLOCK = 1 << 14;
    private static final float SCALE = 0.5f;

    @Param({"1x64x56x56", "8x64x64x64", "4x32x1024", "2x16x16x32x32", "8x128x128x128", "1x3x512x512",
            "16x256x32x32"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    private CpuBackend backend;
    private Tensor a;
    private Tensor b;
    private Tensor c;
    private Triad triad;
    private int blocks;

    @Setup(Level.Trial)
    public void setUp() {
        Shape s = BenchShapes.parse(shape);
        backend = CpuBackend.builder().threads(threads).build();
        a = BenchShapes.gaussian(s, 1);
        b = BenchShapes.gaussian(s, 2);
        c = BenchShapes.gaussian(s, 3);
        long count = s.elementCount();
        triad = new Triad(a.segment(), b.segment(), c.segment(), count);
        blocks = (int) ((count + BLOCK - 1) / BLOCK);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        a.close();
        b.close();
        c.close();
        backend.close();
    }

    @Benchmark
    public Tensor triad() {
        // As many ranges as threads, so each worker streams one contiguous part.
        int grain = Math.max(1, (blocks + threads - 1) / threads);
        backend.executor().parallelFor(blocks, grain, triad);
        return a;
    }

    /** The triad over whole blocks of {@link #BLOCK} floats; preallocated so a call allocates nothing. */
    private record Triad(MemorySegment a, MemorySegment b, MemorySegment c, long count) implements RangeTask {
        @Override
        public void run(int fromBlock, int toBlock) {
            long start = (long) fromBlock * BLOCK;
            long end = Math.min(count, (long) toBlock * BLOCK);
            long i = start;
            long vectorEnd = start + SPECIES.loopBound(end - start);
            for (; i < vectorEnd; i += SPECIES.length()) {
                long offset = i * Float.BYTES;
                FloatVector vb = FloatVector.fromMemorySegment(SPECIES, b, offset, ByteOrder.nativeOrder());
                FloatVector vc = FloatVector.fromMemorySegment(SPECIES, c, offset, ByteOrder.nativeOrder());
                vc.mul(SCALE).add(vb).intoMemorySegment(a, offset, ByteOrder.nativeOrder());
            }
            for (; i < end; i++) {
                float value = b.getAtIndex(ValueLayout.JAVA_FLOAT, i) + SCALE * c.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                a.setAtIndex(ValueLayout.JAVA_FLOAT, i, value);
            }
        }
    }
}
