package dev.ingot.allocator;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Chunks are aligned as asked even when the source ignores the alignment it is asked for. */
class SourceAlignmentTest {

    @Property(tries = 50)
    void eagerChunksAreAlignedOnAMisaligningSource(@ForAll @IntRange(min = 0, max = 12) int alignmentLog,
                                                   @ForAll @LongRange(min = 1, max = 100_000) long size,
                                                   @ForAll @LongRange(min = 64, max = 65_536) long minBlock) {
        long alignment = 1L << alignmentLog;
        MisaligningSource source = new MisaligningSource();
        try (EagerBufferAllocator allocator = new EagerBufferAllocator(source,
                AllocatorOptions.defaults().withMinBlockSize(minBlock))) {
            List<MemoryChunk> chunks = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                MemoryChunk chunk = allocator.alloc(size, alignment);
                assertEquals(0, chunk.address() % alignment, chunk.toString());
                chunk.segment().fill((byte) i);
                chunks.add(chunk);
            }
            MemoryChunk separate = allocator.allocSeparate(size);
            assertEquals(0, separate.address() % BufferAllocator.DEFAULT_ALIGNMENT);
            EagerAllocatorPropertyTest.assertNoOverlap(chunks);
            chunks.forEach(allocator::free);
            allocator.free(separate);
            allocator.release(false);
            assertEquals(0, source.liveBlocks());
        }
    }

    @Property(tries = 30)
    void deferredChunksAreAlignedOnAMisaligningSource(@ForAll @IntRange(min = 0, max = 12) int alignmentLog,
                                                      @ForAll @LongRange(min = 1, max = 100_000) long size) {
        long alignment = 1L << alignmentLog;
        MisaligningSource source = new MisaligningSource();
        try (DeferBufferAllocator planner = new DeferBufferAllocator(source, AllocatorOptions.defaults())) {
            MemoryChunk a = planner.alloc(size, alignment);
            MemoryChunk b = planner.alloc(size + 3, alignment);
            planner.apply();
            assertEquals(0, a.address() % alignment);
            assertEquals(0, b.address() % alignment);
            a.segment().fill((byte) 1);
            b.segment().fill((byte) 2);
            assertEquals(1, a.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, size - 1));
            planner.reset();
            assertEquals(0, source.liveBlocks());
        }
    }
}
