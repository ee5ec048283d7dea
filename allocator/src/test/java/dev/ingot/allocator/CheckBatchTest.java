package dev.ingot.allocator;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checked chunks that share a scope per batch: a freed chunk's handle refuses at once, a segment kept from it
 * reaches only its own quarantined memory until the batch's scope closes and throws from then on, and the
 * quarantine is counted, bounded and handed back when the scope closes.
 */
class CheckBatchTest {
    private static final long BLOCK = 64 * 1024;

    private static EagerBufferAllocator pool(int batch) {
        return new EagerBufferAllocator(SegmentSource.arena(), AllocatorOptions.defaults().withName("batched")
                .withChecked(true).withCheckBatch(batch).withMinBlockSize(BLOCK));
    }

    @Test
    void aFreedChunkIsQuarantinedUntilItsBatchClosesAndThenEveryKeptSegmentThrows() throws Exception {
        try (EagerBufferAllocator pool = pool(4)) {
            MemoryChunk a = pool.alloc(1000);
            MemorySegment kept = a.segment();
            kept.set(ValueLayout.JAVA_INT, 0, 42);
            pool.free(a);
            assertThrows(IllegalStateException.class, a::segment, "the handle refuses at once");
            assertEquals(42, kept.get(ValueLayout.JAVA_INT, 0), "the kept segment still reaches a's own memory");
            assertEquals(1024, pool.stats().quarantined());
            MemoryChunk b = pool.alloc(1000); // joins a's batch
            assertNotEquals(a.address(), b.address(), "quarantined memory is not handed out again");
            pool.checkInvariants();

            pool.flushChecks(); // seals the batch, but b is live: its scope cannot close under b
            assertEquals(42, kept.get(ValueLayout.JAVA_INT, 0));
            pool.free(b); // the sealed batch's last chunk: one close revokes a and b
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_INT, 0));
            assertThrows(IllegalStateException.class, () -> kept.set(ValueLayout.JAVA_INT, 0, 1));
            assertEquals(0, pool.stats().quarantined());
            assertEquals(BLOCK, pool.stats().pooled(), "all of it free again, merged into one piece");

