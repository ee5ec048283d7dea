package dev.ingot.allocator;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Arenas chosen by thread: frees go to the owning arena, chunks never overlap, nothing is lost or stranded. */
class StripedBufferAllocatorTest {

    private static StripedBufferAllocator pool(int arenas) {
        return new StripedBufferAllocator(SegmentSource::arena, AllocatorOptions.defaults().withName("striped")
                .withChecked(false).withMinBlockSize(256 * 1024), arenas);
    }

    /** Fills a chunk with a pattern of its own (its id in every long). */
    private static void stamp(MemoryChunk chunk) {
        MemorySegment s = chunk.segment();
        for (long i = 0; i + 8 <= s.byteSize(); i += 8) {
            s.set(ValueLayout.JAVA_LONG_UNALIGNED, i, chunk.id());
        }
    }

    private static void verify(MemoryChunk chunk) {
        MemorySegment s = chunk.segment();
        for (long i = 0; i + 8 <= s.byteSize(); i += 8) {
            if (s.get(ValueLayout.JAVA_LONG_UNALIGNED, i) != chunk.id()) {
                throw new AssertionError(chunk + " was overwritten at byte " + i + " (overlap)");
            }
        }
    }

    @Test
    void threadsUseDifferentArenasAndAnyThreadMayFree() throws Exception {
        try (StripedBufferAllocator pool = pool(4)) {
            MemoryChunk here = pool.alloc(100);
            MemoryChunk[] there = new MemoryChunk[1];
            Thread other = new Thread(() -> there[0] = pool.alloc(100));
            while (true) {
                other.start();
                other.join();
                if (other.threadId() % 4 != Thread.currentThread().threadId() % 4) {
                    break;
                }
                pool.free(there[0]);
                other = new Thread(() -> there[0] = pool.alloc(100));
            }
            assertNotSame(here.owner(), there[0].owner(), "another thread, another arena");
            pool.free(there[0]); // freed by a thread that did not allocate it: back to its own arena
            pool.free(here);
            assertEquals(0, pool.stats().inUse());
            try (EagerBufferAllocator stranger = new EagerBufferAllocator()) {
                MemoryChunk foreign = stranger.alloc(10);
                assertThrows(IllegalArgumentException.class, () -> pool.free(foreign));
            }
            assertThrows(IllegalArgumentException.class, () -> pool.free(null));
        }
    }

    @Test
    void theLimitCapsAllArenasTogether() {
        try (StripedBufferAllocator pool = new StripedBufferAllocator(SegmentSource::arena, AllocatorOptions
                .defaults().withName("capped").withMinBlockSize(64 * 1024).withLimit(128 * 1024), 4)) {
            List<MemoryChunk> held = new ArrayList<>();
            held.add(pool.alloc(64 * 1024));
            held.add(pool.alloc(64 * 1024));
            AllocationLimitException e = assertThrows(AllocationLimitException.class, () -> pool.alloc(1));
            assertEquals("capped", e.refusedBy());
            assertEquals(1, pool.limitRefusals(), "counted once, by the arena that asked");
            held.forEach(pool::free);
        }
    }

    /**
     * 4 threads on 3 arenas: random sizes, each chunk stamped with its own pattern and checked before it is freed;
     * a third of the chunks are handed to another thread to free. No pattern is lost (no overlap), every chunk comes
     * back (in use 0, no live chunk), and every arena's bookkeeping holds.
     */
    @Test
    void contendedStressKeepsEveryChunksPattern() throws Exception {
        int threads = 4;
        int steps = 4000;
        ConcurrentLinkedQueue<MemoryChunk> handedOver = new ConcurrentLinkedQueue<>();
        AtomicLong allocated = new AtomicLong();
        AtomicLong freed = new AtomicLong();
        try (StripedBufferAllocator pool = pool(3)) {
            ExecutorService workers = Executors.newFixedThreadPool(threads);
            CyclicBarrier start = new CyclicBarrier(threads);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    long seed = 17L * (t + 1);
                    done.add(workers.submit(() -> {
                        SplittableRandom random = new SplittableRandom(seed);
                        List<MemoryChunk> mine = new ArrayList<>();
                        start.await();
                        for (int step = 0; step < steps; step++) {
                            int kind = random.nextInt(10);
                            if (kind < 5 || mine.isEmpty()) {
                                MemoryChunk chunk = pool.alloc(8 + random.nextInt(20_000));
                                stamp(chunk);
                                mine.add(chunk);
                                allocated.incrementAndGet();
                            } else if (kind < 8) {
                                MemoryChunk chunk = mine.remove(random.nextInt(mine.size()));
                                verify(chunk);
                                pool.free(chunk);
                                freed.incrementAndGet();
                            } else if (kind < 9) {
                                handedOver.add(mine.remove(random.nextInt(mine.size())));
                            } else {
                                MemoryChunk theirs = handedOver.poll();
                                if (theirs != null) {
                                    verify(theirs);
                                    pool.free(theirs);
                                    freed.incrementAndGet();
                                }
                            }
                        }
                        for (MemoryChunk chunk : mine) {
                            verify(chunk);
                            pool.free(chunk);
                            freed.incrementAndGet();
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                workers.shutdownNow();
            }
            for (MemoryChunk chunk; (chunk = handedOver.poll()) != null; ) {
                verify(chunk);
                pool.free(chunk);
                freed.incrementAndGet();
            }
            assertEquals(allocated.get(), freed.get());
            assertEquals(0, pool.stats().inUse(), "no chunk lost");
            assertTrue(pool.liveChunks().isEmpty());
            assertEquals(allocated.get(), pool.stats().allocations());
            pool.checkInvariants();
            assertEquals(pool.totalSize(), pool.budget().reserved(), "the arenas' blocks are all in the budget");
            pool.trim();
            assertEquals(0, pool.totalSize(), "nothing stranded: every block can go back");
        }
    }
}
