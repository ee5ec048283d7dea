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
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Random alloc/free/release sequences: no overlap, alignment, patterns survive, accounting returns to zero. */
class EagerAllocatorPropertyTest {

    /** One step: alloc (size, log2 alignment), free (pick), or release(false). */
    record Step(int kind, long size, int alignmentLog, int pick) {
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Step> step = Combinators.combine(
                Arbitraries.integers().between(0, 9),
                Arbitraries.longs().between(1, 20_000),
                Arbitraries.integers().between(0, 12),
                Arbitraries.integers().between(0, 1_000)).as(Step::new);
        return step.list().ofMinSize(1).ofMaxSize(150);
    }

    @Property(tries = 150)
    void singleThreadSequencesNeverOverlapAndBalance(@ForAll("steps") List<Step> steps,
                                                     @ForAll boolean checked,
                                                     @ForAll @LongRange(min = 0, max = 200_000) long maxPooled) {
        AllocatorOptions options = AllocatorOptions.defaults().withChecked(checked).withMinBlockSize(32 * 1024)
                .withMaxPooled(maxPooled);
        try (EagerBufferAllocator allocator = new EagerBufferAllocator(SegmentSource.arena(), options)) {
            List<MemoryChunk> live = new ArrayList<>();
            for (Step step : steps) {
                if (step.kind() < 6 || live.isEmpty()) {
                    long alignment = 1L << step.alignmentLog();
                    MemoryChunk chunk = allocator.alloc(step.size(), alignment);
                    assertEquals(0, chunk.address() % alignment, chunk.toString());
                    fill(chunk);
                    live.add(chunk);
                } else if (step.kind() < 9) {
                    MemoryChunk chunk = live.remove(step.pick() % live.size());
                    verify(chunk);
                    allocator.free(chunk);
                } else {
                    allocator.release(false);
                }
                assertNoOverlap(live);
                allocator.checkInvariants();
                AllocatorStats stats = allocator.stats();
                assertEquals(live.stream().mapToLong(MemoryChunk::size).sum(), stats.inUse());
                assertTrue(stats.inUse() + stats.pooled() <= stats.reserved(), stats.toString());
                if (step.kind() >= 6 && step.kind() < 9) {
                    assertTrue(stats.pooled() <= maxPooled || noWhollyFreeBlock(allocator), stats.toString());
                }
            }
            live.forEach(EagerAllocatorPropertyTest::verify);
            live.forEach(allocator::free);
            allocator.checkInvariants();
            AllocatorStats stats = allocator.stats();
            assertEquals(0, stats.inUse());
            assertEquals(stats.reserved(), stats.pooled(), "every freed byte merged back into the free list");
            allocator.release(false);
            assertEquals(0, allocator.totalSize());
            assertEquals(0, allocator.stats().pooled());
        }
    }

    /**
     * One planning thread inside a barrier: frees in a group stay private (never merged with shared neighbours),
     * and after the barrier every piece is merged back, so the pool is whole again once every chunk is freed.
     */
    @Property(tries = 100)
    void groupSequencesKeepThePoolWhole(@ForAll("steps") List<Step> steps, @ForAll boolean checked) {
        AllocatorOptions options = AllocatorOptions.defaults().withChecked(checked).withMinBlockSize(32 * 1024);
        try (EagerBufferAllocator allocator = new EagerBufferAllocator(SegmentSource.arena(), options)) {
            List<MemoryChunk> live = new ArrayList<>();
            boolean inGroup = false;
            for (Step step : steps) {
                if (step.kind() == 9) { // toggle the group (and its barrier)
                    if (inGroup) {
                        allocator.endGroup();
                        allocator.barrierEnd();
                    } else {
                        allocator.barrierBegin();
                        allocator.beginGroup();
                    }
                    inGroup = !inGroup;
                } else if (step.kind() < 5 || live.isEmpty()) {
                    MemoryChunk chunk = allocator.alloc(step.size(), 1L << step.alignmentLog());
                    fill(chunk);
                    live.add(chunk);
                } else {
                    MemoryChunk chunk = live.remove(step.pick() % live.size());
                    verify(chunk);
                    allocator.free(chunk);
                }
                assertNoOverlap(live);
                allocator.checkInvariants();
            }
            if (inGroup) {
                allocator.endGroup();
                allocator.barrierEnd();
            }
            live.forEach(EagerAllocatorPropertyTest::verify);
            live.forEach(allocator::free);
            allocator.checkInvariants();
            AllocatorStats stats = allocator.stats();
            assertEquals(0, stats.inUse());
            assertEquals(stats.reserved(), stats.pooled());
            allocator.release(false);
            assertEquals(0, allocator.totalSize(), "every block merged back into one piece and went back");
        }
    }

