package dev.ingot.allocator;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Budget trees: every ancestor counts its children's blocks, pooled ones included, and refuses past its limit. */
class MemoryBudgetTest {
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;

    private static EagerBufferAllocator pool(MemoryBudget budget, long minBlock) {
        return new EagerBufferAllocator(SegmentSource.arena(), AllocatorOptions.defaults()
                .withName(budget.name() + "-pool").withMinBlockSize(minBlock).withBudget(budget));
    }

    /** Every node's reserved bytes are its direct charges plus its children's, and within its limit. */
    static void assertConsistent(MemoryBudget.Snapshot node) {
        long below = 0;
        for (MemoryBudget.Snapshot child : node.children()) {
            assertConsistent(child);
            below += child.reserved();
        }
        assertEquals(node.direct() + below, node.reserved(), node.toString());
        assertTrue(node.reserved() <= node.limit(), node.toString());
        assertTrue(node.reserved() >= 0 && node.direct() >= 0, node.toString());
    }

    @Test
    void pooledBytesCountInEveryAncestor() {
        MemoryBudget root = MemoryBudget.root("service", 64 * MIB);
        MemoryBudget tenant = root.child("tenant", 16 * MIB);
        MemoryBudget team = tenant.child("team", Long.MAX_VALUE);
        try (EagerBufferAllocator pool = pool(team, MIB)) {
            MemoryChunk chunk = pool.alloc(1000);
            assertEquals(MIB, team.reserved());
            assertEquals(MIB, tenant.reserved());
            assertEquals(MIB, root.reserved());
            pool.free(chunk); // pooled, still reserved: still counted
            assertEquals(MIB, root.reserved());
            pool.release(false);
            assertEquals(0, root.reserved());
            assertEquals(MIB, root.peak());
        }
        team.close();
        tenant.close();
        assertTrue(root.snapshot().children().isEmpty());
    }

    @Test
    void aRefusalNamesTheTenantTheRequestTheUseAndTheLimitAndChangesNothing() {
        MemoryBudget root = MemoryBudget.root("service", 8 * MIB);
        MemoryBudget tenant = root.child("tenant-a", 2 * MIB);
        try (EagerBufferAllocator pool = pool(tenant, MIB)) {
            MemoryChunk first = pool.alloc(MIB);
            MemoryChunk second = pool.alloc(MIB);
            AllocatorStats before = pool.stats();
            AllocationLimitException e = assertThrows(AllocationLimitException.class, () -> pool.alloc(100));
            assertEquals("tenant-a", e.tenant());
            assertEquals("tenant-a", e.refusedBy());
            assertEquals(100, e.requested());
            assertEquals(2 * MIB, e.reserved());
            assertEquals(2 * MIB, e.limit());
            assertTrue(e.getMessage().contains("tenant 'tenant-a'") && e.getMessage().contains("limit 2097152"),
                    e.getMessage());
            assertEquals(before, pool.stats());
            assertEquals(1, tenant.refusals());
            pool.free(first);
            assertTrue(pool.alloc(100).isLive(), "the tenant recovers once it frees memory");
            pool.free(second);
        }
    }

    @Test
    void anAncestorsLimitRefusesTooAndSaysWhose() {
        MemoryBudget root = MemoryBudget.root("service", 3 * MIB);
        try (EagerBufferAllocator a = pool(root.child("a", Long.MAX_VALUE), MIB);
             EagerBufferAllocator b = pool(root.child("b", Long.MAX_VALUE), MIB)) {
            a.alloc(2 * MIB);
            b.alloc(MIB);
            AllocationLimitException e = assertThrows(AllocationLimitException.class, () -> b.alloc(10));
            assertEquals("b", e.tenant());
            assertEquals("service", e.refusedBy());
            assertEquals(3 * MIB, e.limit());
        }
        assertEquals(0, root.reserved(), "closing the allocators returned every charge");
    }

