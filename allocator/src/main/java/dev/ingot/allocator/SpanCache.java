package dev.ingot.allocator;

/**
 * Spare {@link Span} objects of one allocator, kept for reuse so that splitting and merging pieces makes no
 * garbage. Only spans of blocks still held go back here; spans of a returned block are left to the GC, since a
 * free in flight (checked mode closes the chunk's scope between two critical sections) may still refer to them.
 * Guarded by the allocator's lock.
 */
final class SpanCache {
    /** Spares kept at most; beyond that a span is left to the GC. */
    private static final int MAX_SPARES = 1024;

    private Span spares;
    private int count;

    /** A span of {@code block} covering [offset, offset + size), not linked and in no list. */
    Span take(Block block, long offset, long size) {
        Span span = spares;
        if (span != null) {
            spares = span.next;
            span.next = null;
            count--;
        } else {
            span = new Span();
        }
        span.block = block;
        span.offset = offset;
        span.size = size;
        return span;
    }

    /** Keeps an unlinked span, in no list, for reuse. */
    void give(Span span) {
        span.block = null;
        span.forgetSlice();
        span.list = null;
        span.batch = null;
        span.quarantined = false;
        span.prev = null;
        span.left = null;
        span.right = null;
        if (count < MAX_SPARES) {
            span.next = spares;
            spares = span;
            count++;
        } else {
            span.next = null;
        }
    }
}
