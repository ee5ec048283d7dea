package dev.ingot.bench.latency;

import dev.ingot.ops.norm.InstanceNorm;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Pipeline;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.SplittableRandom;

/** The measured work: InstanceNorm forward, then its gradient from the saved statistics, as one pipeline. */
final class NormStep {

    private NormStep() {
    }

    /** A planned pipeline with inputs x and dy (filled from {@code seed}) and output dx. */
    static Pipeline build(CpuBackend backend, Shape shape, long seed) {
        Pipeline.Builder graph = Pipeline.builder(backend);
        TensorType type = TensorType.float32(shape.dims());
        Tensor x = graph.input(type);
        Tensor dy = graph.input(type);
        Attributes eps = Attributes.of(InstanceNorm.EPS, InstanceNorm.DEFAULT_EPS);
        List<Tensor> forward = graph.ops(InstanceNorm.OP_TYPE, eps, x);
        graph.output(graph.op(InstanceNorm.GRAD_OP_TYPE, eps, x, dy, forward.get(1), forward.get(2)));
        Pipeline pipeline = graph.build();
        fill(x, seed);
        fill(dy, seed + 1);
        return pipeline;
    }

    static void fill(Tensor tensor, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (long i = 0; i < tensor.elementCount(); i++) {
            tensor.segment().setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (random.nextDouble() * 4 - 1));
        }
    }
}
