package dev.ingot.allocator;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The mmap source and the arena source's policy of mapping large blocks: blocks are mapped and unmapped (the
 * source's own counters, not the process's RSS, which the C library and the JVM move too), read and written in
 * full, zero when fresh, and unreachable once given back.
 */
class MmapSourceTest {
    private static final long PAGE = 4096;

    @BeforeEach
    void onlyWhereMmapWorks() {
        assumeTrue(MmapSource.available(), () -> "mmap source not available: " + MmapSource.unavailableReason());
    }

    @Test
    void blocksAreMappedWholePagesZeroWritableAndGoneOnceGivenBack() {
        try (MmapSource source = new MmapSource()) {
            MemorySegment big = source.reserve(1 << 20, 64);
            MemorySegment odd = source.reserve(5000, 4096);
            assertEquals(1 << 20, big.byteSize());
            assertEquals(5000, odd.byteSize());
            assertEquals(0, odd.address() % 4096);
            assertEquals((1 << 20) + 2 * PAGE, source.mappedBytes(), "whole pages are mapped");
            assertEquals(2, source.maps());
            for (long i = 0; i < odd.byteSize(); i += 8 * 64) {
                assertEquals(0, odd.get(ValueLayout.JAVA_BYTE, i), "fresh pages read zero");
            }
            big.fill((byte) 7);
            assertEquals(7, big.get(ValueLayout.JAVA_BYTE, big.byteSize() - 1));

            source.giveBack(big);
            assertThrows(IllegalStateException.class, () -> big.get(ValueLayout.JAVA_BYTE, 0),
                    "a returned block's segment no longer reaches the unmapped pages");
            assertEquals(2 * PAGE, source.mappedBytes());
            assertEquals(1, source.unmaps());
            IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> source.giveBack(big));
            assertTrue(twice.getMessage().startsWith("block:"), twice.getMessage());
            assertThrows(IllegalArgumentException.class, () -> source.reserve(0, 64));
        }
    }

    @Test
    void anAlignmentAboveThePageMapsMoreThenTrimsItBack() {
        try (MmapSource source = new MmapSource()) {
            MemorySegment block = source.reserve(3 * PAGE, 1 << 20);
            assertEquals(0, block.address() % (1 << 20));
            assertEquals(3 * PAGE, source.mappedBytes(), "the head and tail of the larger mapping were unmapped");
            block.fill((byte) 1);
            source.giveBack(block);
            assertEquals(0, source.mappedBytes());
        }
    }

    @Test
    void closeUnmapsEveryBlockLeft() {
        MmapSource source = new MmapSource();
        MemorySegment a = source.reserve(PAGE, 64);
        MemorySegment b = source.reserve(2 * PAGE, 64);
        source.close();
        assertEquals(0, source.mappedBytes());
        assertEquals(2, source.unmaps());
        assertThrows(IllegalStateException.class, () -> a.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> b.get(ValueLayout.JAVA_BYTE, 0));
        source.close(); // idempotent
    }

    @Test
    void thePoolMapsLargeBlocksAndTrimUnmapsThem() {
        ArenaSource source = new ArenaSource();
        MmapSource mapped = source.mapped();
        assertNotNull(mapped, "mmap is available, so large blocks are mapped");
        try (EagerBufferAllocator pool = new EagerBufferAllocator(source, AllocatorOptions.defaults()
                .withChecked(false).withMinBlockSize(ArenaSource.MAP_THRESHOLD))) {
            MemoryChunk chunk = pool.alloc(3 << 20); // a block of its own size, mapped
            MemorySegment kept = chunk.segment();
            kept.fill((byte) 5);
            MemoryChunk small = pool.alloc(100); // lands in a 1 MiB block: mapped too
            assertEquals(2, mapped.maps());
            assertEquals(pool.totalSize(), mapped.mappedBytes(), "every block of the pool is mapped");
            pool.free(chunk);
            pool.free(small);
            assertEquals(pool.totalSize(), mapped.mappedBytes(), "pooled: still mapped");
            pool.trim();
            assertEquals(0, pool.totalSize());
            assertEquals(0, mapped.mappedBytes(), "trim unmapped every block");
            assertEquals(2, mapped.unmaps());
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0),
                    "a segment kept from a chunk of an unmapped block throws, even in fast mode");
        }
    }

    @Test
    void smallBlocksStayWithMalloc() {
        ArenaSource source = new ArenaSource();
        try (EagerBufferAllocator pool = new EagerBufferAllocator(source, AllocatorOptions.defaults()
                .withMinBlockSize(64 * 1024))) {
            MemoryChunk chunk = pool.alloc(1000);
            assertEquals(0, source.mapped().maps(), "a 64 KiB block is below the threshold");
            assertEquals(1, source.liveBlocks());
            pool.free(chunk);
            pool.trim();
            assertEquals(0, source.liveBlocks());
        }
    }

    @Test
    void theMmapFactoryMapsEveryBlock() {
        try (EagerBufferAllocator pool = new EagerBufferAllocator(SegmentSource.mmap(), AllocatorOptions.defaults()
                .withMinBlockSize(8192))) {
            MemoryChunk chunk = pool.alloc(100);
            assertEquals(0, chunk.address() % 64);
            chunk.segment().fill((byte) 3);
            pool.free(chunk);
            pool.trim();
            assertEquals(0, pool.totalSize());
        }
        assertNull(MmapSource.unavailableReason());
    }
}
