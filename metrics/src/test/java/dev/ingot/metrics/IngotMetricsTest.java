package dev.ingot.metrics;

import dev.ingot.allocator.AllocationLimitException;
import dev.ingot.allocator.AllocatorOptions;
import dev.ingot.allocator.AllocatorStats;
import dev.ingot.allocator.EagerBufferAllocator;
import dev.ingot.allocator.MemoryBudget;
import dev.ingot.allocator.MemoryChunk;
import dev.ingot.allocator.SegmentSource;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.DType;
import dev.ingot.runtime.Execution;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Pipeline;
import dev.ingot.runtime.PipelinePool;
import dev.ingot.runtime.PipelinePoolStats;
import dev.ingot.runtime.PipelinePoolTimeoutException;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The meters read the allocator's and pool's own figures at each read. */
class IngotMetricsTest {

    @Test
    void allocatorMetersFollowTheAllocator() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (EagerBufferAllocator pool = new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withName("bodies").withLimit(1 << 20))) {
            new IngotMetrics(Tags.of("service", "test")).allocator("bodies", pool).bindTo(registry);
            MemoryChunk a = pool.alloc(4096);
            pool.free(a);
            MemoryChunk b = pool.alloc(4096);
            assertThrows(AllocationLimitException.class, () -> pool.alloc(2 << 20));
            AllocatorStats stats = pool.stats();
            assertEquals(stats.inUse(), gauge(registry, "in_use"));
            assertEquals(stats.pooled(), gauge(registry, "pooled"));
            assertEquals(stats.reserved(), gauge(registry, "reserved"));
            assertEquals(stats.peakInUse(), gauge(registry, "peak_in_use"));
            assertEquals(2.0, registry.get("ingot.allocator.allocations").tag("allocator", "bodies")
                    .functionCounter().count());
            assertEquals(stats.reuses(), registry.get("ingot.allocator.reuses").functionCounter().count());
            assertEquals(stats.reuseRate(), registry.get("ingot.allocator.reuse.rate").gauge().value());
            assertEquals(1.0, registry.get("ingot.allocator.limit.refusals").tag("service", "test")
                    .functionCounter().count());
            pool.free(b);
            assertEquals(0.0, gauge(registry, "in_use"), "read again at each scrape");
        }
    }

    @Test
    void poolMetersFollowThePool() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (CpuBackend backend = CpuBackend.builder().threads(1).build();
             PipelinePool pool = PipelinePool.builder(backend, IngotMetricsTest::copy).maxPerShape(1)
                     .timeout(Duration.ZERO).build()) {
            new IngotMetrics().pool("norm", pool).bindTo(registry);
            try (PipelinePool.Lease lease = pool.acquire(Shape.of(2, 3))) {
                assertEquals(1.0, registry.get("ingot.pool.leased").tag("pool", "norm").gauge().value());
                assertThrows(PipelinePoolTimeoutException.class, () -> pool.acquire(Shape.of(2, 3)));
                lease.pipeline().run();
            }
            try (PipelinePool.Lease again = pool.acquire(Shape.of(2, 3))) {
                again.pipeline().run();
            }
            PipelinePoolStats stats = pool.stats();
            assertEquals(stats.acquires(), registry.get("ingot.pool.acquisitions").functionCounter().count());
            assertEquals(2.0, registry.get("ingot.pool.acquisitions").functionCounter().count());
            assertEquals(stats.waits(), registry.get("ingot.pool.waits").functionCounter().count());
            assertEquals(1.0, registry.get("ingot.pool.timeouts").functionCounter().count());
            assertEquals(1.0, registry.get("ingot.pool.planned").functionCounter().count());
            assertEquals(0.0, registry.get("ingot.pool.evicted").functionCounter().count());
            assertEquals(0.0, registry.get("ingot.pool.leased").gauge().value());
            assertEquals(1.0, registry.get("ingot.pool.pipelines").gauge().value());
        }
    }

    /** A one-op pipeline that copies its input. */
    private static Pipeline copy(CpuBackend backend, Shape shape) {
        Pipeline.Builder graph = Pipeline.builder(backend);
        Tensor x = graph.input(new TensorType(shape, DType.FLOAT32, Layout.NCHW));
        graph.output(graph.op(new Execution() {
            @Override
            public List<TensorType> outputTypes(List<TensorType> inputs) {
                return inputs;
            }

            @Override
            public void onResize(List<Tensor> inputs, List<Tensor> outputs) {
                // nothing to plan
            }

            @Override
            public void onExecute(List<Tensor> inputs, List<Tensor> outputs) {
                MemorySegment.copy(inputs.get(0).segment(), 0, outputs.get(0).segment(), 0,
                        inputs.get(0).byteSize());
            }
        }, x));
        return graph.build();
    }

    @Test
    void budgetMetersFollowTheBudget() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (MemoryBudget budget = MemoryBudget.root("service", 1 << 20);
             EagerBufferAllocator pool = new EagerBufferAllocator(SegmentSource.arena(),
                     AllocatorOptions.defaults().withBudget(budget))) {
            new IngotMetrics().budget("service", budget).bindTo(registry);
            MemoryChunk chunk = pool.alloc(4096);
            assertThrows(AllocationLimitException.class, () -> pool.alloc(2 << 20));
            assertEquals(budget.reserved(), registry.get("ingot.budget.memory").tag("state", "reserved").gauge()
                    .value());
            assertEquals(1 << 20, registry.get("ingot.budget.memory").tag("state", "limit").gauge().value());
            assertEquals(budget.refusals(), registry.get("ingot.budget.refusals").functionCounter().count());
            assertEquals(1.0, registry.get("ingot.budget.refusals").functionCounter().count());
            pool.free(chunk);
        }
    }

    @Test
    void badArgumentsAreNamed() {
        IngotMetrics metrics = new IngotMetrics();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> metrics.allocator(" ", null));
        assertEquals("name: expected a non-blank name, got ' '", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> metrics.pool("p", null));
        assertThrows(IllegalArgumentException.class, () -> metrics.budget("b", null));
    }

    private static double gauge(SimpleMeterRegistry registry, String state) {
        return registry.get("ingot.allocator.memory").tag("state", state).gauge().value();
    }
}
