package dev.ingot.allocator;

import dev.ingot.allocator.events.AllocationRefusedEvent;
import dev.ingot.allocator.events.BlockReservedEvent;
import dev.ingot.allocator.events.BlockReturnedEvent;

import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;

/**
 * An allocator's gate to its {@link SegmentSource}: counts the bytes reserved, enforces the limit and records the
 * JFR events. Not thread-safe: the owning allocator calls it under its lock.
 */
final class BlockSupply {
    private final String allocatorName;
    private final SegmentSource source;
    private long reserved;
    private long limit;

    BlockSupply(String allocatorName, SegmentSource source, long limit) {
        if (source == null) {
            throw new IllegalArgumentException("source: expected a SegmentSource, got null");
        }
        this.allocatorName = allocatorName;
        this.source = source;
        this.limit = limit;
    }

    long reserved() {
        return reserved;
    }

    long limit() {
        return limit;
    }

    void limit(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("limit: expected a byte count >= 0, got " + bytes);
        }
        limit = bytes;
    }

    /** True when {@code bytes} more can be reserved without passing the limit. */
    boolean fits(long bytes) {
        return bytes <= limit - reserved;
    }

    /**
     * Reserves a block; the caller has checked {@link #fits}. What a source throws when the system has no memory
     * for it (an {@link OutOfMemoryError} from native allocation, an I/O failure of a mapped file) becomes an
     * {@link AllocationFailedException}, which a caller can act on; nothing is counted then.
     */
    MemorySegment reserve(long bytes, long alignment) {
        MemorySegment block;
        try {
            block = source.reserve(bytes, alignment);
        } catch (OutOfMemoryError | UncheckedIOException e) {
            throw new AllocationFailedException(allocatorName, bytes, source.description(), e);
        }
        if (block.byteSize() < bytes) {
            source.giveBack(block);
            throw new IllegalStateException("source " + source.description() + " returned " + block.byteSize()
                    + " bytes when " + bytes + " were asked");
        }
        reserved += block.byteSize();
        BlockReservedEvent event = new BlockReservedEvent();
        if (event.shouldCommit()) {
            event.allocator = allocatorName;
            event.source = source.description();
            event.bytes = block.byteSize();
            event.reservedAfter = reserved;
            event.commit();
        }
        return block;
    }

    void giveBack(MemorySegment block) {
        source.giveBack(block);
        forget(block);
    }

    /** Stops counting a block its source took back on its own (a child's block reclaimed by the parent). */
    void forget(MemorySegment block) {
        reserved -= block.byteSize();
        BlockReturnedEvent event = new BlockReturnedEvent();
        if (event.shouldCommit()) {
            event.allocator = allocatorName;
            event.source = source.description();
            event.bytes = block.byteSize();
            event.reservedAfter = reserved;
            event.commit();
        }
    }

    /** Allocations refused at the limit; written under the allocator's lock, read from any thread. */
    private volatile long refusals;

    /** Allocations refused at the limit so far. */
    long refusals() {
        return refusals;
    }

    /** Records a refusal and builds the exception the caller throws. */
    AllocationLimitException refuse(long requested, long inUse) {
        refusals++;
        AllocationRefusedEvent event = new AllocationRefusedEvent();
        if (event.shouldCommit()) {
            event.allocator = allocatorName;
            event.requested = requested;
            event.inUse = inUse;
            event.reserved = reserved;
            event.limit = limit;
            event.commit();
        }
        return new AllocationLimitException(allocatorName, requested, inUse, reserved, limit);
    }

    /** Closes the source, which gives back whatever it still holds. */
    void close() {
        reserved = 0;
        source.close();
    }
}
