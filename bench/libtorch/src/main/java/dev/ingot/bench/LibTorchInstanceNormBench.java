package dev.ingot.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.concurrent.TimeUnit;
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
 * Affine InstanceNorm in LibTorch through DJL ({@link LibTorchInstanceNorm}): what a JVM user would otherwise pick,
 * on the shapes and thread counts of {@code InstanceNormBench} and {@code InstanceNormGradBench}.
 * {@code forward} times the forward alone, without autograd recording; {@code backward} times {@code y.backward(dy)}
 * into x, gamma and beta, on a graph recorded before each call (outside the timing). The setup checks LibTorch's
 * y, dx, dgamma and dbeta against ingot's once and fails the trial if they differ by more than 1e-4 relative.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "--sun-misc-unsafe-memory-access=allow", "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_interop_threads=1"})
public class LibTorchInstanceNormBench {
    /** Largest relative difference from ingot's results that the setup accepts. */
    static final double TOLERANCE = 1e-4;

    @Param({"1x64x56x56", "8x64x64x64", "4x32x1024", "2x16x16x32x32", "8x128x128x128", "1x3x512x512",
            "16x256x32x32"})
    public String shape;

    /** LibTorch's intra-op threads (torch.set_num_threads). */
    @Param({"1", "2"})
    public int threads;

    private Engine engine;
    private NDManager manager;
    private LibTorchInstanceNorm norm;
    private NDArray x;
    private NDArray dy;
    private NDArray gamma;
    private NDArray beta;

    @Setup(Level.Trial)
    public void setUp() {
        long[] dims = InstanceNormCase.parseShape(shape);
        engine = LibTorchInstanceNorm.engine(threads);
        manager = engine.newBaseManager();
        InstanceNormCase inputs = InstanceNormCase.random(dims, 1);
        LibTorchInstanceNorm.run(inputs, manager).requireCloseTo(InstanceNormResults.ingot(inputs, threads),
                TOLERANCE);

        norm = new LibTorchInstanceNorm(manager, dims);
        Shape perChannel = new Shape(inputs.channels());
        x = manager.create(inputs.x(), new Shape(dims));
        dy = manager.create(inputs.dy(), new Shape(dims));
        gamma = manager.create(inputs.gamma(), perChannel);
        beta = manager.create(inputs.beta(), perChannel);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
    }

    /**
     * A graph recorded for {@code backward}, fresh for every call: y = InstanceNorm(x, gamma, beta) from new leaves
     * that share the benchmark's data but have no gradient yet, so each backward writes its gradients as a first
     * backward does, without accumulating into earlier ones.
     */
    @State(Scope.Thread)
    public static class RecordedForward {
        private NDManager scope;
        private NDArray y;

        @Setup(Level.Invocation)
        public void record(LibTorchInstanceNormBench bench) {
            scope = bench.manager.newSubManager();
            NDArray x = leaf(bench.x);
            NDArray gamma = leaf(bench.gamma);
            NDArray beta = leaf(bench.beta);
            try (GradientCollector collector = bench.engine.newGradientCollector()) {
                y = bench.norm.forward(x, gamma, beta);
            }
        }

        private NDArray leaf(NDArray data) {
            NDArray leaf = data.stopGradient();
            leaf.attach(scope);
            leaf.setRequiresGradient(true);
            return leaf;
        }

        @TearDown(Level.Invocation)
        public void release() {
            scope.close();
        }
    }

    @Benchmark
    public void backward(RecordedForward graph) {
        LibTorchInstanceNorm.backward(graph.y, dy);
    }

    @Benchmark
    public void forward() {
        try (NDManager scope = manager.newSubManager()) {
            x.tempAttach(scope);
            gamma.tempAttach(scope);
            beta.tempAttach(scope);
            norm.forward(x, gamma, beta);
        }
    }
}
