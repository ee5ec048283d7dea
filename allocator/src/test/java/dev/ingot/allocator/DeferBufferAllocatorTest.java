package dev.ingot.allocator;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeferBufferAllocatorTest {

    private static DeferBufferAllocator planner() {
        return new DeferBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withName("plan").withChecked(true));
    }

    private static boolean overlap(MemoryChunk a, MemoryChunk b) {
        return a.address() < b.address() + b.size() && b.address() < a.address() + a.size();
    }

    @Test
    void touchingAChunkBeforeApplyIsAClearStateError() {
        try (DeferBufferAllocator planner = planner()) {
            MemoryChunk chunk = planner.alloc(128);
            IllegalStateException e = assertThrows(IllegalStateException.class, chunk::segment);
            assertTrue(e.getMessage().contains("apply()"), e.getMessage());
            assertTrue(e.getMessage().contains("chunk#" + chunk.id()), e.getMessage());
            assertThrows(IllegalStateException.class, chunk::address);
            planner.compute();
            assertThrows(IllegalStateException.class, chunk::segment);
            planner.apply();
            assertEquals(128, chunk.segment().byteSize());
        }
    }

    @Test
    void chunksWithDisjointLifetimesShareMemoryAndOverlappingOnesDoNot() {
        try (DeferBufferAllocator planner = planner()) {
            MemoryChunk a = planner.alloc(1000);
            MemoryChunk b = planner.alloc(1000);
            planner.free(a);
            MemoryChunk c = planner.alloc(1000); // a is dead: c may take its place
            planner.free(b);
            planner.free(c);

            assertEquals(2048, planner.compute());
            assertEquals(2048, planner.lowerBound());
            planner.apply();
            assertEquals(a.address(), c.address());
            assertFalse(overlap(a, b));
            assertFalse(overlap(b, c));
            assertEquals(2048, planner.totalSize());
        }
    }

    @Test
    void freedChunksKeepTheirMemoryAfterApply() {
        try (DeferBufferAllocator planner = planner()) {
            MemoryChunk a = planner.alloc(64);
            planner.free(a);
            planner.apply();
            a.segment().set(ValueLayout.JAVA_LONG, 0, 99L);
            assertEquals(99L, a.segment().get(ValueLayout.JAVA_LONG, 0));
            assertFalse(a.isLive());
        }
    }

    @Test
    void computeDoesNotRequireEverythingFreed() {
        try (DeferBufferAllocator planner = planner()) {
            MemoryChunk kept = planner.alloc(512); // never freed: lives to the end
            MemoryChunk temp = planner.alloc(256);
            planner.free(temp);
            MemoryChunk late = planner.alloc(256);
            planner.apply();
            assertFalse(overlap(kept, temp));
            assertFalse(overlap(kept, late));
            assertEquals(768, planner.plannedSize());
            assertEquals(768, planner.lowerBound());
            kept.segment().fill((byte) 1);
            late.segment().fill((byte) 2);
            assertEquals(1, kept.segment().get(ValueLayout.JAVA_BYTE, 511));
        }
    }

    @Test
    void alignmentIsHonouredInsideThePlan() {
        try (DeferBufferAllocator planner = planner()) {
            planner.alloc(10, 1);
            MemoryChunk[] chunks = new MemoryChunk[13];
            for (int i = 0; i < chunks.length; i++) {
                chunks[i] = planner.alloc(24 + i, 1L << i);
            }
            planner.apply();
            for (int i = 0; i < chunks.length; i++) {
                assertEquals(0, chunks[i].address() % (1L << i), chunks[i].toString());
                assertEquals(0, chunks[i].segment().address() % (1L << i));
            }
        }
    }

    @Test
    void allocSeparateNeverSharesBytes() {
        try (DeferBufferAllocator planner = planner()) {
            MemoryChunk separate = planner.allocSeparate(1024);
            planner.free(separate);
            MemoryChunk later = planner.alloc(1024);
            planner.apply();
            assertFalse(overlap(separate, later));
        }
    }

    @Test
    void resetRevokesTheOldPlanAndAllowsANewOne() {
        try (DeferBufferAllocator planner = planner()) {
            MemoryChunk old = planner.alloc(256);
            planner.apply();
            MemorySegment oldSegment = old.segment();
            planner.reset();
            assertEquals(0, planner.totalSize());
            assertThrows(IllegalStateException.class, old::segment);
            assertThrows(IllegalStateException.class, () -> oldSegment.get(ValueLayout.JAVA_BYTE, 0));
            assertThrows(IllegalStateException.class, () -> planner.free(old));
            assertThrows(IllegalStateException.class, planner::plannedSize);

            MemoryChunk fresh = planner.alloc(4096);
            planner.apply();
            assertEquals(4096, planner.plannedSize());
            fresh.segment().fill((byte) 1);
            assertNotEquals(old.id(), fresh.id());
        }
    }

    @Test
    void allocAfterComputeIsAStateError() {
        try (DeferBufferAllocator planner = planner()) {
            planner.alloc(64);
            planner.compute();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> planner.alloc(64));
            assertTrue(e.getMessage().contains("reset()"), e.getMessage());
        }
    }

    @Test
    void doubleFreeAndForeignChunksAreRejected() {
        try (DeferBufferAllocator planner = planner(); DeferBufferAllocator other = planner()) {
            MemoryChunk chunk = planner.alloc(64);
            planner.free(chunk);
            assertTrue(assertThrows(IllegalStateException.class, () -> planner.free(chunk)).getMessage()
                    .contains("double free of chunk#" + chunk.id()));
            MemoryChunk foreign = other.alloc(64);
            assertThrows(IllegalArgumentException.class, () -> planner.free(foreign));
        }
    }

    @Test
    void barrierDefersFreesToItsEnd() {
        try (DeferBufferAllocator planner = planner()) {
            planner.barrierBegin();
            MemoryChunk a = planner.alloc(1024);
            planner.free(a);
            MemoryChunk b = planner.alloc(1024); // a's free has not taken effect yet
            planner.barrierEnd();
            MemoryChunk c = planner.alloc(1024); // both a and b ... b is still alive, a is dead now
            planner.free(b);
            planner.free(c);
            planner.apply();
            assertFalse(overlap(a, b), "inside a barrier a freed chunk is not reused");
            assertEquals(a.address(), c.address());
            assertThrows(IllegalStateException.class, planner::barrierEnd);
        }
    }

    @Test
    void threadsPlanningInsideABarrierGetDisjointMemory() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        try (DeferBufferAllocator planner = planner()) {
            planner.barrierBegin();
            java.util.List<java.util.concurrent.Future<java.util.List<MemoryChunk>>> work = new java.util.ArrayList<>();
            for (int t = 0; t < 3; t++) {
                work.add(pool.submit(() -> {
                    java.util.List<MemoryChunk> mine = new java.util.ArrayList<>();
                    for (int i = 0; i < 20; i++) {
                        MemoryChunk chunk = planner.alloc(100 + 37 * i);
                        mine.add(chunk);
                        if (i % 2 == 1) {
                            planner.free(chunk); // takes effect only at barrierEnd
                        }
                    }
                    return mine;
                }));
            }
            java.util.List<MemoryChunk> all = new java.util.ArrayList<>();
            for (var future : work) {
                all.addAll(future.get(60, java.util.concurrent.TimeUnit.SECONDS));
            }
            planner.barrierEnd();
            planner.apply();
            for (int i = 0; i < all.size(); i++) {
                for (int j = i + 1; j < all.size(); j++) {
                    assertFalse(overlap(all.get(i), all.get(j)), all.get(i) + " overlaps " + all.get(j));
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void statsReportThePlan() {
        try (DeferBufferAllocator planner = planner()) {
            MemoryChunk a = planner.alloc(100);
            planner.free(a);
            MemoryChunk b = planner.alloc(200);
            assertEquals(new AllocatorStats(200, 0, 0, 200, 2, 0), planner.stats());
            planner.apply();
            assertEquals(new AllocatorStats(200, 0, 256, 200, 2, 2), planner.stats());
            planner.free(b);
            assertEquals(0, planner.stats().inUse());
        }
    }

    @Test
    void closeFreesTheBlockAndReportsUnfreedChunks() {
        DeferBufferAllocator planner = planner();
        MemoryChunk kept = planner.alloc(300);
        MemoryChunk freed = planner.alloc(200);
        planner.free(freed);
        planner.apply();
        MemorySegment segment = kept.segment();
        planner.close();
        assertEquals(0, planner.totalSize());
        assertThrows(IllegalStateException.class, () -> segment.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> planner.alloc(64));
        assertThrows(IllegalStateException.class, planner::apply);
        LeakReport report = planner.liveChunks();
        assertEquals(1, report.chunks());
        assertEquals(300, report.bytes());
    }

    @Test
    void defaultConstructorPlansOnTheArena() {
        try (DeferBufferAllocator planner = new DeferBufferAllocator()) {
            MemoryChunk chunk = planner.alloc(64);
            planner.apply();
            chunk.segment().set(ValueLayout.JAVA_INT, 60, 1);
            assertTrue(planner.isApplied());
        }
    }

    @Test
    void aPlanWhoseChunksWouldTotalMoreThanLongMaxIsRefusedAndStaysExact() {
        long huge = Long.MAX_VALUE / 2;
        try (DeferBufferAllocator planner = planner()) {
            MemoryChunk a = planner.alloc(huge);
            AllocationLimitException e = assertThrows(AllocationLimitException.class, () -> planner.alloc(huge));
            assertTrue(e.getMessage().contains("Long.MAX_VALUE"), e.getMessage());
            assertEquals(huge, e.requested());
            MemoryChunk small = planner.alloc(1000); // the planner stays usable
            assertTrue(planner.lowerBound() > huge, "exact, not wrapped: " + planner.lowerBound());
            assertTrue(planner.compute() >= planner.lowerBound(), "a plan never below its bound");
            planner.reset();
            planner.alloc(huge); // after a reset the same request fits again
            assertFalse(a.isLive() || small.isLive());
        }
    }

    @Test
    void chunksThatNeverLiveTogetherStillCannotTotalPastLongMax() {
        long huge = Long.MAX_VALUE / 3;
        try (DeferBufferAllocator planner = planner()) {
            planner.free(planner.alloc(huge));
            planner.free(planner.alloc(huge));
            // The planner accounts every chunk of the plan, not only those alive at once: no placement of the plan
            // can then overflow, whatever order the planner tries.
            assertThrows(AllocationLimitException.class, () -> planner.alloc(huge));
            assertTrue(planner.compute() > 0);
        }
    }
}
