package dev.ingot.allocator;

import java.lang.foreign.MemorySegment;

/**
 * Where an allocator's blocks come from: the Java form of MNN's {@code BufferAllocator::Allocator}.
 */
public interface SegmentSource extends AutoCloseable {

    /** Reserves a block of {@code size} bytes whose address is a multiple of {@code alignment}. */
    MemorySegment reserve(long size, long alignment);

    /** Gives a block obtained from {@link #reserve} back. */
    void giveBack(MemorySegment block);

    /** Gives every block back. */
    @Override
    void close();
}
