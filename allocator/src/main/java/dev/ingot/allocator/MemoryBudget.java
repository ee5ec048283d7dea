package dev.ingot.allocator;

import java.util.ArrayList;
import java.util.List;

/**
 * A node of a tree of memory budgets, in the manner of Apache Arrow's allocator hierarchy: a root with a limit,
 * children (tenants) with limits of their own, and so on down. Allocators built with
 * {@link AllocatorOptions#withBudget(MemoryBudget)} charge every block they reserve from their source (pooled free
 * bytes included, since the block stays reserved) to their budget and, through it, to every ancestor; a block that
 * would take any of them past its limit is refused with an {@link AllocationLimitException} naming the tenant, the
 * budget whose limit was hit, its use and its limit. Giving a block back returns its bytes to the whole chain.
 *
 * <p>Consistency: a budget's {@link #reserved()} is at every moment the bytes charged to it directly plus the
 * {@code reserved()} of its children. All budgets of one tree share one lock, so a charge walks up the chain in one
 * step and a {@link #snapshot()} never sees a charge half applied. Charges happen per block, not per allocation, so
 * the lock is taken rarely; {@code alloc} and {@code free} served from a pool never touch it.
 *
 * <p>Lifecycle: {@link #close()} detaches a budget from its parent once nothing is charged to it; a closed budget
 * refuses new charges. Thread-safe: every method may be called from any thread.
 */
public final class MemoryBudget implements AutoCloseable {
    private final String name;
    private final MemoryBudget parent;
    /** Shared by every budget of the tree: the root's. */
    private final Object treeLock;
    private final List<MemoryBudget> children = new ArrayList<>();
    private long limit;
    private long reserved;
    private long direct;
    private long peak;
    private long refusals;
    private boolean closed;

