package dev.ingot.allocator;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One planning contract for both allocators: a round's chunks, freed or not, keep their memory until it ends. */
class PlanningRoundTest {

    private static BufferAllocator allocator(String kind, AllocatorOptions options) {
        return kind.equals("eager") ? new EagerBufferAllocator(SegmentSource.arena(), options)
                : new DeferBufferAllocator(SegmentSource.arena(), options);
    }

    private static AllocatorOptions options() {
        // maxPooled 0: outside a round, a block that empties goes back at once; a round must hold it anyway.
        return AllocatorOptions.defaults().withChecked(true).withMinBlockSize(64 * 1024).withMaxPooled(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"eager", "defer"})
    void freedChunksOfARoundKeepTheirMemoryUntilItEndsAndShareItWithLaterOnes(String kind) {
        try (BufferAllocator allocator = allocator(kind, options())) {
            allocator.beginRound();
            MemoryChunk a = allocator.alloc(4096);
            allocator.free(a);
            MemoryChunk b = allocator.alloc(4096); // lifetimes do not overlap: b may reuse a's memory
            MemoryChunk separate = allocator.allocSeparate(10_000);
            allocator.free(separate);
            allocator.apply();
            assertEquals(a.address(), b.address(), "the round reuses freed memory");
            // a, freed, still has its memory; so does the freed separate chunk.
            a.segment().set(ValueLayout.JAVA_INT, 0, 7);
            separate.segment().fill((byte) 1);
            assertEquals(7, b.segment().get(ValueLayout.JAVA_INT, 0));
            assertTrue(allocator.compute() >= 4096 + 10_048, "the round's peak: " + allocator.compute());
            MemorySegment keptA = a.segment();
            MemorySegment keptSeparate = separate.segment();
            allocator.free(b);

            allocator.beginRound(); // ends the previous round
            assertThrows(IllegalStateException.class, a::segment);
            assertThrows(IllegalStateException.class, () -> keptA.get(ValueLayout.JAVA_INT, 0));
            assertThrows(IllegalStateException.class, () -> keptSeparate.get(ValueLayout.JAVA_BYTE, 0));
            allocator.endRound();
            if (allocator instanceof EagerBufferAllocator eager) {
                eager.checkInvariants();
                assertEquals(0, eager.totalSize(), "maxPooled 0 applies once the round ended");
            }
        }
    }

    @Test
    void anEagerRoundKeepsItsBlocksFromGoingBackWhateverThePolicy() {
        try (EagerBufferAllocator pool = new EagerBufferAllocator(SegmentSource.arena(), options())) {
            pool.beginRound();
            MemoryChunk a = pool.alloc(1000);
            pool.free(a);
            assertEquals(64 * 1024, pool.totalSize(), "maxPooled 0 waits for the end of the round");
            pool.release(false);
            assertEquals(64 * 1024, pool.totalSize(), "even release(false) keeps a block a round still needs");
            a.segment().fill((byte) 3);
            pool.endRound();
            assertEquals(0, pool.totalSize());
            pool.checkInvariants();
        }
    }

    @Test
    void releaseAllAndCloseRevokeTheRoundsFreedChunksToo() {
        EagerBufferAllocator pool = new EagerBufferAllocator(SegmentSource.arena(), options());
        pool.beginRound();
        MemoryChunk a = pool.alloc(1000);
        MemorySegment kept = a.segment();
        pool.free(a);
        pool.release(true);
        assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0));
        pool.beginRound();
        MemoryChunk b = pool.alloc(1000);
        MemorySegment keptB = b.segment();
        pool.free(b);
        pool.close();
        assertThrows(IllegalStateException.class, () -> keptB.get(ValueLayout.JAVA_BYTE, 0));
        assertFalse(b.isLive());
    }

    @Test
    void outsideARoundTheEagerPoolRevokesAtFreeAsBefore() {
        try (EagerBufferAllocator pool = new EagerBufferAllocator(SegmentSource.arena(), options())) {
            MemoryChunk a = pool.alloc(1000);
            pool.free(a);
            assertThrows(IllegalStateException.class, a::segment);
            assertEquals(0, pool.totalSize());
            pool.beginRound();
            pool.endRound();
            pool.endRound(); // idempotent
        }
    }
}
