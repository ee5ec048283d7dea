package dev.ingot.bench;

import dev.ingot.ops.norm.InstanceNorm;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Execution;
import dev.ingot.runtime.OpRegistry;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import java.lang.foreign.ValueLayout;
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

/**
 * InstanceNormGrad from saved statistics: dx, dgamma and dbeta into preallocated outputs, planned once and
 * executed per call, as a training step runs it. {@code backwardInPlace} writes dx over dy.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "--sun-misc-unsafe-memory-access=allow"})
public class InstanceNormGradBench {

    @Param({"1x64x56x56", "8x64x64x64", "4x32x1024", "2x16x16x32x32", "8x128x128x128", "1x3x512x512",
            "16x256x32x32"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    private CpuBackend backend;
    private Tensor x;
    private Tensor dy;
    private Tensor gamma;
    private Tensor dx;
    private Tensor dgamma;
    private Tensor dbeta;
    private InstanceNorm.Forward saved;
    private Execution outOfPlace;
    private Execution inPlace;
    private List<Tensor> inputs;
    private List<Tensor> outputs;
    private List<Tensor> inPlaceOutputs;

    @Setup(Level.Trial)
    public void setUp() {
        Shape s = BenchShapes.parse(shape);
        backend = CpuBackend.builder().threads(threads).build();
        x = BenchShapes.gaussianSameOverBatch(s, 1);
        dy = BenchShapes.gaussian(s, 2);
        saved = InstanceNorm.forward(backend, x, null, null, InstanceNorm.DEFAULT_EPS);
        gamma = stableGamma(s, saved.invstd());
        dx = Tensor.allocate(x.type());
        dgamma = Tensor.allocate(gamma.type());
        dbeta = Tensor.allocate(gamma.type());

        inputs = List.of(x, dy, saved.mean(), saved.invstd(), gamma);
        outputs = List.of(dx, dgamma, dbeta);
        inPlaceOutputs = List.of(dy, dgamma, dbeta);
        outOfPlace = plan(false, outputs);
        inPlace = plan(true, inPlaceOutputs);
    }

    private Execution plan(boolean writeOverDy, List<Tensor> outs) {
        Attributes attributes = Attributes.of(InstanceNorm.EPS, InstanceNorm.DEFAULT_EPS, InstanceNorm.GAMMA, true,
                InstanceNorm.BETA, true, InstanceNorm.IN_PLACE, writeOverDy);
        Execution execution = OpRegistry.standard().create(InstanceNorm.GRAD_OP_TYPE, attributes, backend);
        execution.onResize(inputs, outs);
        return execution;
    }

    /**
     * gamma = 1 / invstd per channel (x repeats over the batch, so invstd does too). Then every instance computes
     * dx = dy - mean(dy) - xhat * mean(dy * xhat), a projection: applying it again changes nothing, so repeated
     * in-place runs keep dy at a normal scale instead of shrinking it to denormals or growing it.
     */
    private static Tensor stableGamma(Shape s, Tensor invstd) {
        int channels = (int) s.dim(1);
        float[] values = new float[channels];
        for (int c = 0; c < channels; c++) {
            values[c] = 1f / invstd.segment().getAtIndex(ValueLayout.JAVA_FLOAT, c);
        }
        return Tensor.copyOf(values, Shape.of(channels));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Tensor t : new Tensor[] {x, dy, gamma, dx, dgamma, dbeta}) {
            t.close();
        }
        saved.close();
        backend.close();
    }

    @Benchmark
    public Tensor backward() {
        outOfPlace.onExecute(inputs, outputs);
        return dx;
    }

    @Benchmark
    public Tensor backwardInPlace() {
        inPlace.onExecute(inputs, inPlaceOutputs);
        return dy;
    }
}
