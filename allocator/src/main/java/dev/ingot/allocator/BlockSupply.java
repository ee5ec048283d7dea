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
    /** Charged with every block, or null. */
    private final MemoryBudget budget;
    private long reserved;
    private long limit;
    /** The budget that refused the last {@link #tryReserve}, or null when it was the limit or it succeeded. */
    private MemoryBudget refusedBy;

    private final AllocationListener listener;

    BlockSupply(String allocatorName, SegmentSource source, AllocatorOptions options) {
        if (source == null) {
            throw new IllegalArgumentException("source: expected a SegmentSource, got null");
        }
        this.allocatorName = allocatorName;
        this.source = source;
        this.limit = options.limit();
        this.budget = options.budget();
        this.listener = options.listener();
    }

    /**
     * Tells the listener of a refusal; true when it freed memory and wants the allocator to try once more.
     *
     * @param refusal what the allocator would throw
     */
    boolean retryAfter(AllocationLimitException refusal) {
        return listener.onRefused(refusal);
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

    /** True when {@code bytes} more can be reserved without passing the limit (the budget is asked on reserve). */
    boolean fits(long bytes) {
        return bytes <= limit - reserved;
    }

    /**
     * Reserves a block of {@code bytes} when both the limit and the budget allow it, else returns null (and
     * {@link #refuse} then names who refused). Source failures throw as {@link #reserve}.
     */
    MemorySegment tryReserve(long bytes, long alignment) {
        refusedBy = null;
        if (!fits(bytes)) {
            return null;
        }
        if (budget != null) {
            MemoryBudget refuser = budget.tryCharge(bytes);
            if (refuser != null) {
                refusedBy = refuser;
                return null;
            }
        }
        try {
            MemorySegment block = reserveFromSource(bytes, alignment);
            if (budget != null && block.byteSize() > bytes) {
                budget.forceCharge(block.byteSize() - bytes);
            }
            return block;
        } catch (RuntimeException | Error e) {
            if (budget != null) {
                budget.discharge(bytes);
            }
            throw e;
        }
    }

    /**
     * Reserves a block; the caller has checked {@link #fits}. What a source throws when the system has no memory
     * for it (an {@link OutOfMemoryError} from native allocation, an I/O failure of a mapped file) becomes an
     * {@link AllocationFailedException}, which a caller can act on; nothing is counted then.
     */
    private MemorySegment reserveFromSource(long bytes, long alignment) {
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
        listener.onReserve(allocatorName, block.byteSize());
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
        if (budget != null) {
            budget.discharge(block.byteSize());
        }
        listener.onReturn(allocatorName, block.byteSize());
        BlockReturnedEvent event = new BlockReturnedEvent();
        if (event.shouldCommit()) {
            event.allocator = allocatorName;
            event.source = source.description();
            event.bytes = block.byteSize();
            event.reservedAfter = reserved;
            event.commit();
        }
    }

    /** Allocations refused (by the limit or the budget); written under the allocator's lock, read from any thread. */
    private volatile long refusals;

    /** Allocations refused so far. */
    long refusals() {
        return refusals;
    }

    /** Records a refusal (of the limit, or of the budget that refused the last try) and builds the exception. */
    AllocationLimitException refuse(long requested, long inUse) {
        refusals++;
        MemoryBudget refuser = refusedBy;
        if (refuser != null) {
            refusedBy = null;
            refuser.countRefusal();
            MemoryBudget.Snapshot figures = refuser.snapshot();
            commitRefusal(requested, inUse, figures.reserved(), figures.limit());
            return new AllocationLimitException(allocatorName, budget.name(), refuser.name(), requested, inUse,
                    figures.reserved(), figures.limit());
        }
        commitRefusal(requested, inUse, reserved, limit);
        return new AllocationLimitException(allocatorName, requested, inUse, reserved, limit);
    }

    private void commitRefusal(long requested, long inUse, long reservedThen, long limitThen) {
        AllocationRefusedEvent event = new AllocationRefusedEvent();
        if (event.shouldCommit()) {
            event.allocator = allocatorName;
            event.requested = requested;
            event.inUse = inUse;
            event.reserved = reservedThen;
            event.limit = limitThen;
            event.commit();
        }
    }

    /** Closes the source, which gives back whatever it still holds, and returns the budget's share. */
    void close() {
        if (budget != null && reserved != 0) {
            budget.discharge(reserved);
        }
        if (reserved != 0) {
            listener.onReturn(allocatorName, reserved);
        }
        reserved = 0;
        source.close();
    }
}
