package dev.ingot.allocator;

/** A free range [offset, offset + size) of a block, held by one free list. */
record FreePiece(Block block, long offset, long size, FreeList list) {

    long end() {
        return offset + size;
    }

    /** Bytes to skip from the piece's start so that a chunk there is aligned to {@code alignment}. */
    long padding(long alignment) {
        long address = block.address() + offset;
        return Sizes.alignUp(address, alignment) - address;
    }

    /** True when a chunk of {@code footprint} bytes, aligned to {@code alignment}, fits in the piece. */
    boolean fits(long footprint, long alignment) {
        return padding(alignment) + footprint <= size;
    }
}
