package dev.ingot.allocator;

/**
 * Thrown when an allocation would take an allocator past its limit. The allocator stays usable: nothing was
 * allocated, and the caller may free memory and try again.
 */
public final class AllocationLimitException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Bytes the refused call asked for. */
    private final long requested;
    /** Bytes in use when the allocator refused. */
    private final long inUse;
    /** The limit in force, in bytes. */
    private final long limit;
    /** Bytes reserved when it refused, or -1 when unknown. */
    private final long reserved;
    /** The tenant whose allocator asked (the allocator itself when no budget refused). */
    private final String tenant;
    /** What refused: the allocator, or the budget whose limit would have been passed. */
    private final String refusedBy;

    /**
     * A refusal by an unnamed allocator whose reserved bytes are not known.
     *
     * @param requested bytes the refused call asked for
     * @param inUse     bytes in use when the allocator refused
     * @param limit     the limit in force, in bytes
     */
    public AllocationLimitException(long requested, long inUse, long limit) {
        this("allocator", requested, inUse, -1, limit);
    }

    /**
     * A refusal by a named allocator.
     *
     * @param allocatorName the refusing allocator, for the message
     * @param reserved      bytes the allocator held from its source when it refused, or -1 when unknown
     * @param requested bytes the refused call asked for
     * @param inUse bytes in use when the allocator refused
     * @param limit the limit in force, in bytes
     */
    public AllocationLimitException(String allocatorName, long requested, long inUse, long reserved, long limit) {
        super("allocation of " + requested + " bytes refused by '" + allocatorName + "': " + inUse
                + " bytes in use, " + (reserved >= 0 ? reserved + " bytes reserved, " : "") + "limit " + limit
                + " bytes");
        this.requested = requested;
        this.inUse = inUse;
        this.reserved = reserved;
        this.limit = limit;
        this.tenant = allocatorName;
        this.refusedBy = allocatorName;
    }

    /**
     * A refusal by a {@link MemoryBudget}: {@code tenant}'s allocator asked for a block that would take
     * {@code refusedBy} (the tenant's budget or one of its ancestors) past its limit.
     */
    AllocationLimitException(String allocatorName, String tenant, String refusedBy, long requested, long inUse,
                             long budgetReserved, long budgetLimit) {
        super("allocation of " + requested + " bytes for tenant '" + tenant + "' (allocator '" + allocatorName
                + "') refused by budget '" + refusedBy + "': " + budgetReserved + " bytes reserved under it, limit "
                + budgetLimit + " bytes");
        this.requested = requested;
        this.inUse = inUse;
        this.reserved = budgetReserved;
        this.limit = budgetLimit;
        this.tenant = tenant;
        this.refusedBy = refusedBy;
    }

    /** A refusal whose reason is not a limit in force but {@code why}, e.g. arithmetic that would overflow. */
    AllocationLimitException(String allocatorName, long requested, long inUse, long reserved, String why) {
        super("allocation of " + requested + " bytes refused by '" + allocatorName + "': " + why);
        this.requested = requested;
        this.inUse = inUse;
        this.reserved = reserved;
        this.limit = Long.MAX_VALUE;
        this.tenant = allocatorName;
        this.refusedBy = allocatorName;
    }

    /**
     * Bytes the refused call asked for.
     *
     * @return bytes the refused call asked for
     */
    public long requested() {
        return requested;
    }

    /**
     * Bytes the allocator had in use when it refused.
     *
     * @return bytes the allocator had in use when it refused
     */
    public long inUse() {
        return inUse;
    }

    /**
     * Bytes the allocator held from its source (in use, pooled and slack) when it refused, or, for a budget
     * refusal, the bytes reserved under the refusing budget; -1 when unknown.
     *
     * @return bytes the allocator held from its source (in use, pooled and slack) when it refused, or, for a budget
     *     refusal, the bytes reserved under the refusing budget; -1 when unknown
     */
    public long reserved() {
        return reserved;
    }

    /**
     * Who asked: the refusing allocator's name, or for a budget refusal the name of the budget the allocator charges.
     *
     * @return the tenant's name
     */
    public String tenant() {
        return tenant;
    }

    /**
     * Whose limit was hit: the allocator's own, or a budget (the tenant's or an ancestor's).
     *
     * @return the allocator's or budget's name
     */
    public String refusedBy() {
        return refusedBy;
    }

    /**
     * The limit in force, in bytes (the budget's limit for a budget refusal).
     *
     * @return the limit in force, in bytes (the budget's limit for a budget refusal)
     */
    public long limit() {
        return limit;
    }
}