    /** True when giving back every wholly free block would not change what is reserved. */
    private static boolean noWhollyFreeBlock(EagerBufferAllocator allocator) {
        long reserved = allocator.totalSize();
        allocator.release(false);
        return allocator.totalSize() == reserved;
    }

    @Property(tries = 40)
    void concurrentThreadsNeverShareLiveMemory(@ForAll @IntRange(min = 2, max = 4) int threads,
                                               @ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 2) long seed,
                                               @ForAll boolean checked) throws Exception {
        AllocatorOptions options = AllocatorOptions.defaults().withChecked(checked).withMinBlockSize(16 * 1024);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (EagerBufferAllocator allocator = new EagerBufferAllocator(SegmentSource.arena(), options)) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Random random = new Random(seed + t);
                done.add(pool.submit(() -> churn(allocator, random)));
            }
            for (Future<?> future : done) {
                future.get(60, TimeUnit.SECONDS); // hang guard only
            }
            assertEquals(0, allocator.stats().inUse());
            assertEquals(allocator.stats().reserved(), allocator.stats().pooled());
            allocator.checkInvariants();
        } finally {
            pool.shutdownNow();
        }
    }

    /** Random allocs and frees from one thread; each chunk's pattern must survive the other threads' work. */
    private static Void churn(EagerBufferAllocator allocator, Random random) {
        List<MemoryChunk> mine = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            if (mine.isEmpty() || random.nextInt(10) < 6) {
                long alignment = 1L << random.nextInt(13);
                MemoryChunk chunk = allocator.alloc(1 + random.nextInt(4000), alignment);
                assertEquals(0, chunk.address() % alignment);
                fill(chunk);
                mine.add(chunk);
            } else {
                MemoryChunk chunk = mine.remove(random.nextInt(mine.size()));
                verify(chunk);
                allocator.free(chunk);
            }
            if (random.nextInt(50) == 0) {
                allocator.release(false);
            }
        }
        mine.forEach(EagerAllocatorPropertyTest::verify);
        mine.forEach(allocator::free);
        return null;
    }

    /** Writes a pattern derived from the chunk's id into every byte. */
    static void fill(MemoryChunk chunk) {
        MemorySegment segment = chunk.segment();
        for (long i = 0; i < segment.byteSize(); i++) {
            segment.set(ValueLayout.JAVA_BYTE, i, pattern(chunk, i));
        }
    }

    static void verify(MemoryChunk chunk) {
        MemorySegment segment = chunk.segment();
        for (long i = 0; i < segment.byteSize(); i++) {
            if (segment.get(ValueLayout.JAVA_BYTE, i) != pattern(chunk, i)) {
                throw new AssertionError(chunk + " was overwritten at byte " + i);
            }
        }
    }

    private static byte pattern(MemoryChunk chunk, long i) {
        return (byte) (chunk.id() * 31 + i * 7);
    }

    static void assertNoOverlap(List<MemoryChunk> live) {
        List<MemoryChunk> byAddress = new ArrayList<>(live);
        byAddress.sort(Comparator.comparingLong(MemoryChunk::address));
        for (int i = 1; i < byAddress.size(); i++) {
            MemoryChunk previous = byAddress.get(i - 1);
            MemoryChunk next = byAddress.get(i);
            assertTrue(previous.address() + previous.size() <= next.address(),
                    previous + " overlaps " + next);
        }
    }
}
