package dev.ingot.bench;

import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Execution;
import dev.ingot.runtime.MemoryMode;
import dev.ingot.runtime.Pipeline;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
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

import jdk.jfr.Recording;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@link Pipeline#run()} over a chain of ten simple elementwise ops: the per-run cost of the runtime around the
 * kernels. Run with {@code -prof gc}; the target is {@code gc.alloc.rate.norm} &lt;= 64 bytes per run.
 *
 * <p>The ops are defined here and added as {@link Execution} instances. {@code parallel} ops split their loop over
 * the backend's executor (so the executor's dispatch is measured too); the others run on the caller.
 * {@code -p runEvents=true} records every run's JFR event: compare with {@code false} for the event's cost.
 * {@code -p eventCode=false} leaves the event code out of {@code run()} altogether
 * ({@link Pipeline#RUN_EVENT_CODE_PROPERTY}): compare with {@code true} (and {@code runEvents=false}) for the cost of
 * the disabled event. Each parameter combination runs in its own fork, so the property is set before the class loads.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class PipelineRunBench {

    private static final int OPS = 10;

    @Param({"16384"})
    public int elements;

    @Param({"DEFERRED", "EAGER"})
    public MemoryMode mode;

    @Param({"false", "true"})
    public boolean parallel;

    /** Whether a JFR recording of {@code dev.ingot.runtime.PipelineRun} (every run, threshold 0) is on. */
    @Param({"false"})
    public boolean runEvents;

    /** Whether {@code run()} contains the event code at all (false: as if it were not there). */
    @Param({"true"})
    public boolean eventCode;

    private CpuBackend backend;
    private Pipeline pipeline;
    private Recording recording;

    @Setup(Level.Trial)
    public void build() {
        // before Pipeline loads: its constant is read once
        System.setProperty(Pipeline.RUN_EVENT_CODE_PROPERTY, Boolean.toString(eventCode));
        backend = CpuBackend.builder().memoryMode(mode).threads(2).build();
        Pipeline.Builder builder = Pipeline.builder(backend);
        Tensor input = builder.input(TensorType.float32(1, elements));
        Tensor t = input;
        for (int i = 0; i < OPS; i++) {
            t = builder.op(new ScaleAdd(backend.executor(), 0.5f, i, parallel), t);
        }
        builder.output(t);
        pipeline = builder.build();
        input.copyFrom(new float[elements]);
        if (runEvents) {
            recording = new Recording();
            recording.enable(Pipeline.RUN_EVENT).withThreshold(Duration.ZERO);
            recording.setToDisk(false);
            recording.setMaxSize(16L << 20);
            recording.start();
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        if (recording != null) {
            recording.close();
        }
        pipeline.close();
        backend.close();
    }

    @Benchmark
    public void run() {
        pipeline.run();
    }

    /** out = in * a + b, elementwise; its loop body is preallocated so that a run allocates nothing. */
    static final class ScaleAdd implements Execution {
        private static final int GRAIN = 4096;
        private final ParallelExecutor executor;
        private final float a;
        private final float b;
        private final boolean parallel;
        private final Body body = new Body();

        ScaleAdd(ParallelExecutor executor, float a, float b, boolean parallel) {
            this.executor = executor;
            this.a = a;
            this.b = b;
            this.parallel = parallel;
        }

        @Override
        public List<TensorType> outputTypes(List<TensorType> inputs) {
            if (inputs.size() != 1) {
                throw new IllegalArgumentException("op ScaleAdd: expected 1 input, got " + inputs.size());
            }
            return List.of(inputs.get(0));
        }

        @Override
        public void onResize(List<Tensor> inputs, List<Tensor> outputs) {
        }

        @Override
        public void onExecute(List<Tensor> inputs, List<Tensor> outputs) {
            body.in = inputs.get(0).segment();
            body.out = outputs.get(0).segment();
            int n = (int) inputs.get(0).elementCount();
            if (parallel) {
                executor.parallelFor(n, GRAIN, body);
            } else {
                body.run(0, n);
            }
            body.in = null;
            body.out = null;
        }

        private final class Body implements RangeTask {
            MemorySegment in;
            MemorySegment out;

            @Override
            public void run(int from, int to) {
                MemorySegment src = in;
                MemorySegment dst = out;
                for (long i = from; i < to; i++) {
                    dst.setAtIndex(ValueLayout.JAVA_FLOAT, i, src.getAtIndex(ValueLayout.JAVA_FLOAT, i) * a + b);
                }
            }
        }
    }
}
