package dev.ingot.bench;

import dev.ingot.ops.norm.InstanceNorm;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Execution;
import dev.ingot.runtime.OpRegistry;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the GroupNorm, LayerNorm, BatchNorm and RMSNorm benchmarks share: affine parameters, the forward planned
 * once into preallocated outputs ({@code forward}), and the gradient from its saved statistics into preallocated
 * dx, dgamma, dbeta ({@code backward}), each run as a training step runs it. Subclasses give the shapes and the op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "--sun-misc-unsafe-memory-access=allow"})
public abstract class RowNormBenchBase {

    /** The op of one benchmark: types, attributes and the shape of its parameters. */
    protected record Op(String type, String gradType, Attributes forward, Attributes grad, Shape params,
                        boolean beta) {
    }

    private CpuBackend backend;
    private final List<Tensor> owned = new ArrayList<>();
    private Execution forwardExecution;
    private Execution backwardExecution;
    private List<Tensor> forwardIn;
    private List<Tensor> forwardOut;
    private List<Tensor> backwardIn;
    private List<Tensor> backwardOut;

    /** @return the shape parameter, e.g. {@code 8x256x32x32:g32} */
    protected abstract String shapeParam();

    /** @return the thread-count parameter */
    protected abstract int threadsParam();

    /**
     * @param x      the input's shape (the part before any ':')
     * @param suffix the part after ':', or ""
     * @return the op to run
     */
    protected abstract Op op(Shape x, String suffix);

    @Setup(Level.Trial)
    public void setUp() {
        String[] parts = shapeParam().split(":", 2);
        Shape shape = BenchShapes.parse(parts[0]);
        Op op = op(shape, parts.length > 1 ? parts[1] : "");
        backend = CpuBackend.builder().threads(threadsParam()).build();
        Tensor x = own(BenchShapes.gaussian(shape, 1));
        Tensor dy = own(BenchShapes.gaussian(shape, 2));
        Tensor gamma = own(BenchShapes.gaussian(op.params(), 3));
        Tensor beta = own(BenchShapes.gaussian(op.params(), 4));
        forwardIn = op.beta() ? List.of(x, gamma, beta) : List.of(x, gamma);
        forwardExecution = OpRegistry.standard().create(op.type(), op.forward(), backend);
        forwardOut = allocate(forwardExecution, forwardIn);
        forwardExecution.onResize(forwardIn, forwardOut);
        forwardExecution.onExecute(forwardIn, forwardOut);
        List<Tensor> gradIn = new ArrayList<>(List.of(x, dy));
        gradIn.addAll(forwardOut.subList(1, forwardOut.size()));
        gradIn.add(gamma);
        backwardIn = List.copyOf(gradIn);
        backwardExecution = OpRegistry.standard().create(op.gradType(), op.grad(), backend);
        backwardOut = allocate(backwardExecution, backwardIn);
        backwardExecution.onResize(backwardIn, backwardOut);
    }

    private Tensor own(Tensor t) {
        owned.add(t);
        return t;
    }

    private List<Tensor> allocate(Execution e, List<Tensor> inputs) {
        List<TensorType> types = new ArrayList<>();
        inputs.forEach(t -> types.add(t.type()));
        List<Tensor> out = new ArrayList<>();
        for (TensorType type : e.outputTypes(types)) {
            out.add(own(Tensor.allocate(type)));
        }
        return List.copyOf(out);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        owned.forEach(Tensor::close);
        owned.clear();
        backend.close();
    }

    /** @return dx, after the gradient from the saved statistics */
    @Benchmark
    public Tensor backward() {
        backwardExecution.onExecute(backwardIn, backwardOut);
        return backwardOut.get(0);
    }

    /** @return y, after the forward with its statistics */
    @Benchmark
    public Tensor forward() {
        forwardExecution.onExecute(forwardIn, forwardOut);
        return forwardOut.get(0);
    }

    /** Attributes with gamma (and beta) on. */
    static Attributes affine(boolean beta, Object... more) {
        List<Object> a = new ArrayList<>(List.of(InstanceNorm.GAMMA, true));
        if (beta) {
            a.addAll(List.of(InstanceNorm.BETA, true));
        }
        a.addAll(List.of(more));
        return Attributes.of(a.toArray());
    }
}