    @Test
    void aDeferredPlannerIsRefusedWhenItAppliesAPlanPastTheBudget() {
        MemoryBudget root = MemoryBudget.root("service", 4 * MIB);
        try (DeferBufferAllocator planner = new DeferBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withName("plan").withBudget(root))) {
            planner.alloc(5 * MIB);
            AllocationLimitException e = assertThrows(AllocationLimitException.class, planner::apply);
            assertEquals("service", e.refusedBy());
            assertEquals(0, root.reserved());
            planner.reset();
            MemoryChunk fits = planner.alloc(3 * MIB);
            planner.apply();
            assertEquals(3 * MIB, fits.segment().byteSize());
            assertEquals(planner.totalSize(), root.reserved());
        }
        assertEquals(0, root.reserved());
    }

    @Test
    void closingABudgetThatStillHoldsBytesIsRefused() {
        MemoryBudget root = MemoryBudget.root("service", Long.MAX_VALUE);
        MemoryBudget tenant = root.child("t", Long.MAX_VALUE);
        EagerBufferAllocator pool = pool(tenant, 64 * KIB);
        pool.alloc(10);
        assertThrows(IllegalStateException.class, tenant::close);
        pool.close();
        tenant.close();
        tenant.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> tenant.child("late", 1));
        assertThrows(IllegalArgumentException.class, () -> root.child("", 1));
        assertThrows(IllegalArgumentException.class, () -> root.child("x", -1));
    }

    /** Three tenants allocate in parallel; one runs into its limit; the others never notice, and it recovers. */
    @Test
    void threeTenantsInParallel() throws Exception {
        MemoryBudget root = MemoryBudget.root("service", 48 * MIB);
        long[] limits = {16 * MIB, 16 * MIB, 4 * MIB};
        List<MemoryBudget> tenants = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            tenants.add(root.child("tenant-" + t, limits[t]));
        }
        ExecutorService threads = Executors.newFixedThreadPool(3);
        CyclicBarrier start = new CyclicBarrier(3);
        try {
            List<Future<int[]>> results = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                MemoryBudget tenant = tenants.get(t);
                results.add(threads.submit(() -> {
                    int refused = 0;
                    int served = 0;
                    try (EagerBufferAllocator pool = pool(tenant, 256 * KIB)) {
                        start.await();
                        for (int round = 0; round < 20; round++) {
                            List<MemoryChunk> held = new ArrayList<>();
                            try {
                                // 6 MiB in 64 KiB chunks: within 16 MiB, past 4 MiB.
                                for (int i = 0; i < 96; i++) {
                                    MemoryChunk chunk = pool.alloc(64 * KIB);
                                    chunk.segment().fill((byte) i);
                                    held.add(chunk);
                                    served++;
                                }
                            } catch (AllocationLimitException e) {
                                assertEquals(tenant.name(), e.tenant());
                                assertEquals(tenant.name(), e.refusedBy());
                                assertEquals(4 * MIB, e.limit());
                                refused++;
                            }
                            held.forEach(pool::free);
                            assertConsistent(root.snapshot());
                        }
                        assertTrue(pool.alloc(MIB).isLive(), "recovered after freeing");
                    }
                    return new int[] {served, refused};
                }));
            }
            for (int t = 0; t < 3; t++) {
                int[] outcome = results.get(t).get(60, TimeUnit.SECONDS);
                if (t < 2) {
                    assertEquals(20 * 96, outcome[0], "tenant " + t + " is never refused");
                    assertEquals(0, outcome[1]);
                } else {
                    assertEquals(20, outcome[1], "the small tenant is refused every round");
                }
            }
        } finally {
            threads.shutdownNow();
        }
        assertEquals(0, root.reserved());
        assertEquals(0, root.refusals(), "the root's limit was never the one hit");
        assertTrue(tenants.get(2).refusals() >= 20);
    }

    /** One operation of a tenant's thread. */
    record Op(int kind, long size, int pick) {
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        return Combinators.combine(Arbitraries.integers().between(0, 9),
                Arbitraries.longs().between(1, 300 * KIB),
                Arbitraries.integers().between(0, 1000)).as(Op::new).list().ofMinSize(10).ofMaxSize(120);
    }

    /**
     * Random operations from 4 threads on pools under a tree (root, two tenants, one of them with two teams): at
     * every step every ancestor's reserved bytes equal its direct charges plus its children's, and no limit is
     * passed; at the end each budget's direct charge is its pool's reserved bytes, and closing returns all.
     */
    @Property(tries = 25)
    void everyAncestorCountsExactlyWhatIsBelowIt(@ForAll("ops") List<Op> a, @ForAll("ops") List<Op> b,
                                                 @ForAll("ops") List<Op> c, @ForAll("ops") List<Op> d)
            throws Exception {
        MemoryBudget root = MemoryBudget.root("root", 6 * MIB);
        MemoryBudget left = root.child("left", 4 * MIB);
        MemoryBudget right = root.child("right", Long.MAX_VALUE);
        List<MemoryBudget> leaves = List.of(left.child("left-1", 2 * MIB), left.child("left-2", Long.MAX_VALUE),
                right, right.child("right-1", 3 * MIB));
        List<List<Op>> scripts = List.of(a, b, c, d);
        List<EagerBufferAllocator> pools = new ArrayList<>();
        for (MemoryBudget leaf : leaves) {
            pools.add(new EagerBufferAllocator(SegmentSource.arena(), AllocatorOptions.defaults()
                    .withName(leaf.name()).withMinBlockSize(256 * KIB).withBudget(leaf)));
        }
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                EagerBufferAllocator pool = pools.get(t);
                List<Op> script = scripts.get(t);
                done.add(threads.submit(() -> {
                    List<MemoryChunk> live = new ArrayList<>();
                    for (Op op : script) {
                        if (op.kind() < 6 || live.isEmpty()) {
                            try {
                                live.add(pool.alloc(op.size()));
                            } catch (AllocationLimitException refused) {
                                assertFalse(refused.refusedBy().isEmpty());
                            }
                        } else if (op.kind() < 9) {
                            pool.free(live.remove(op.pick() % live.size()));
                        } else {
                            pool.release(false);
                        }
                        assertConsistent(root.snapshot());
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
        for (int t = 0; t < 4; t++) {
            assertEquals(pools.get(t).totalSize(), leaves.get(t).reserved() - childrenReserved(leaves.get(t)));
        }
        assertConsistent(root.snapshot());
        pools.forEach(EagerBufferAllocator::close);
        assertEquals(0, root.reserved());
    }

    private static long childrenReserved(MemoryBudget budget) {
        return budget.snapshot().children().stream().mapToLong(MemoryBudget.Snapshot::reserved).sum();
    }

    @Test
    void aListenerHearsBlocksAndMayFreeMemoryWhenRefusedForOneMoreTry() {
        MemoryBudget root = MemoryBudget.root("service", 2 * MIB);
        List<String> heard = new ArrayList<>();
        try (EagerBufferAllocator cache = new EagerBufferAllocator(SegmentSource.arena(), AllocatorOptions.defaults()
                .withName("cache").withMinBlockSize(MIB).withMaxPooled(0).withBudget(root))) {
            List<MemoryChunk> cached = new ArrayList<>(List.of(cache.alloc(MIB), cache.alloc(MIB)));
            AllocationListener evictOnRefusal = new AllocationListener() {
                @Override
                public void onReserve(String allocator, long bytes) {
                    heard.add("reserve " + allocator + " " + bytes);
                }

                @Override
                public void onReturn(String allocator, long bytes) {
                    heard.add("return " + allocator + " " + bytes);
                }

                @Override
                public boolean onRefused(AllocationLimitException refusal) {
                    heard.add("refused " + refusal.tenant() + " by " + refusal.refusedBy());
                    if (cached.isEmpty()) {
                        return false;
                    }
                    cache.free(cached.removeLast()); // maxPooled 0: its block goes back at once
                    return true;
                }
            };
            try (EagerBufferAllocator work = new EagerBufferAllocator(SegmentSource.arena(), AllocatorOptions
                    .defaults().withName("work").withMinBlockSize(MIB).withBudget(root)
                    .withListener(evictOnRefusal))) {
                MemoryChunk chunk = work.alloc(MIB);
                assertTrue(chunk.isLive());
                assertEquals(List.of("refused service by service", "reserve work " + MIB), heard);
                assertEquals(1, cached.size());
                work.free(chunk);
                work.release(false);
                assertEquals("return work " + MIB, heard.getLast());
                cache.free(cached.removeLast());
                assertThrows(AllocationLimitException.class, () -> work.alloc(3 * MIB), "no more to evict");
            }
        }
    }
}
