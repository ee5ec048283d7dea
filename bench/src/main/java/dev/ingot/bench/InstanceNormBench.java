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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/** Affine InstanceNorm forward into preallocated y, mean and invstd, planned once and executed per call. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "--sun-misc-unsafe-memory-access=allow"})
public class InstanceNormBench {

    @Param({"1x64x56x56", "8x64x64x64", "4x32x1024", "2x16x16x32x32", "8x128x128x128", "1x3x512x512",
            "16x256x32x32"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    private CpuBackend backend;
    private final List<Tensor> owned = new ArrayList<>();
    private Execution forward;
    private List<Tensor> inputs;
    private List<Tensor> outputs;

    @Setup(Level.Trial)
    public void setUp() {
        Shape s = BenchShapes.parse(shape);
        backend = CpuBackend.builder().threads(threads).build();
        Shape perChannel = Shape.of(s.dim(1));
        inputs = List.of(own(BenchShapes.gaussian(s, 1)), own(BenchShapes.gaussian(perChannel, 2)),
                own(BenchShapes.gaussian(perChannel, 3)));
        Attributes attributes = Attributes.of(InstanceNorm.EPS, InstanceNorm.DEFAULT_EPS, InstanceNorm.GAMMA, true,
                InstanceNorm.BETA, true);
        forward = OpRegistry.standard().create(InstanceNorm.OP_TYPE, attributes, backend);
        List<Tensor> outs = new ArrayList<>();
        for (TensorType type : forward.outputTypes(inputs.stream().map(Tensor::type).toList())) {
            outs.add(own(Tensor.allocate(type)));
        }
        outputs = List.copyOf(outs);
        forward.onResize(inputs, outputs);
    }

    private Tensor own(Tensor tensor) {
        owned.add(tensor);
        return tensor;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        owned.forEach(Tensor::close);
        backend.close();
    }

    @Benchmark
    public Tensor forward() {
        forward.onExecute(inputs, outputs);
        return outputs.getFirst();
    }
}
