package dev.ingot.allocator;

import java.lang.foreign.MemorySegment;

/**
 * A piece of memory handed out by a {@link BufferAllocator}: a segment, its size and its owner.
 * The chunk stays valid until it is freed or its allocator is closed.
 */
public final class MemoryChunk {
    private final BufferAllocator owner;
    private final MemorySegment segment;

    MemoryChunk(BufferAllocator owner, MemorySegment segment) {
        this.owner = owner;
        this.segment = segment;
    }

    /** The chunk's memory, exactly {@link #size()} bytes long. */
    public MemorySegment segment() {
        return segment;
    }

    /** Size in bytes, as asked for. */
    public long size() {
        return segment.byteSize();
    }

    /** The allocator that handed the chunk out and must take it back. */
    public BufferAllocator owner() {
        return owner;
    }
}
