package dev.ingot.allocator;

import java.lang.foreign.MemorySegment;

/**
 * A range [offset, offset + size) of a {@link Block}: free (held by one {@link FreeList}) or holding one chunk.
 * The spans of a block tile it and are linked in address order, so a freed chunk finds its neighbours in O(1).
 * While free, a span is also a node of its list's size-ordered tree. Spans are mutable and reused by their
 * allocator (see {@link SpanCache}) so that alloc and free make no garbage. Guarded by the allocator's lock.
 */
final class Span implements Placement {
    Block block;
    long offset;
    long size;
    /** Neighbours in address order within the block, or null at the block's ends. */
    Span prev;
    Span next;
    /** The free list holding the span, or null while a chunk lives in it (or it is being moved between lists). */
    FreeList list;
    /** Links and heap priority in the free list's tree (a treap ordered by size, block id, offset). */
    Span left;
    Span right;
    int priority;
    /** The scope batch of the checked chunk held here (live or quarantined), else null. */
    ScopeBatch batch;
    /** Held by a freed checked chunk whose batch's scope is not closed yet: neither free nor reusable. */
    boolean quarantined;
    /**
     * The last fast-mode slice made for a chunk here, handed out again when a chunk of the same size lands at the
     * same offset (the usual case when a workload repeats its shapes). Sharing it with a freed chunk's holder is
     * sound: a segment is immutable, and in fast mode a segment kept after {@code free} reaches the pool's memory
     * anyway; the freed handle itself still refuses {@code segment()}. Cleared when the span is recycled.
     */
    private MemorySegment slice;

    long end() {
        return offset + size;
    }

    boolean isFree() {
        return list != null;
    }

    /** Bytes to skip from the span's start so that a chunk there is aligned to {@code alignment}. */
    long padding(long alignment) {
        long address = block.address() + offset;
        return Sizes.alignUp(address, alignment) - address;
    }

    /**
     * Bytes to skip from the span's start so that a chunk of {@code footprint} bytes, aligned to {@code alignment},
     * sits as close to the span's end as it can; the span must hold it ({@link #fits}).
     */
    long paddingAtEnd(long footprint, long alignment) {
        long start = block.address() + offset;
        return ((start + size - footprint) & -alignment) - start;
    }

    /** True when a chunk of {@code footprint} bytes, aligned to {@code alignment}, fits in the span. */
    boolean fits(long footprint, long alignment) {
        return padding(alignment) + footprint <= size;
    }

    /** A slice of the block, {@code chunkSize} bytes at this span's offset: the cached one when it matches. */
    MemorySegment slice(long chunkSize) {
        MemorySegment cached = slice;
        if (cached == null || cached.byteSize() != chunkSize || cached.address() != block.address + offset) {
            cached = block.memory.asSlice(offset, chunkSize);
            slice = cached;
        }
        return cached;
    }

    /** Forgets the cached slice (the span is about to describe another range). */
    void forgetSlice() {
        slice = null;
    }

    /** Links {@code later} right after this span in address order. */
    void linkAfter(Span later) {
        later.prev = this;
        later.next = next;
        if (next != null) {
            next.prev = later;
        }
        next = later;
    }

    /** Links {@code earlier} right before this span in address order. */
    void linkBefore(Span earlier) {
        earlier.next = this;
        earlier.prev = prev;
        if (prev != null) {
            prev.next = earlier;
        } else {
            block.first = earlier;
        }
        prev = earlier;
    }

    /** Unlinks this span from its block's address order. */
    void unlink() {
        if (prev != null) {
            prev.next = next;
        } else {
            block.first = next;
        }
        if (next != null) {
            next.prev = prev;
        }
        prev = null;
        next = null;
    }

    @Override
    public String toString() {
        return "span[" + offset + ", " + end() + ") of block " + (block == null ? "-" : block.id)
                + (list != null ? " free" : " used");
    }
}
