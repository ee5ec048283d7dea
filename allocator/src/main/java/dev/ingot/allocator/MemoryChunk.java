package dev.ingot.allocator;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A piece of memory handed out by a {@link BufferAllocator}: a segment, its size, its alignment and its owner.
 *
 * <p>Lifecycle: an {@link EagerBufferAllocator} chunk is usable from {@code alloc} until {@code free},
 * {@code release(true)} or {@code close}. A {@link DeferBufferAllocator} chunk gets memory only when its allocator
 * applies its plan, and keeps it (even after {@code free}, which during planning only ends its lifetime) until
 * {@code reset()}, {@code release(true)} or {@code close()}. Outside that window {@link #segment()} throws
 * {@link IllegalStateException}; in checked mode so does any access through a segment obtained earlier, once the
 * chunk's scope is closed (at once with a check batch of one, else when its batch closes: see
 * {@link AllocatorOptions#checkBatch()}); until then such an access reaches only the chunk's own quarantined
 * memory, never memory handed out again.
 *
 * <p>A chunk object is never reused: once freed it stays freed, so a stale handle is always detected.
 *
 * <p>Thread-safety: the accessors may be called from any thread; state changes are made by the owner.
 */
public final class MemoryChunk {
    private static final AtomicLong NEXT_ID = new AtomicLong(1);
    private static final VarHandle ID;
    private static final VarHandle SEGMENT;
    private static final VarHandle FREED;
    private static final VarHandle REVOKED_BECAUSE;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            ID = lookup.findVarHandle(MemoryChunk.class, "id", long.class);
            SEGMENT = lookup.findVarHandle(MemoryChunk.class, "segment", MemorySegment.class);
            FREED = lookup.findVarHandle(MemoryChunk.class, "freed", boolean.class);
            REVOKED_BECAUSE = lookup.findVarHandle(MemoryChunk.class, "revokedBecause", String.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final BufferAllocator owner;
    private final String ownerName;
    private final long size;
    private final int alignment;

    /** Where the owner placed the chunk, or null once it no longer holds memory. Guarded by the owner's lock. */
    Placement placement;
    /** The chunk's slot in its owner's {@link LiveChunks}, or -1 when not live there. Guarded by the owner's lock. */
    int liveIndex = -1;

    // The state below is written with release stores and read with acquire loads: each write publishes what the
    // owner did before it, without the full fence (and its cost on every alloc and free) of a volatile write.
    /** Given on first use by {@link #id()}, so that allocation does not contend on the global counter; 0 before. */
    @SuppressWarnings("unused") // through ID
    private long id;
    /** Set once when the memory is given and kept after revocation, so that {@link #address()} stays readable. */
    @SuppressWarnings("unused") // through SEGMENT
    private MemorySegment segment;
    @SuppressWarnings("unused") // through FREED
    private boolean freed;
    @SuppressWarnings("unused") // through REVOKED_BECAUSE
    private String revokedBecause;
    /** What only some chunks need (a site, a scope, a loss listener), apart so that the usual chunk stays small. */
    private Extras extras;

    /** Parts of a chunk used only with tracking, checked mode or a child source. Guarded by the owner's lock. */
    private static final class Extras {
        Throwable allocationSite;
        /** The chunk's own scope (checked chunks placed in a planning round, or batches of one), else null. */
        Arena scope;
        /** The batch whose scope the chunk shares (checked chunks outside planning rounds), else null. */
        ScopeBatch batch;
        /** Told when the chunk's memory is taken back without a free: an allocator built on the chunk. */
        Runnable lossListener;
    }

    MemoryChunk(BufferAllocator owner, String ownerName, long size, long alignment, boolean trackSite) {
        this.owner = owner;
        this.ownerName = ownerName;
        this.size = size;
        this.alignment = Math.toIntExact(alignment);
        if (trackSite) {
            extras().allocationSite = new Throwable("allocation site");
        }
    }

    /**
     * The chunk's memory, exactly {@link #size()} bytes long, whose address is a multiple of {@link #alignment()}.
     *
     * @return the chunk's memory
     * @throws IllegalStateException when the chunk was freed or released, or (deferred allocators) its plan has
     *                               not been applied yet
     */
    public MemorySegment segment() {
        MemorySegment current = (MemorySegment) SEGMENT.getAcquire(this);
        String why = (String) REVOKED_BECAUSE.getAcquire(this);
        if (why != null) {
            throw new IllegalStateException(this + " can no longer be used: " + why);
        }
        if (current == null) {
            throw new IllegalStateException(this + " has no memory yet: its allocator has not applied its plan"
                    + " (call apply() first)");
        }
        return current;
    }

    /**
     * Size in bytes, as asked for.
     *
     * @return size in bytes, as asked for
     */
    public long size() {
        return size;
    }

    /**
     * Alignment in bytes of the chunk's address, as asked for.
     *
     * @return alignment in bytes of the chunk's address, as asked for
     */
    public long alignment() {
        return alignment;
    }

    /**
     * The allocator that handed the chunk out and must take it back.
     *
     * @return the allocator that handed the chunk out and must take it back
     */
    public BufferAllocator owner() {
        return owner;
    }

    /**
     * The raw address of the chunk's memory, for alignment checks and debugging; it stays readable after the chunk
     * was freed, but must not be dereferenced then.
     *
     * @return the address
     * @throws IllegalStateException when the chunk never had memory (a deferred chunk before {@code apply()})
     */
    public long address() {
        MemorySegment current = (MemorySegment) SEGMENT.getAcquire(this);
        if (current == null) {
            throw new IllegalStateException(this + " has no address yet: its allocator has not applied its plan");
        }
        return current.address();
    }

    /**
     * True until the chunk is freed, or its memory is taken back by {@code release(true)}, reset or close.
     *
     * @return true until the chunk is freed, or its memory is taken back by {@code release(true)}, reset or close
     */
    public boolean isLive() {
        return !(boolean) FREED.getAcquire(this) && REVOKED_BECAUSE.getAcquire(this) == null;
    }

    /**
     * A number unique within the process, used to name the chunk in messages; it never changes once read.
     *
     * @return a number unique within the process, used to name the chunk in messages; it never changes once read
     */
    public long id() {
        long current = (long) ID.getAcquire(this);
        if (current != 0) {
            return current;
        }
        long fresh = NEXT_ID.getAndIncrement();
        long witness = (long) ID.compareAndExchange(this, 0L, fresh);
        return witness == 0 ? fresh : witness; // another thread may have named it first
    }

    @Override
    public String toString() {
        return "chunk#" + id() + " (" + size + " bytes, alignment " + alignment + ", owner '" + ownerName + "')";
    }

    // ---- owner-side state changes ---------------------------------------------------------------------------

    /** The span an eager pool placed the chunk in. */
    Span span() {
        return (Span) placement;
    }

    /** The lifetime a deferred planner recorded for the chunk. */
    DeferBufferAllocator.Lifetime lifetime() {
        return (DeferBufferAllocator.Lifetime) placement;
    }

    boolean isFreed() {
        return (boolean) FREED.getAcquire(this);
    }

    void markFreed() {
        FREED.setRelease(this, true);
    }

    /** Why the memory was taken back, or null while it is usable (or not yet backed). */
    String revokedBecause() {
        return (String) REVOKED_BECAUSE.getAcquire(this);
    }

    /** Gives the chunk its memory; {@code chunkScope} is the per-chunk scope in checked mode, else null. */
    void back(MemorySegment memory, Arena chunkScope) {
        if (chunkScope != null) {
            extras().scope = chunkScope;
        }
        SEGMENT.setRelease(this, memory);
    }

    /** Gives the chunk memory whose scope it shares with the other members of {@code scopeBatch}. */
    void backInBatch(MemorySegment memory, ScopeBatch scopeBatch) {
        extras().batch = scopeBatch;
        SEGMENT.setRelease(this, memory);
    }

    /** The batch whose scope the chunk shares, or null. Guarded by the owner's lock. */
    ScopeBatch batch() {
        Extras current = extras;
        return current == null ? null : current.batch;
    }

    /**
     * Takes the memory away and queues, for after the caller's lock, the close of the chunk's own scope and, when
     * {@code lost} (taken back by {@code release(true)}, a reset or a close rather than freed), the loss listener.
     */
    void revoke(String why, boolean lost, AfterUnlock after) {
        Runnable listener = extras == null ? null : extras.lossListener;
        after.closeLater(revoke(why));
        if (lost) {
            after.notifyLater(listener);
        }
    }

    /**
     * Takes the memory away without telling the loss listener (the chunk was freed) and returns the chunk's own
     * scope, which the caller must close before the memory is reused, or null in fast mode.
     */
    Arena revoke(String why) {
        REVOKED_BECAUSE.setRelease(this, why);
        Extras current = extras;
        if (current == null) {
            return null;
        }
        Arena toClose = current.scope;
        current.scope = null;
        current.lossListener = null;
        return toClose;
    }

    /** Registers who must hear when the memory is taken back without a free (see {@link #revoke}). */
    void onLoss(Runnable listener) {
        extras().lossListener = listener;
    }

    /** The allocation stack, or null when tracking was off. */
    Throwable allocationSite() {
        Extras current = extras;
        return current == null ? null : current.allocationSite;
    }

    private Extras extras() {
        if (extras == null) {
            extras = new Extras();
        }
        return extras;
    }
}
