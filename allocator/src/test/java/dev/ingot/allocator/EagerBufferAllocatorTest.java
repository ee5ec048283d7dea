package dev.ingot.allocator;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class EagerBufferAllocatorTest {
    private static final long BLOCK = 64 * 1024;

    private static EagerBufferAllocator allocator() {
        return new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withName("test").withChecked(true).withMinBlockSize(BLOCK));
    }

    @Test
    void allocGivesExactSizeDefaultAlignmentAndUsableMemory() {
        try (EagerBufferAllocator allocator = allocator()) {
            MemoryChunk chunk = allocator.alloc(100);
            assertEquals(100, chunk.size());
            assertEquals(100, chunk.segment().byteSize());
            assertEquals(64, chunk.alignment());
            assertEquals(0, chunk.address() % 64);
            assertEquals(chunk.address(), chunk.segment().address());
            assertSame(allocator, chunk.owner());
            assertTrue(chunk.isLive());
            chunk.segment().set(ValueLayout.JAVA_BYTE, 99, (byte) 7);
            assertEquals(7, chunk.segment().get(ValueLayout.JAVA_BYTE, 99));
        }
    }

    @Test
    void everyAlignmentUpTo4096IsHonoured() {
        try (EagerBufferAllocator allocator = allocator()) {
            allocator.alloc(8, 1); // shifts later pieces so that alignment has work to do
            for (long alignment = 1; alignment <= BufferAllocator.MAX_ALIGNMENT; alignment <<= 1) {
                MemoryChunk chunk = allocator.alloc(40, alignment);
                assertEquals(0, chunk.address() % alignment, "alignment " + alignment);
                assertEquals(alignment, chunk.alignment());
            }
        }
    }

    @Test
    void badArgumentsAreRejectedWithTheirName() {
        try (EagerBufferAllocator allocator = allocator()) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> allocator.alloc(0)).getMessage()
                    .startsWith("size:"));
            assertThrows(IllegalArgumentException.class, () -> allocator.alloc(-5));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> allocator.alloc(64, 48)).getMessage()
                    .contains("alignment: expected a power of two"));
            assertThrows(IllegalArgumentException.class, () -> allocator.alloc(64, 8192));
            assertThrows(IllegalArgumentException.class, () -> allocator.alloc(64, 0));
            assertThrows(IllegalArgumentException.class, () -> allocator.free(null));
        }
    }

    @Test
    void bestFitPicksTheSmallestHoleThatHolds() {
        try (EagerBufferAllocator allocator = allocator()) {
            MemoryChunk big = allocator.alloc(1024);
            allocator.alloc(64); // separator
            MemoryChunk small = allocator.alloc(256);
            allocator.alloc(64); // separator
            long bigAddress = big.address();
            long smallAddress = small.address();
            allocator.free(big);
            allocator.free(small);

            MemoryChunk fitted = allocator.alloc(200);
            assertEquals(smallAddress, fitted.address(), "200 bytes belong in the 256-byte hole");
            MemoryChunk next = allocator.alloc(300);
            assertEquals(bigAddress, next.address(), "300 bytes only fit the 1024-byte hole");
        }
    }

    @Test
    void splitKeepsTheRemainderForLaterAllocations() {
        try (EagerBufferAllocator allocator = allocator()) {
            MemoryChunk first = allocator.alloc(1024);
            allocator.alloc(64); // keeps the hole from merging with the block's tail
            long start = first.address();
            allocator.free(first);
            long reservedBefore = allocator.totalSize();

            MemoryChunk a = allocator.alloc(256);
            MemoryChunk b = allocator.alloc(512);
            MemoryChunk c = allocator.alloc(256);
            assertEquals(start, a.address());
            assertEquals(start + 256, b.address());
            assertEquals(start + 768, c.address());
            assertEquals(reservedBefore, allocator.totalSize(), "no new block for pieces of a freed chunk");
        }
    }

    @Test
    void freedNeighboursMergeWhileTheBlockIsStillInUse() {
        try (EagerBufferAllocator allocator = allocator()) {
            MemoryChunk a = allocator.alloc(1024);
            MemoryChunk b = allocator.alloc(1024);
            MemoryChunk c = allocator.alloc(1024);
            MemoryChunk keeper = allocator.alloc(64); // keeps the block in use (MNN would not merge then)
            allocator.free(a);
            allocator.free(c);
            allocator.free(b);

            long reserved = allocator.totalSize();
            MemoryChunk merged = allocator.alloc(3072);
            assertEquals(a.address(), merged.address(), "a, b and c merged into one 3072-byte piece");
            assertEquals(reserved, allocator.totalSize());
            assertTrue(keeper.isLive());
        }
    }

    @Test
    void aBlockIsAtLeastTheMinimumSizeAndLargeRequestsGetTheirOwnSize() {
        try (EagerBufferAllocator allocator = allocator()) {
            allocator.alloc(100);
            assertEquals(BLOCK, allocator.totalSize());
            allocator.alloc(BLOCK + 1000);
            assertEquals(BLOCK + Sizes.footprint(BLOCK + 1000), allocator.totalSize());
        }
    }

    @Test
    void allocSeparateNeverReusesAndReturnsItsBlockOnFree() {
        try (EagerBufferAllocator allocator = allocator()) {
            MemoryChunk pooled = allocator.alloc(4096);
            long pooledAddress = pooled.address();
            allocator.free(pooled);
            long reserved = allocator.totalSize();

            MemoryChunk separate = allocator.allocSeparate(4096);
            assertNotEquals(pooledAddress, separate.address());
            assertEquals(reserved + 4096, allocator.totalSize());
            assertEquals(0, allocator.stats().reuses());
            allocator.free(separate);
            assertEquals(reserved, allocator.totalSize());
        }
    }

    @Test
    void releaseFalseReturnsOnlyWhollyFreeBlocks() {
        try (EagerBufferAllocator allocator = allocator()) {
            MemoryChunk kept = allocator.alloc(BLOCK); // block 1, full
            MemoryChunk dropped = allocator.alloc(BLOCK); // block 2, full
            allocator.free(dropped);
            assertEquals(2 * BLOCK, allocator.totalSize());

            allocator.release(false);
            assertEquals(BLOCK, allocator.totalSize());
            assertEquals(0, allocator.stats().pooled());
            kept.segment().fill((byte) 1);
            assertTrue(kept.isLive());
        }
    }

    @Test
    void maxPooledReturnsBlocksThatEmptyBeyondTheCap() {
        try (EagerBufferAllocator allocator = new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withMinBlockSize(BLOCK).withMaxPooled(2 * BLOCK))) {
            MemoryChunk a = allocator.alloc(BLOCK);
            MemoryChunk b = allocator.alloc(BLOCK);
            MemoryChunk c = allocator.alloc(100); // a third block, mostly free
            assertEquals(BLOCK - 128, allocator.stats().pooled());
            allocator.free(a);
            assertEquals(3 * BLOCK, allocator.totalSize(), "2 * BLOCK - 128 pooled is within the cap");
            allocator.free(b);
            assertEquals(2 * BLOCK, allocator.totalSize(), "3 * BLOCK - 128 is over the cap: one block goes back");
            assertEquals(2 * BLOCK - 128, allocator.stats().pooled());
            allocator.free(c);
            assertEquals(2 * BLOCK, allocator.totalSize(), "exactly at the cap: kept");
            assertEquals(2 * BLOCK, allocator.stats().pooled());
        }
    }

    @Test
    void maxPooledZeroReturnsEveryBlockAsSoonAsItEmpties() {
        try (EagerBufferAllocator allocator = new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withMinBlockSize(BLOCK).withMaxPooled(0))) {
            MemoryChunk a = allocator.alloc(100);
            MemoryChunk b = allocator.alloc(100);
            allocator.free(a);
            assertEquals(BLOCK, allocator.totalSize(), "b still holds the block");
            allocator.free(b);
            assertEquals(0, allocator.totalSize());
            assertThrows(IllegalArgumentException.class, () -> AllocatorOptions.defaults().withMaxPooled(-1));
        }
    }

    @Test
    void releaseTrueReturnsEverythingAndRevokesLiveChunks() {
        try (EagerBufferAllocator allocator = allocator()) {
            MemoryChunk chunk = allocator.alloc(128);
            MemorySegment kept = chunk.segment();
            allocator.release(true);
            assertEquals(0, allocator.totalSize());
            assertEquals(0, allocator.stats().inUse());
            assertFalse(chunk.isLive());
            assertThrows(IllegalStateException.class, chunk::segment);
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0));
            assertThrows(IllegalStateException.class, () -> allocator.free(chunk));
            MemoryChunk again = allocator.alloc(128); // still usable
            assertTrue(again.isLive());
        }
    }

    @Test
    void statsCountEveryByteAndEveryReuse() {
        try (EagerBufferAllocator allocator = allocator()) {
            MemoryChunk a = allocator.alloc(100); // footprint 128
            assertEquals(new AllocatorStats(100, BLOCK - 128, BLOCK, 100, 1, 0), allocator.stats());
            // The rest of the first block is in the free list: serving from it is a reuse.
            MemoryChunk b = allocator.alloc(1000); // footprint 1024
            assertEquals(new AllocatorStats(1100, BLOCK - 1152, BLOCK, 1100, 2, 1), allocator.stats());
            allocator.free(a);
            assertEquals(new AllocatorStats(1000, BLOCK - 1024, BLOCK, 1100, 2, 1), allocator.stats());
            MemoryChunk c = allocator.alloc(60);
            assertEquals(a.address(), c.address());
            assertEquals(new AllocatorStats(1060, BLOCK - 1088, BLOCK, 1100, 3, 2), allocator.stats());
            allocator.free(b);
            allocator.free(c);
            assertEquals(new AllocatorStats(0, BLOCK, BLOCK, 1100, 3, 2), allocator.stats());
            assertEquals(2.0 / 3, allocator.stats().reuseRate(), 1e-12);
        }
    }

    @Test
    void doubleFreeNamesTheChunk() {
        try (EagerBufferAllocator allocator = allocator()) {
            MemoryChunk chunk = allocator.alloc(64);
            allocator.free(chunk);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> allocator.free(chunk));
            assertTrue(e.getMessage().contains("double free"), e.getMessage());
            assertTrue(e.getMessage().contains("chunk#" + chunk.id()), e.getMessage());
            assertTrue(chunk.toString().contains("64 bytes") && chunk.toString().contains("'test'"));
        }
    }

    @Test
    void freeingAnotherAllocatorsChunkIsAnArgumentError() {
        try (EagerBufferAllocator one = allocator(); EagerBufferAllocator other = allocator()) {
            MemoryChunk chunk = one.alloc(64);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> other.free(chunk));
            assertTrue(e.getMessage().contains("chunk#" + chunk.id()), e.getMessage());
            assertTrue(chunk.isLive(), "the refused free changed nothing");
            one.free(chunk);
        }
    }

    @Test
    void checkedModeTurnsUseAfterFreeIntoAnException() {
        // A batch of one closes the chunk's scope at free (batches: CheckBatchTest).
        try (EagerBufferAllocator allocator = new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withChecked(true).withCheckBatch(1).withMinBlockSize(BLOCK))) {
            MemoryChunk chunk = allocator.alloc(64);
            MemorySegment kept = chunk.segment();
            allocator.free(chunk);
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_INT, 0));
            assertThrows(IllegalStateException.class, () -> kept.set(ValueLayout.JAVA_INT, 0, 1));
            IllegalStateException e = assertThrows(IllegalStateException.class, chunk::segment);
            assertTrue(e.getMessage().contains("freed"), e.getMessage());
            assertFalse(chunk.isLive());
        }
    }

    @Test
    void checkedChunksWorkFromForkJoinWorkers() throws Exception {
        try (EagerBufferAllocator allocator = allocator()) {
            MemoryChunk chunk = allocator.alloc(256);
            ForkJoinPool.commonPool().submit(() -> chunk.segment().fill((byte) 3)).get(30, TimeUnit.SECONDS);
            assertEquals(3, chunk.segment().get(ValueLayout.JAVA_BYTE, 255));
            MemoryChunk fromWorker = ForkJoinPool.commonPool().submit(() -> allocator.alloc(64))
                    .get(30, TimeUnit.SECONDS);
            fromWorker.segment().set(ValueLayout.JAVA_LONG, 0, 42L);
            ForkJoinPool.commonPool().submit(() -> allocator.free(fromWorker)).get(30, TimeUnit.SECONDS);
            assertFalse(fromWorker.isLive());
        }
    }

    @Test
    void fastModeDetectsLateSegmentCallsAndAccessAfterTheBlockIsGone() {
        try (EagerBufferAllocator allocator = new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withChecked(false).withMinBlockSize(BLOCK))) {
            MemoryChunk chunk = allocator.alloc(64);
            MemorySegment kept = chunk.segment();
            kept.set(ValueLayout.JAVA_INT, 0, 5);
            allocator.free(chunk);
            assertThrows(IllegalStateException.class, chunk::segment);
            // Documented limit of fast mode: the pool's memory stays reachable until its block goes back.
            assertEquals(5, kept.get(ValueLayout.JAVA_INT, 0));
            allocator.release(false);
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_INT, 0));
        }
    }

    @Test
    void modeComesFromTheSystemPropertyByDefault() {
        assertEquals(Boolean.getBoolean(AllocatorOptions.CHECKED_PROPERTY), AllocatorOptions.defaults().checked());
        try (EagerBufferAllocator allocator = new EagerBufferAllocator()) {
            assertEquals(Boolean.getBoolean(AllocatorOptions.CHECKED_PROPERTY), allocator.options().checked());
            assertTrue(allocator.name().startsWith("eager-"));
        }
    }

    @Test
    void closeFreesEverythingAndLaterCallsFail() {
        EagerBufferAllocator allocator = allocator();
        MemoryChunk leaked = allocator.alloc(300);
        allocator.alloc(200);
        MemorySegment kept = leaked.segment();
        allocator.close();

        assertEquals(0, allocator.totalSize());
        assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> allocator.alloc(64));
        assertTrue(e.getMessage().contains("closed"));
        assertThrows(IllegalStateException.class, () -> allocator.allocSeparate(64));
        assertThrows(IllegalStateException.class, () -> allocator.free(leaked));
        LeakReport report = allocator.liveChunks();
        assertEquals(2, report.chunks());
        assertEquals(500, report.bytes());
        allocator.close(); // idempotent
        assertEquals(report, allocator.liveChunks());
    }

    @Test
    void aFreedHandleStaysFreedWhenItsMemoryIsHandedOutAgain() {
        for (boolean checked : new boolean[] {false, true}) {
            try (EagerBufferAllocator allocator = new EagerBufferAllocator(SegmentSource.arena(),
                    AllocatorOptions.defaults().withChecked(checked).withMinBlockSize(BLOCK))) {
                MemoryChunk first = allocator.alloc(1000);
                long address = first.address();
                allocator.free(first);
                MemoryChunk second = allocator.alloc(1000);
                assertEquals(address, second.address(), "the same place is reused");
                assertNotEquals(first.id(), second.id());

                IllegalStateException e = assertThrows(IllegalStateException.class, () -> allocator.free(first));
                assertTrue(e.getMessage().contains("double free of chunk#" + first.id()), e.getMessage());
                assertThrows(IllegalStateException.class, first::segment);
                assertFalse(first.isLive());
                assertTrue(second.isLive(), "the stale free did not touch the new chunk");
                second.segment().set(ValueLayout.JAVA_BYTE, 999, (byte) 7);
                assertEquals(1000, allocator.stats().inUse());
                allocator.free(second);
                assertEquals(0, allocator.stats().inUse());
                allocator.checkInvariants();
            }
        }
    }

    @Test
    void aReusedPlaceGetsASliceOfTheNewSizeAndANewBlockNeverAnOldSlice() {
        try (EagerBufferAllocator allocator = new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withChecked(false).withMinBlockSize(BLOCK))) {
            MemoryChunk first = allocator.alloc(1000);
            MemorySegment firstSegment = first.segment();
            allocator.free(first);
            MemoryChunk same = allocator.alloc(1000);
            assertEquals(firstSegment, same.segment(), "same place, same size: the same memory");
            allocator.free(same);
            MemoryChunk smaller = allocator.alloc(900);
            assertEquals(first.address(), smaller.address());
            assertEquals(900, smaller.segment().byteSize());
            allocator.free(smaller);

            allocator.release(false); // the block goes back; its arena is closed
            assertEquals(0, allocator.totalSize());
            MemoryChunk fresh = allocator.alloc(1000);
            fresh.segment().set(ValueLayout.JAVA_BYTE, 999, (byte) 1); // must not be a slice of the closed block
            assertEquals(1, fresh.segment().get(ValueLayout.JAVA_BYTE, 999));
            assertThrows(IllegalStateException.class, () -> firstSegment.get(ValueLayout.JAVA_BYTE, 0));
            allocator.free(fresh);
        }
    }

    /**
     * Alloc and free of a reused size make no garbage of the pool's own: only the chunk handle (64 bytes; the
     * segment slice of the place is reused), where tree nodes, placement records and set entries once made over 600.
     */
    @Test
    void fastModeAllocAndFreeMakeOnlyTheHandleAndItsSlice() throws ReflectiveOperationException {
        // Reached by reflection: the allocator module (which the tests are patched into) does not read
        // java.management, and should not just for a test.
        Object threads = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean")
                .invoke(null);
        Class<?> extended = Class.forName("com.sun.management.ThreadMXBean");
        assumeTrue(extended.isInstance(threads), "no per-thread allocation counter on this JVM");
        java.lang.reflect.Method allocatedBytes = extended.getMethod("getCurrentThreadAllocatedBytes");
        try (EagerBufferAllocator allocator = new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withChecked(false).withTrackAllocations(false)
                        .withMinBlockSize(BLOCK))) {
            MemoryChunk neighbour = allocator.alloc(100); // so that each free merges with a free neighbour
            int rounds = 20_000;
            allocFree(allocator, rounds); // warm up
            long before = (long) allocatedBytes.invoke(threads);
            allocFree(allocator, rounds);
            long perOp = ((long) allocatedBytes.invoke(threads) - before) / rounds;
            assertTrue(perOp <= 96, "alloc + free made " + perOp + " bytes of garbage");
            allocator.free(neighbour);
        }
    }

    private static void allocFree(EagerBufferAllocator allocator, int rounds) {
        for (int i = 0; i < rounds; i++) {
            allocator.free(allocator.alloc(4096));
        }
    }

    @Test
    void sampledChecksCatchAUseAfterFreeOnTheSampledChunks() {
        try (EagerBufferAllocator pool = new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withChecked(false).withSampledChecks(4).withCheckBatch(1))) {
            int caught = 0;
            int chunks = 200;
            for (int i = 0; i < chunks; i++) {
                MemoryChunk chunk = pool.alloc(256);
                MemorySegment kept = chunk.segment();
                pool.free(chunk);
                try {
                    kept.set(ValueLayout.JAVA_INT, 0, i);
                } catch (IllegalStateException useAfterFree) {
                    caught++;
                }
            }
            // One in four is sampled: P(none of 200) and P(all of 200) are below 1e-24.
            assertTrue(caught > 0 && caught < chunks, caught + " of " + chunks + " uses after free caught");
        }
        try (EagerBufferAllocator everyChunk = new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withChecked(false).withSampledChecks(1).withCheckBatch(1))) {
            MemoryChunk chunk = everyChunk.alloc(256);
            MemorySegment kept = chunk.segment();
            everyChunk.free(chunk);
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_INT, 0));
        }
    }
}
