package dev.ingot.allocator;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LimitTest {

    @Test
    void refusalCarriesRequestInUseAndLimitAndChangesNothing() {
        try (EagerBufferAllocator allocator = new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withName("capped").withMinBlockSize(1 << 20))) {
            allocator.limit(4096);
            assertEquals(4096, allocator.limit());
            MemoryChunk small = allocator.alloc(1000); // the 1 MiB block would pass the limit: an exact block
            assertEquals(1024, allocator.totalSize());
            AllocatorStats before = allocator.stats();

            AllocationLimitException e = assertThrows(AllocationLimitException.class, () -> allocator.alloc(4000));
            assertEquals(4000, e.requested());
            assertEquals(1000, e.inUse());
            assertEquals(4096, e.limit());
            assertEquals(1024, e.reserved());
            assertTrue(e.getMessage().contains("4000 bytes"), e.getMessage());
            assertTrue(e.getMessage().contains("1000 bytes in use"), e.getMessage());
            assertTrue(e.getMessage().contains("limit 4096"), e.getMessage());
            assertTrue(e.getMessage().contains("'capped'"), e.getMessage());
            assertEquals(before, allocator.stats(), "a refusal leaves the accounting as it was");
            assertEquals(1, allocator.limitRefusals(), "but it is counted");

            allocator.free(small);
            MemoryChunk retry = allocator.alloc(4000); // usable afterwards: the free block was given back first
            assertEquals(4000, retry.size());
            assertEquals(4032, allocator.totalSize());
        }
    }

    @Test
    void pooledFreeBytesCountAgainstTheLimitUntilTrimmed() {
        try (EagerBufferAllocator allocator = new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withMinBlockSize(4096).withLimit(8192))) {
            MemoryChunk a = allocator.alloc(4096);
            MemoryChunk b = allocator.alloc(4096);
            allocator.free(a);
            assertEquals(8192, allocator.stats().reserved());
            // 8 KiB do not fit: a's free block is returned first, then the limit still refuses.
            assertThrows(AllocationLimitException.class, () -> allocator.alloc(8192));
            assertEquals(4096, allocator.totalSize(), "the wholly free block went back while trying");
            allocator.free(b);
            assertEquals(8192, allocator.alloc(8192).size());
        }
    }

    @Test
    void liftingTheLimitAllowsLargerAllocations() {
        try (EagerBufferAllocator allocator = new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withLimit(1024))) {
            assertThrows(AllocationLimitException.class, () -> allocator.allocSeparate(2048));
            allocator.limit(Long.MAX_VALUE);
            assertEquals(2048, allocator.allocSeparate(2048).size());
            assertThrows(IllegalArgumentException.class, () -> allocator.limit(-1));
        }
    }

    @Test
    void deferredPlannerRefusesEarlyAndAtApply() {
        try (DeferBufferAllocator planner = new DeferBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withName("plan"))) {
            planner.limit(2048);
            MemoryChunk a = planner.alloc(1024);
            planner.alloc(1024);
            AllocationLimitException early = assertThrows(AllocationLimitException.class, () -> planner.alloc(64));
            assertEquals(64, early.requested());
            assertEquals(2048, early.inUse());
            planner.free(a);
            planner.alloc(1024); // a is dead: fits
            planner.compute();
            planner.limit(1024);
            AllocationLimitException atApply = assertThrows(AllocationLimitException.class, planner::apply);
            assertEquals(2, planner.limitRefusals(), "the early refusal and the one at apply");
            assertEquals(2048, atApply.requested());
            assertEquals(0, planner.totalSize());
            planner.limit(2048);
            planner.apply(); // usable after the refusal
            assertEquals(2048, planner.totalSize());
        }
    }
}
