package dev.ingot.serve;

import dev.ingot.ops.norm.InstanceNorm;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.DType;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Pipeline;
import dev.ingot.runtime.PipelinePool;
import dev.ingot.runtime.PipelinePoolTimeoutException;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The service's pipelines: one {@link PipelinePool} per kind on the service's backend, at most
 * {@code perShape} pipelines per shape and {@code maxShapes * perShape} in all, waiting at most {@code timeout}.
 * A lease holds its pipeline for the calling thread (the pool's ownership), so no other request can touch its
 * tensors while it writes, runs and reads. Thread-safe.
 */
final class PooledNormPipelines implements NormPipelines {

    private final Map<NormKind, PipelinePool> pools = new EnumMap<>(NormKind.class);

    PooledNormPipelines(CpuBackend backend, double eps, int perShape, int maxShapes, Duration timeout) {
        for (NormKind kind : NormKind.values()) {
            pools.put(kind, PipelinePool.builder(backend, (b, shape) -> build(b, kind, shape, eps))
                    .maxPerShape(perShape).maxPipelines(perShape * maxShapes).timeout(timeout).build());
        }
    }

    /** The pool of {@code kind}, for metrics. */
    PipelinePool pool(NormKind kind) {
        return pools.get(kind);
    }

    @Override
    public Lease acquire(NormKind kind, Shape shape) {
        PipelinePool.Lease lease;
        try {
            lease = pools.get(kind).acquire(shape);
        } catch (PipelinePoolTimeoutException e) {
            throw new ServiceBusyException(e.getMessage());
        }
        Pipeline pipeline = lease.pipeline();
        List<Tensor> inputs = pipeline.inputs();
        Tensor output = pipeline.outputs().get(0);
        return new Lease() {
            @Override
            public Tensor input(int i) {
                return inputs.get(i);
            }

            @Override
            public Tensor output() {
                return output;
            }

            @Override
            public void run() {
                pipeline.run();
            }

            @Override
            public void close() {
                lease.close();
            }
        };
    }

    @Override
    public void warmUp(Shape shape) {
        for (PipelinePool pool : pools.values()) {
            pool.warmUp(shape);
        }
    }

    @Override
    public void close() {
        for (PipelinePool pool : pools.values()) {
            pool.close();
        }
    }

    private static Pipeline build(CpuBackend backend, NormKind kind, Shape shape, double eps) {
        TensorType type = new TensorType(shape, DType.FLOAT32, Layout.NCHW);
        Pipeline.Builder graph = Pipeline.builder(backend);
        Tensor x = graph.input(type);
        Attributes attributes = Attributes.of(InstanceNorm.EPS, eps);
        if (kind == NormKind.FORWARD) {
            graph.output(graph.ops(InstanceNorm.OP_TYPE, attributes, x).get(0));
        } else {
            Tensor dy = graph.input(type);
            List<Tensor> forward = graph.ops(InstanceNorm.OP_TYPE, attributes, x);
            graph.output(graph.op(InstanceNorm.GRAD_OP_TYPE, attributes, x, dy, forward.get(1), forward.get(2)));
        }
        return graph.build();
    }
}
