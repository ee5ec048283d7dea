package dev.ingot.allocator;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
}
