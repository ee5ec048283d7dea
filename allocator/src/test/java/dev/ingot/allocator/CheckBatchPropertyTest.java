package dev.ingot.allocator;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Batched scopes over random alloc/free sequences: memory freed by a checked chunk is handed out again only after
 * its scope is closed, writes through segments kept after free never reach another chunk, and the accounting
 * (in use, pooled, quarantined) stays exact.
 */
class CheckBatchPropertyTest {

    /** One step: alloc (size), free (pick), a use after free through a kept segment, flush, or trim. */
    record Step(int kind, long size, int pick) {
    }

    /** A freed chunk whose segment was kept, and the bytes it occupied. */
    record Freed(MemorySegment kept, long address, long footprint, boolean scoped) {
        boolean overlaps(MemoryChunk chunk) {
            return chunk.address() < address + footprint && address < chunk.address() + Sizes.footprint(chunk.size());
        }
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Step> step = Combinators.combine(
                Arbitraries.integers().between(0, 19),
                Arbitraries.longs().between(1, 6_000),
                Arbitraries.integers().between(0, 1_000)).as(Step::new);
        return step.list().ofMinSize(1).ofMaxSize(150);
    }

    private static AllocatorOptions options(boolean sampled, int batch) {
        AllocatorOptions base = AllocatorOptions.defaults().withMinBlockSize(16 * 1024).withCheckBatch(batch);
        return sampled ? base.withChecked(false).withSampledChecks(2) : base.withChecked(true);
    }

    @Property(tries = 120)
    void freedMemoryIsReusedOnlyAfterItsScopeClosedAndTheCountsStayExact(
            @ForAll("steps") List<Step> steps, @ForAll boolean sampled, @ForAll @IntRange(min = 1, max = 6) int batch)
            throws Exception {
        try (EagerBufferAllocator pool = new EagerBufferAllocator(SegmentSource.arena(), options(sampled, batch))) {
            List<MemoryChunk> live = new ArrayList<>();
            List<Freed> freed = new ArrayList<>();
            for (Step step : steps) {
                if (step.kind() < 10 || live.isEmpty()) {
                    MemoryChunk chunk = pool.alloc(step.size());
                    for (Freed old : freed) {
                        if (old.scoped() && old.kept().scope().isAlive()) {
                            assertTrue(!old.overlaps(chunk), chunk + " reuses memory whose scope is still open");
                        }
                    }
                    EagerAllocatorPropertyTest.fill(chunk);
                    live.add(chunk);
                } else if (step.kind() < 16) {
                    MemoryChunk chunk = live.remove(step.pick() % live.size());
                    EagerAllocatorPropertyTest.verify(chunk);
                    MemorySegment kept = chunk.segment();
                    boolean scoped = !kept.scope().equals(chunk.span().block.memory.scope());
                    freed.add(new Freed(kept, chunk.address(), Sizes.footprint(chunk.size()), scoped));
                    pool.free(chunk);
                } else if (step.kind() < 18 && !freed.isEmpty()) {
                    useAfterFree(freed.get(step.pick() % freed.size()));
                } else if (step.kind() == 18) {
                    pool.flushChecks();
                } else {
                    pool.trim();
                }
                live.forEach(EagerAllocatorPropertyTest::verify);
                pool.checkInvariants();
                AllocatorStats stats = pool.stats();
                assertEquals(live.stream().mapToLong(MemoryChunk::size).sum(), stats.inUse());
                long quarantined = freed.stream().filter(f -> f.scoped() && f.kept().scope().isAlive())
                        .mapToLong(Freed::footprint).sum();
                assertEquals(quarantined, stats.quarantined(), "the quarantine is the freed memory still scoped");
                assertTrue(stats.inUse() + stats.pooled() + stats.quarantined() <= stats.reserved(),
                        stats.toString());
            }
            live.forEach(pool::free);
            pool.flushChecks();
            for (Freed old : freed) {
                assertTrue(!old.scoped() || !old.kept().scope().isAlive(), "a flush with nothing live closes all");
            }
            AllocatorStats stats = pool.stats();
            assertEquals(0, stats.quarantined());
            assertEquals(stats.reserved(), stats.pooled(), "every freed byte is free again");
            pool.trim();
            assertEquals(0, pool.totalSize());
        }
    }

    @Property(tries = 25)
    void threadsWritingThroughFreedSegmentsNeverReachAnotherThreadsChunk(
            @ForAll @IntRange(min = 2, max = 4) int threads, @ForAll @LongRange(min = 0, max = 1L << 40) long seed,
            @ForAll boolean sampled, @ForAll @IntRange(min = 1, max = 6) int batch) throws Exception {
        ExecutorService workers = Executors.newFixedThreadPool(threads);
        try (EagerBufferAllocator pool = new EagerBufferAllocator(SegmentSource.arena(), options(sampled, batch))) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Random random = new Random(seed + t);
                done.add(workers.submit(() -> churn(pool, random)));
            }
            for (Future<?> future : done) {
                future.get(60, TimeUnit.SECONDS); // hang guard only
            }
            pool.flushChecks();
            AllocatorStats stats = pool.stats();
            assertEquals(0, stats.inUse());
            assertEquals(0, stats.quarantined());
            assertEquals(stats.reserved(), stats.pooled());
            pool.checkInvariants();
        } finally {
            workers.shutdownNow();
        }
    }

    /**
     * Allocs and frees from one thread, each chunk checked against its pattern before it is freed; after each free,
     * a write through a segment this thread kept from a freed chunk, which must land in quarantined memory or throw.
     */
    private static Void churn(EagerBufferAllocator pool, Random random) {
        List<MemoryChunk> mine = new ArrayList<>();
        List<Freed> freed = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
            if (mine.isEmpty() || random.nextInt(10) < 6) {
                MemoryChunk chunk = pool.alloc(1 + random.nextInt(3000));
                EagerAllocatorPropertyTest.fill(chunk);
                mine.add(chunk);
            } else {
                MemoryChunk chunk = mine.remove(random.nextInt(mine.size()));
                EagerAllocatorPropertyTest.verify(chunk);
                MemorySegment kept = chunk.segment();
                boolean scoped;
                synchronized (pool.lock()) {
                    scoped = !kept.scope().equals(chunk.span().block.memory.scope());
                }
                pool.free(chunk);
                if (scoped) {
                    freed.add(new Freed(kept, chunk.address(), Sizes.footprint(chunk.size()), true));
                }
                if (!freed.isEmpty()) {
                    useAfterFree(freed.get(random.nextInt(freed.size())));
                }
            }
            if (random.nextInt(60) == 0) {
                pool.flushChecks();
            }
        }
        mine.forEach(EagerAllocatorPropertyTest::verify);
        mine.forEach(pool::free);
        return null;
    }

    /** Writes through a kept segment of a freed, scoped chunk: allowed only while its scope is open. */
    private static void useAfterFree(Freed old) {
        if (!old.scoped()) {
            return; // fast mode: such a write would hit whoever holds the memory now, which is the known risk
        }
        try {
            old.kept().fill((byte) 0x5A);
        } catch (IllegalStateException closed) {
            // the batch's scope was closed: the check caught the use after free
        }
    }
}