            MemoryChunk c = pool.alloc(1000); // a new batch
            MemorySegment keptC = c.segment();
            pool.free(c);
            keptC.get(ValueLayout.JAVA_INT, 0);
            pool.flushChecks(); // nothing live in it: closes now
            assertThrows(IllegalStateException.class, () -> keptC.get(ValueLayout.JAVA_INT, 0));
            assertEquals(0, pool.stats().quarantined());
            pool.checkInvariants();
        }
    }

    @Test
    void aFullBatchClosesWhenItsLastChunkIsFreedWithoutAFlush() throws Exception {
        try (EagerBufferAllocator pool = pool(3)) {
            List<MemoryChunk> chunks = new ArrayList<>();
            List<MemorySegment> kept = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                chunks.add(pool.alloc(500));
                kept.add(chunks.get(i).segment());
            }
            pool.free(chunks.get(0));
            pool.free(chunks.get(1));
            assertEquals(7, kept.get(0).fill((byte) 7).get(ValueLayout.JAVA_BYTE, 499), "not closed yet");
            assertEquals(1024, pool.stats().quarantined());
            pool.free(chunks.get(2)); // the batch is full and now wholly freed: one close revokes all three
            for (MemorySegment segment : kept) {
                assertThrows(IllegalStateException.class, () -> segment.get(ValueLayout.JAVA_BYTE, 0));
            }
            assertEquals(0, pool.stats().quarantined());
            assertEquals(BLOCK, pool.stats().pooled());
        }
    }

    @Test
    void aLiveChunkKeepsItsBatchOpenAndItsFreedNeighboursQuarantined() throws Exception {
        try (EagerBufferAllocator pool = pool(8)) {
            MemoryChunk longLived = pool.alloc(100);
            MemoryChunk shortLived = pool.alloc(100);
            MemorySegment kept = shortLived.segment();
            pool.free(shortLived);
            pool.flushChecks();
            assertEquals(0, kept.get(ValueLayout.JAVA_BYTE, 0), "a batch with a live chunk cannot close");
            assertEquals(128, pool.stats().quarantined());
            MemoryChunk next = pool.alloc(100);
            assertNotEquals(shortLived.address(), next.address());
            pool.free(longLived);
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(0, pool.stats().quarantined());
            pool.free(next);
            pool.checkInvariants();
        }
    }

    @Test
    void aBatchOfOneClosesAtFree() throws Exception {
        try (EagerBufferAllocator pool = pool(1)) {
            MemoryChunk chunk = pool.alloc(64);
            MemorySegment kept = chunk.segment();
            pool.free(chunk);
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_INT, 0));
            assertEquals(0, pool.stats().quarantined());
        }
    }

    @Test
    void aBatchIsAlsoBoundedInBytes() throws Exception {
        // 2 chunks of a block each fill the byte bound (batch * minBlockSize = 2 blocks) before the count of 2.
        try (EagerBufferAllocator pool = new EagerBufferAllocator(SegmentSource.arena(), AllocatorOptions.defaults()
                .withChecked(true).withCheckBatch(2).withMinBlockSize(4096))) {
            MemoryChunk big = pool.alloc(8192);
            MemorySegment kept = big.segment();
            pool.free(big); // 8192 bytes = the byte bound: the batch was sealed at alloc, and now it closes
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(0, pool.stats().quarantined());
        }
    }

    @Test
    void trimReleaseAndCloseCloseTheQuarantine() {
        EagerBufferAllocator pool = pool(16);
        MemoryChunk a = pool.alloc(BLOCK);
        MemorySegment keptA = a.segment();
        pool.free(a);
        assertEquals(BLOCK, pool.totalSize(), "quarantined: the block cannot go back yet");
        pool.trim();
        assertThrows(IllegalStateException.class, () -> keptA.get(ValueLayout.JAVA_BYTE, 0));
        assertEquals(0, pool.totalSize(), "trim closed the batch, then gave the emptied block back");

        MemoryChunk b = pool.alloc(100);
        MemorySegment keptB = b.segment();
        pool.free(b);
        MemoryChunk c = pool.alloc(100);
        MemorySegment keptC = c.segment();
        pool.release(true);
        assertThrows(IllegalStateException.class, () -> keptB.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> keptC.get(ValueLayout.JAVA_BYTE, 0));
        assertEquals(0, pool.stats().quarantined());
        assertEquals(0, pool.totalSize());

        MemoryChunk d = pool.alloc(100);
        MemorySegment keptD = d.segment();
        pool.free(d);
        pool.close();
        assertThrows(IllegalStateException.class, () -> keptD.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void atTheLimitTheQuarantineIsClosedBeforeARefusal() {
        try (EagerBufferAllocator pool = new EagerBufferAllocator(SegmentSource.arena(), AllocatorOptions.defaults()
                .withChecked(true).withCheckBatch(16).withMinBlockSize(4096).withLimit(4096))) {
            MemoryChunk a = pool.alloc(4096);
            MemorySegment kept = a.segment();
            pool.free(a);
            MemoryChunk b = pool.alloc(4096); // only a's quarantined memory is left under the limit
            assertEquals(4096, pool.totalSize());
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0));
            pool.free(b);
        }
    }

    @Test
    void aRoundsChunksKeepScopesOfTheirOwnClosedWhenTheRoundEnds() throws Exception {
        try (EagerBufferAllocator pool = pool(8)) {
            MemoryChunk before = pool.alloc(100);
            pool.beginRound();
            MemoryChunk inRound = pool.alloc(100);
            MemorySegment kept = inRound.segment();
            pool.free(inRound);
            MemoryChunk reusing = pool.alloc(100);
            assertEquals(inRound.address(), reusing.address(), "a round reuses its freed memory at once");
            kept.get(ValueLayout.JAVA_BYTE, 0); // and the freed chunk keeps it until the round ends
            MemorySegment keptBefore = before.segment();
            pool.free(before); // allocated before the round: quarantined like any batched chunk
            assertNotEquals(before.address(), pool.alloc(100).address());
            pool.endRound();
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0));
            pool.release(true);
            assertThrows(IllegalStateException.class, () -> keptBefore.get(ValueLayout.JAVA_BYTE, 0));
        }
    }

    @Test
    void sampledChecksCatchAUseAfterFreeInASampledChunkOnceItsBatchCloses() {
        try (EagerBufferAllocator pool = new EagerBufferAllocator(SegmentSource.arena(), AllocatorOptions.defaults()
                .withChecked(false).withSampledChecks(4).withCheckBatch(8))) {
            int chunks = 200;
            List<MemorySegment> kept = new ArrayList<>();
            for (int i = 0; i < chunks; i++) {
                MemoryChunk chunk = pool.alloc(256);
                kept.add(chunk.segment());
                pool.free(chunk);
            }
            pool.flushChecks();
            int caught = 0;
            for (MemorySegment segment : kept) {
                try {
                    segment.set(ValueLayout.JAVA_INT, 0, 1);
                } catch (IllegalStateException useAfterFree) {
                    caught++;
                }
            }
            // One in four is sampled: P(none of 200) and P(all of 200) are below 1e-24.
            assertTrue(caught > 0 && caught < chunks, caught + " of " + chunks + " uses after free caught");
            assertEquals(0, pool.stats().quarantined());
            assertFalse(pool.stats().pooled() < pool.totalSize(), "nothing stays quarantined after the flush");
        }
    }
}
