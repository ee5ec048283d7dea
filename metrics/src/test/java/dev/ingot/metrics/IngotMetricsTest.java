package dev.ingot.metrics;

import dev.ingot.allocator.AllocationLimitException;
import dev.ingot.allocator.AllocatorOptions;
import dev.ingot.allocator.AllocatorStats;
import dev.ingot.allocator.EagerBufferAllocator;
import dev.ingot.allocator.MemoryBudget;
import dev.ingot.allocator.MemoryChunk;
import dev.ingot.allocator.SegmentSource;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

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
        AtomicLong waits = new AtomicLong(3);
        PoolFigures figures = new PoolFigures() {
            @Override
            public long acquisitions() {
                return 10;
            }

            @Override
            public long waits() {
                return waits.get();
            }

            @Override
            public long timeouts() {
                return 1;
            }

            @Override
            public int inUse() {
                return 2;
            }

            @Override
            public int waiting() {
                return 4;
            }
        };
        new IngotMetrics().pool("norm", figures).bindTo(registry);
        assertEquals(10.0, registry.get("ingot.pool.acquisitions").tag("pool", "norm").functionCounter().count());
        assertEquals(3.0, registry.get("ingot.pool.waits").functionCounter().count());
        waits.set(5);
        assertEquals(5.0, registry.get("ingot.pool.waits").functionCounter().count());
        assertEquals(1.0, registry.get("ingot.pool.timeouts").functionCounter().count());
        assertEquals(2.0, registry.get("ingot.pool.in.use").gauge().value());
        assertEquals(4.0, registry.get("ingot.pool.waiting").gauge().value());
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
    }

    private static double gauge(SimpleMeterRegistry registry, String state) {
        return registry.get("ingot.allocator.memory").tag("state", state).gauge().value();
    }
}
