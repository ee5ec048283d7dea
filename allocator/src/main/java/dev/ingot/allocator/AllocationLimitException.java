package dev.ingot.allocator;

/**
 * Thrown when an allocation would take an allocator past its limit. The allocator stays usable: nothing was
 * allocated, and the caller may free memory and try again.
 */
public final class AllocationLimitException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long requested;
    private final long inUse;
    private final long limit;

    public AllocationLimitException(long requested, long inUse, long limit) {
        super("allocation of " + requested + " bytes refused: " + inUse + " bytes in use, limit " + limit + " bytes");
        this.requested = requested;
        this.inUse = inUse;
        this.limit = limit;
    }

    /** Bytes the refused call asked for. */
    public long requested() {
        return requested;
    }

    /** Bytes the allocator had in use when it refused. */
    public long inUse() {
        return inUse;
    }

    /** The limit in force, in bytes. */
    public long limit() {
        return limit;
    }
}
