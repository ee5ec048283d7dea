package dev.ingot.allocator;

import java.lang.foreign.MemorySegment;

/**
 * A block reserved from the source by an {@link EagerBufferAllocator}: its spans in address order (free pieces
 * and chunks, tiling the block), a count of the chunks placed in it, and whether it went back to the source.
 * Guarded by the allocator's lock.
 */
final class Block {
    final long id;
    final MemorySegment memory;
    /** The memory's base address, read on every fit test. */
    final long address;
    final boolean separate;
    /** The lowest span; the others follow through {@link Span#next}. */
    Span first;
    int liveChunks;
    /** Chunks freed in the open planning round whose memory must stay valid until it ends: the block stays. */
    int pinnedByRound;
    /** When the block last became wholly free (clock of the idle policy); meaningful while {@link #idleCandidate}. */
    long freeSince;
    /** Listed by the idle policy as a block that became wholly free. */
    boolean idleCandidate;
    /** Set once the block is no longer the allocator's: a free still in flight must not touch it. */
    boolean returned;
    /** The block's memory in the scope of {@link #viewBatch}, made once per batch (see {@link #viewIn}). */
    private MemorySegment batchView;
    private ScopeBatch viewBatch;

    Block(long id, MemorySegment memory, boolean separate) {
        this.id = id;
        this.memory = memory;
        this.address = memory.address();
        this.separate = separate;
        this.first = new Span();
        first.block = this;
        first.size = memory.byteSize();
    }

    /**
     * The block's memory in {@code batch}'s scope, whose slices are that batch's chunks: one restricted
     * {@code reinterpret} per block and batch (a caller check each, which costs a stack walk when not inlined),
     * then a plain {@code asSlice} per chunk.
     */
    @SuppressWarnings("restricted")
    MemorySegment viewIn(ScopeBatch batch) {
        if (viewBatch != batch) {
            batchView = memory.reinterpret(batch.scope, null);
            viewBatch = batch;
        }
        return batchView;
    }

    long size() {
        return memory.byteSize();
    }

    long address() {
        return address;
    }

    /** True when no chunk lives in the block and one free piece of {@code list} covers it whole. */
    boolean isWhollyFreeIn(FreeList list) {
        return liveChunks == 0 && first.next == null && first.list == list;
    }

    /** Takes the block's free pieces out of whatever lists hold them (the block is leaving the allocator). */
    void removeFreePieces() {
        for (Span span = first; span != null; span = span.next) {
            if (span.list != null) {
                span.list.remove(span);
            }
        }
    }
}
