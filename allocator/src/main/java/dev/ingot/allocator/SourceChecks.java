package dev.ingot.allocator;

/** Argument checks shared by the sources. */
final class SourceChecks {
    private SourceChecks() {
    }

    static void checkReserve(long size, long alignment) {
        if (size <= 0) {
            throw new IllegalArgumentException("size: expected a byte count > 0, got " + size);
        }
        if (alignment <= 0 || Long.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment: expected a power of two, got " + alignment);
        }
    }
}
