package dev.ingot.bench.readme;

import dev.ingot.ops.norm.InstanceNorm;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Pipeline;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/** Instance-normalizes requests of one shape; thread-safe: each call borrows one of a few planned pipelines. */
public final class NormService implements AutoCloseable {
    private record Slot(Pipeline pipeline, Tensor input, Tensor output) {
    }

    private final CpuBackend backend = CpuBackend.builder().threads(1).build();  // shared by all slots
    private final List<Slot> all = new ArrayList<>();
    private final BlockingQueue<Slot> idle;

    public NormService(Shape shape, int concurrentCalls) {
        idle = new ArrayBlockingQueue<>(concurrentCalls);
        for (int i = 0; i < concurrentCalls; i++) {
            Pipeline.Builder graph = Pipeline.builder(backend);
            Tensor x = graph.input(TensorType.float32(shape.dims()));
            Tensor y = graph.ops(InstanceNorm.OP_TYPE, Attributes.of(InstanceNorm.EPS, 1e-5), x).get(0);
            graph.output(y);
            Slot slot = new Slot(graph.build(), x, y);  // memory planned once, here
            all.add(slot);
            idle.add(slot);
        }
    }

    public float[] normalize(float[] values) throws InterruptedException {
        Slot slot = idle.take();                        // one thread per pipeline at a time
        try {
            slot.input().copyFrom(values);
            slot.pipeline().run();                      // allocates nothing
            return slot.output().toFloatArray();
        } finally {
            idle.add(slot);
        }
    }

    @Override
    public void close() {
        all.forEach(slot -> slot.pipeline().close());
        backend.close();
    }
}
