package dev.ingot.allocator.internal;

import dev.ingot.allocator.BufferAllocator;
import dev.ingot.allocator.MemoryChunk;
import dev.ingot.allocator.SegmentSource;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/** Blocks borrowed as chunks of a parent allocator and freed back to it. */
public final class ChildSource implements SegmentSource {
    private final BufferAllocator parent;
    private final ConcurrentHashMap<Long, MemoryChunk> borrowed = new ConcurrentHashMap<>();

    public ChildSource(BufferAllocator parent) {
        if (parent == null) {
            throw new IllegalArgumentException("parent: expected a BufferAllocator, got null");
        }
        this.parent = parent;
    }

    @Override
    public MemorySegment reserve(long size, long alignment) {
        SourceChecks.checkReserve(size, alignment);
        long parentAlignment = Math.max(alignment, BufferAllocator.DEFAULT_ALIGNMENT);
        if (parentAlignment > BufferAllocator.MAX_ALIGNMENT) {
            throw new IllegalArgumentException("alignment: expected at most " + BufferAllocator.MAX_ALIGNMENT
                    + " for a child source, got " + alignment);
        }
        MemoryChunk chunk = parent.alloc(size, parentAlignment);
        MemorySegment block = chunk.segment();
        borrowed.put(block.address(), chunk);
        return block;
    }

    @Override
    public void giveBack(MemorySegment block) {
        MemoryChunk chunk = borrowed.remove(block.address());
        if (chunk == null) {
            throw new IllegalArgumentException("block: expected a live block borrowed from the parent, got one at 0x"
                    + Long.toHexString(block.address()));
        }
        parent.free(chunk);
    }

    @Override
    public void close() {
        List<Long> addresses = new ArrayList<>(borrowed.keySet());
        for (Long address : addresses) {
            MemoryChunk chunk = borrowed.remove(address);
            if (chunk != null && chunk.isLive()) {
                // A closed parent has already taken its memory back; only live chunks are freed.
                parent.free(chunk);
            }
        }
    }

    /** Number of blocks currently borrowed from the parent. */
    public int liveBlocks() {
        return borrowed.size();
    }

    @Override
    public String description() {
        return "child(" + parent + ")";
    }
}
