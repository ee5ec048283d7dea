package dev.ingot.bench;

import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.MemoryMode;
import dev.ingot.runtime.express.Graph;
import dev.ingot.runtime.express.Trainer;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * One planned training step of an affine InstanceNorm layer with an MSE loss ({@link StyleLayer}, 8x64x64x64):
 * forward, backward through the gradient rules (one InstanceNormGrad), and the SGD-momentum update of gamma and
 * beta in place, all one {@link dev.ingot.runtime.Pipeline#run()}. Run with {@code -prof gc}: a step allocates
 * nothing on the Java heap; the secondary counter {@code stepHeapBytes} counts the stepping thread's allocation
 * inside steps, and {@link #idleControl} shows the background JMH itself adds to {@code gc.alloc.rate.norm}.
 * The set-up trains a small layer until its steps stop allocating ({@link JitWarmUp}), then runs 100 steps of this
 * one, so even short warm-up iterations measure compiled code.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class PipelineBench {

    @Param({"8x64x64x64"})
    public String shape;

    @Param({"2"})
    public int threads;

    @Param({"DEFERRED"})
    public MemoryMode memoryMode;

    private CpuBackend backend;
    private Trainer trainer;

    @Setup(Level.Trial)
    public void setUp() {
        backend = CpuBackend.builder().threads(threads).memoryMode(memoryMode).build();
        JitWarmUp.run(backend, 20_000); // compiled kernels from the first iteration on: interpreted ones take seconds
        StyleLayer layer = StyleLayer.create(new Graph(backend), BenchShapes.parse(shape).dims(), 42);
        trainer = Trainer.compile(backend, layer.loss(), List.of(layer.gamma(), layer.beta()), layer.optimizer());
        trainer.tensor(layer.content()).copyFrom(layer.contentValues());
        trainer.tensor(layer.target()).copyFrom(layer.targetValues());
        for (int i = 0; i < 100; i++) { // and compiled for this shape's paths (parallel chunks, long planes)
            trainer.step();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        trainer.close();
        backend.close();
    }

    /**
     * Negative control for {@code -prof gc}: burns CPU for about as long as a step and allocates nothing itself, so
     * its {@code gc.alloc.rate.norm} is JMH's own background allocation at this op duration.
     */
    @Benchmark
    public void idleControl() {
        org.openjdk.jmh.infra.Blackhole.consumeCPU(4_000_000);
    }

    /**
     * Heap bytes the benchmark thread allocated inside {@link #trainStep} calls, per iteration: the step's own
     * allocation, apart from what JMH's infrastructure allocates in the background (which {@code -prof gc} counts
     * JVM-wide and divides by the few ops a millisecond-long step gives per iteration; see {@link #idleControl}).
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class StepHeap {
        private static final com.sun.management.ThreadMXBean BEAN =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        /** Bytes allocated by the stepping thread during steps of this iteration. */
        public long stepHeapBytes;
        /** Steps of this iteration. */
        public long steps;

        @Setup(Level.Iteration)
        public void reset() {
            stepHeapBytes = 0;
            steps = 0;
        }
    }

    /** One training step; returns the step's loss so the work cannot be dropped. */
    @Benchmark
    public float trainStep(StepHeap heap) {
        long before = StepHeap.BEAN.getCurrentThreadAllocatedBytes();
        trainer.step();
        heap.stepHeapBytes += StepHeap.BEAN.getCurrentThreadAllocatedBytes() - before;
        heap.steps++;
        return trainer.loss();
    }
}
