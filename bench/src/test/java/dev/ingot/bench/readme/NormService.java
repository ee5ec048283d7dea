package dev.ingot.bench.readme;

import dev.ingot.ops.norm.InstanceNorm;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Pipeline;
import dev.ingot.runtime.PipelinePool;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;

/** Instance-normalizes requests of any shape; thread-safe: each call leases a planned pipeline from a pool. */
public final class NormService implements AutoCloseable {
    private final CpuBackend backend = CpuBackend.builder().threads(2).build();   // the cores ingot may use
    private final PipelinePool pool = PipelinePool.builder(backend, NormService::plan).maxPerShape(2).build();

    private static Pipeline plan(CpuBackend backend, Shape shape) {
        Pipeline.Builder graph = Pipeline.builder(backend);
        Tensor x = graph.input(TensorType.float32(shape.dims()));
        graph.output(graph.ops(InstanceNorm.OP_TYPE, Attributes.of(InstanceNorm.EPS, 1e-5), x).get(0));
        return graph.build();                                    // memory planned once per shape
    }

    public float[] normalize(float[] values, Shape shape) {
        try (PipelinePool.Lease lease = pool.acquire(shape)) {   // waits, bounded, while all are busy
            Pipeline pipeline = lease.pipeline();                // held by this thread until the lease closes
            pipeline.inputs().get(0).copyFrom(values);
            pipeline.run();                                      // allocates nothing
            return pipeline.outputs().get(0).toFloatArray();
        }
    }

    @Override
    public void close() {
        pool.close();
        backend.close();
    }
}
