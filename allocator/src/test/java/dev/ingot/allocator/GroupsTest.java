package dev.ingot.allocator;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class GroupsTest {

    private static EagerBufferAllocator allocator() {
        return new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withName("groups").withMinBlockSize(64 * 1024));
    }

    @Test
    void aGroupKeepsItsFreedMemoryFromOtherThreadsUntilTheBarrierEnds() throws Exception {
        ExecutorService other = Executors.newSingleThreadExecutor();
        try (EagerBufferAllocator allocator = allocator()) {
            allocator.barrierBegin();
            allocator.beginGroup();
            MemoryChunk mine = allocator.alloc(4096);
            long address = mine.address();
            allocator.free(mine); // goes to this thread's private list

            long otherAddress = CompletableFuture.supplyAsync(() -> {
                allocator.beginGroup();
                MemoryChunk theirs = allocator.alloc(4096);
                allocator.endGroup();
                return theirs.address();
            }, other).get(30, TimeUnit.SECONDS);
            assertNotEquals(address, otherAddress, "another group must not take this group's freed memory");

            assertEquals(address, allocator.alloc(4096).address(), "the group reuses its own freed memory");
            MemoryChunk again = allocator.alloc(4096);
            allocator.free(again);
            allocator.endGroup();
            allocator.barrierEnd();

            assertEquals(again.address(), allocator.alloc(4096).address(),
                    "after the barrier the group's pieces are in the shared list");
        } finally {
            other.shutdownNow();
        }
    }

    @Test
    void barrierEndMergesGroupPiecesWithTheirNeighbours() {
        try (EagerBufferAllocator allocator = allocator()) {
            MemoryChunk a = allocator.alloc(1024);
            MemoryChunk b = allocator.alloc(1024);
            allocator.barrierBegin();
            allocator.beginGroup();
            allocator.free(b); // private piece next to the shared tail of the block
            allocator.endGroup();
            allocator.free(a); // shared list
            allocator.barrierEnd();
            allocator.release(false);
            assertEquals(0, allocator.totalSize(), "the block is one free piece again, so it can go back");
        }
    }

    @Test
    void plannersInParallelWithinABarrierNeverShareLiveMemory() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try (EagerBufferAllocator allocator = allocator()) {
            allocator.barrierBegin();
            List<Future<List<MemoryChunk>>> plans = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int seed = t;
                plans.add(pool.submit(() -> planInGroup(allocator, seed)));
            }
            List<MemoryChunk> kept = new ArrayList<>();
            for (Future<List<MemoryChunk>> plan : plans) {
                kept.addAll(plan.get(60, TimeUnit.SECONDS));
            }
            allocator.barrierEnd();
            EagerAllocatorPropertyTest.assertNoOverlap(kept);
            kept.forEach(EagerAllocatorPropertyTest::verify);
            kept.forEach(allocator::free);
            assertEquals(0, allocator.stats().inUse());
        } finally {
            pool.shutdownNow();
        }
    }

    /** A planning thread: allocates and frees in its own group, returns the chunks it keeps. */
    private static List<MemoryChunk> planInGroup(EagerBufferAllocator allocator, int seed) {
        java.util.Random random = new java.util.Random(seed);
        allocator.beginGroup();
        List<MemoryChunk> kept = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            MemoryChunk chunk = allocator.alloc(1 + random.nextInt(3000));
            EagerAllocatorPropertyTest.fill(chunk);
            if (random.nextBoolean()) {
                kept.add(chunk);
            } else {
                EagerAllocatorPropertyTest.verify(chunk);
                allocator.free(chunk);
            }
        }
        allocator.endGroup();
        return kept;
    }

    @Test
    void groupLifecycleErrorsAreStateErrors() {
        try (EagerBufferAllocator allocator = allocator()) {
            assertThrows(IllegalStateException.class, allocator::beginGroup);
            assertThrows(IllegalStateException.class, allocator::endGroup);
            assertThrows(IllegalStateException.class, allocator::barrierEnd);
            allocator.barrierBegin();
            assertThrows(IllegalStateException.class, allocator::barrierBegin);
            allocator.beginGroup();
            assertThrows(IllegalStateException.class, allocator::beginGroup);
            assertThrows(IllegalStateException.class, allocator::barrierEnd);
            allocator.endGroup();
            allocator.barrierEnd();
        }
    }

    @Test
    void groupPiecesCountAsPooled() {
        try (EagerBufferAllocator allocator = allocator()) {
            allocator.barrierBegin();
            allocator.beginGroup();
            allocator.free(allocator.alloc(1024));
            allocator.endGroup();
            AllocatorStats stats = allocator.stats();
            assertEquals(0, stats.inUse());
            assertEquals(stats.reserved(), stats.pooled());
            allocator.barrierEnd();
            assertEquals(stats.pooled(), allocator.stats().pooled());
        }
    }

    @Test
    void aThreadThatDiesInsideItsGroupDoesNotWedgeTheAllocator() throws Exception {
        try (EagerBufferAllocator allocator = allocator()) {
            allocator.barrierBegin();
            long[] freedAddress = new long[1];
            Thread planner = new Thread(() -> {
                allocator.beginGroup();
                MemoryChunk chunk = allocator.alloc(4096);
                freedAddress[0] = chunk.address();
                allocator.free(chunk); // into the group's private list
                throw new IllegalStateException("planning failed"); // dies without endGroup()
            });
            planner.setUncaughtExceptionHandler((t, e) -> { });
            planner.start();
            planner.join(30_000);
            assertEquals(false, planner.isAlive());

            allocator.barrierEnd(); // the dead thread's group is ended and folded back
            allocator.checkInvariants();
            AllocatorStats stats = allocator.stats();
            assertEquals(stats.reserved(), stats.pooled(), "the dead group's memory is pooled, not stranded");
            assertEquals(freedAddress[0], allocator.alloc(4096).address(), "and reused from the shared list");
            allocator.barrierBegin(); // the next planning round opens normally
            allocator.barrierEnd();
        }
    }
}