    private MemoryBudget(String name, MemoryBudget parent, long limit) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("name: expected a non-empty budget name, got " + name);
        }
        checkLimit(limit);
        this.name = name;
        this.parent = parent;
        this.treeLock = parent == null ? new Object() : parent.treeLock;
        this.limit = limit;
    }

    /**
     * A root budget.
     *
     * @param name  the name used in messages, e.g. the service or process
     * @param limit bytes the whole tree may reserve; {@link Long#MAX_VALUE} for none
     * @return a new root
     * @throws IllegalArgumentException when the name is empty or the limit negative
     */
    public static MemoryBudget root(String name, long limit) {
        return new MemoryBudget(name, null, limit);
    }

    /**
     * A child of this budget: what is charged to it counts here too.
     *
     * @param childName the tenant's name, used in refusals
     * @param childLimit bytes the child may reserve; {@link Long#MAX_VALUE} for no limit of its own
     * @return the new child
     * @throws IllegalArgumentException when the name is empty or the limit negative
     * @throws IllegalStateException    when this budget is closed
     */
    public MemoryBudget child(String childName, long childLimit) {
        MemoryBudget child = new MemoryBudget(childName, this, childLimit);
        synchronized (treeLock) {
            if (closed) {
                throw new IllegalStateException("budget '" + name + "' is closed");
            }
            children.add(child);
        }
        return child;
    }

    /**
     * The budget's name.
     *
     * @return the name given when it was made
     */
    public String name() {
        return name;
    }

    /**
     * The parent budget.
     *
     * @return the parent, or null for a root
     */
    public MemoryBudget parent() {
        return parent;
    }

    /**
     * The limit in force.
     *
     * @return bytes; {@link Long#MAX_VALUE} when none
     */
    public long limit() {
        synchronized (treeLock) {
            return limit;
        }
    }

    /**
     * Changes the limit. Lowering it below what is reserved takes nothing back; it refuses new blocks.
     *
     * @param bytes the new limit; {@link Long#MAX_VALUE} for none
     * @throws IllegalArgumentException when {@code bytes} is negative
     */
    public void limit(long bytes) {
        checkLimit(bytes);
        synchronized (treeLock) {
            limit = bytes;
        }
    }

    /**
     * Bytes reserved under this budget right now: charged to it directly plus its children's.
     *
     * @return bytes
     */
    public long reserved() {
        synchronized (treeLock) {
            return reserved;
        }
    }

    /**
     * The most bytes ever reserved under this budget at once.
     *
     * @return bytes
     */
    public long peak() {
        synchronized (treeLock) {
            return peak;
        }
    }

    /**
     * Charges refused because of this budget's limit (a child's refusal counts where the limit was hit).
     *
     * @return the count since the budget was made
     */
    public long refusals() {
        synchronized (treeLock) {
            return refusals;
        }
    }

    /**
     * A consistent picture of this budget and everything below it, taken under the tree's lock.
     *
     * @return the snapshot
     */
    public Snapshot snapshot() {
        synchronized (treeLock) {
            return snapshotLocked();
        }
    }

    private Snapshot snapshotLocked() {
        List<Snapshot> below = new ArrayList<>(children.size());
        for (MemoryBudget child : children) {
            below.add(child.snapshotLocked());
        }
        return new Snapshot(name, limit, reserved, direct, peak, refusals, List.copyOf(below));
    }

    /**
     * Detaches the budget from its parent. Idempotent.
     *
     * @throws IllegalStateException when bytes are still charged to it or to a child still open
     */
    @Override
    public void close() {
        synchronized (treeLock) {
            if (closed) {
                return;
            }
            if (reserved != 0) {
                throw new IllegalStateException("budget '" + name + "' closed while " + reserved
                        + " bytes are still reserved under it; close its allocators first");
            }
            closed = true;
            if (parent != null) {
                parent.children.remove(this);
            }
        }
    }

    @Override
    public String toString() {
        return "budget '" + name + "'";
    }

    /**
     * One budget's figures in a {@link #snapshot()}.
     *
     * @param name     the budget's name
     * @param limit    its limit in bytes
     * @param reserved bytes reserved under it (direct plus children)
     * @param direct   bytes charged to it directly by allocators
     * @param peak     the most bytes ever reserved under it
     * @param refusals charges refused by its limit
     * @param children its open children's snapshots
     */
    public record Snapshot(String name, long limit, long reserved, long direct, long peak, long refusals,
                           List<Snapshot> children) {
    }

    // ---- for BlockSupply ---------------------------------------------------------------------------------------

    /**
     * Charges {@code bytes} to this budget and every ancestor, or to none of them.
     *
     * @return null when charged, else the budget whose limit refused
     */
    MemoryBudget tryCharge(long bytes) {
        synchronized (treeLock) {
            if (closed) {
                throw new IllegalStateException("budget '" + name + "' is closed");
            }
            for (MemoryBudget b = this; b != null; b = b.parent) {
                if (bytes > b.limit - b.reserved) {
                    return b;
                }
            }
            direct += bytes;
            for (MemoryBudget b = this; b != null; b = b.parent) {
                b.reserved += bytes;
                b.peak = Math.max(b.peak, b.reserved);
            }
            return null;
        }
    }

    /** Counts a refusal reported to a caller (an allocator may try several block sizes before it refuses). */
    void countRefusal() {
        synchronized (treeLock) {
            refusals++;
        }
    }

    /** Charges {@code bytes} whatever the limits say (a source returned a larger block than asked). */
    void forceCharge(long bytes) {
        synchronized (treeLock) {
            direct += bytes;
            for (MemoryBudget b = this; b != null; b = b.parent) {
                b.reserved += bytes;
                b.peak = Math.max(b.peak, b.reserved);
            }
        }
    }

    /** Returns {@code bytes} charged earlier to this budget and its ancestors. */
    void discharge(long bytes) {
        synchronized (treeLock) {
            direct -= bytes;
            for (MemoryBudget b = this; b != null; b = b.parent) {
                b.reserved -= bytes;
            }
        }
    }

    private static void checkLimit(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("limit: expected a byte count >= 0, got " + bytes);
        }
    }
}
