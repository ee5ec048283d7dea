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
    private final long reserved;

    public AllocationLimitException(long requested, long inUse, long limit) {
        this("allocator", requested, inUse, -1, limit);
    }

    /**
     * @param allocatorName the refusing allocator, for the message
     * @param reserved      bytes the allocator held from its source when it refused, or -1 when unknown
     */
    public AllocationLimitException(String allocatorName, long requested, long inUse, long reserved, long limit) {
        super("allocation of " + requested + " bytes refused by '" + allocatorName + "': " + inUse
                + " bytes in use, " + (reserved >= 0 ? reserved + " bytes reserved, " : "") + "limit " + limit
                + " bytes");
        this.requested = requested;
        this.inUse = inUse;
        this.reserved = reserved;
        this.limit = limit;
    }

    /** A refusal whose reason is not a limit in force but {@code why}, e.g. arithmetic that would overflow. */
    AllocationLimitException(String allocatorName, long requested, long inUse, long reserved, String why) {
        super("allocation of " + requested + " bytes refused by '" + allocatorName + "': " + why);
        this.requested = requested;
        this.inUse = inUse;
        this.reserved = reserved;
        this.limit = Long.MAX_VALUE;
    }

    /** Bytes the refused call asked for. */
    public long requested() {
        return requested;
    }

    /** Bytes the allocator had in use when it refused. */
    public long inUse() {
        return inUse;
    }

    /** Bytes the allocator held from its source (in use, pooled and slack) when it refused; -1 when unknown. */
    public long reserved() {
        return reserved;
    }

    /** The limit in force, in bytes. */
    public long limit() {
        return limit;
    }
}
