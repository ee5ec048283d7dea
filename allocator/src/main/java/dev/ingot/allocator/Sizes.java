package dev.ingot.allocator;

/** Argument checks and alignment arithmetic shared by the allocators. */
final class Sizes {
    /** Granule of every chunk's footprint: sizes are rounded up to it so neighbours stay 64-byte aligned. */
    static final long GRANULE = BufferAllocator.DEFAULT_ALIGNMENT;

    private Sizes() {
    }

    static void checkSize(long size) {
        if (size <= 0) {
            throw new IllegalArgumentException("size: expected a byte count > 0, got " + size);
        }
        if (size > Long.MAX_VALUE / 2) {
            throw new IllegalArgumentException("size: expected at most " + Long.MAX_VALUE / 2 + " bytes, got " + size);
        }
    }

    static void checkAlignment(long alignment) {
        if (alignment <= 0 || Long.bitCount(alignment) != 1 || alignment > BufferAllocator.MAX_ALIGNMENT) {
            throw new IllegalArgumentException("alignment: expected a power of two from 1 to "
                    + BufferAllocator.MAX_ALIGNMENT + ", got " + alignment);
        }
    }

    /** Rounds {@code value} up to a multiple of {@code alignment} (a power of two). */
    static long alignUp(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }

    /** The bytes a chunk of {@code size} occupies inside a block. */
    static long footprint(long size) {
        return alignUp(size, GRANULE);
    }
}
