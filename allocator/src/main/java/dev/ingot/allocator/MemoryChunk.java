package dev.ingot.allocator;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A piece of memory handed out by a {@link BufferAllocator}: a segment, its size, its alignment and its owner.
 *
 * <p>Lifecycle: an {@link EagerBufferAllocator} chunk is usable from {@code alloc} until {@code free},
 * {@code release(true)} or {@code close}. A {@link DeferBufferAllocator} chunk gets memory only when its allocator
 * applies its plan, and keeps it (even after {@code free}, which during planning only ends its lifetime) until
 * {@code reset()}, {@code release(true)} or {@code close()}. Outside that window {@link #segment()} throws
 * {@link IllegalStateException}; in checked mode so does any access through a segment obtained earlier.
 *
 * <p>Thread-safety: the accessors may be called from any thread; state changes are made by the owner.
 */
public final class MemoryChunk {
    private static final AtomicLong NEXT_ID = new AtomicLong(1);

    private final long id = NEXT_ID.getAndIncrement();
    private final BufferAllocator owner;
    private final String ownerName;
    private final long size;
    private final long alignment;
    private final Throwable allocationSite;

    /** Where the owner placed the chunk; its type is the owner's business. Guarded by the owner's lock. */
    Object placement;
    /** The chunk's slot in its owner's {@link LiveChunks}, or -1 when not live there. Guarded by the owner's lock. */
    int liveIndex = -1;

    /** Set once when the memory is given and kept after revocation, so that {@link #address()} stays readable. */
    private volatile MemorySegment segment;
    private volatile boolean freed;
    private volatile String revokedBecause;
    private Arena scope;
    /** Told when the chunk's memory is taken back without a free: an allocator built on the chunk. */
    private Runnable lossListener;

    MemoryChunk(BufferAllocator owner, String ownerName, long size, long alignment, boolean trackSite) {
        this.owner = owner;
        this.ownerName = ownerName;
        this.size = size;
        this.alignment = alignment;
        this.allocationSite = trackSite ? new Throwable("allocation site") : null;
    }

    /**
     * The chunk's memory, exactly {@link #size()} bytes long, whose address is a multiple of {@link #alignment()}.
     *
     * @throws IllegalStateException when the chunk was freed or released, or (deferred allocators) its plan has
     *                               not been applied yet
     */
    public MemorySegment segment() {
        MemorySegment current = segment;
        String why = revokedBecause;
        if (why != null) {
            throw new IllegalStateException(this + " can no longer be used: " + why);
        }
        if (current == null) {
            throw new IllegalStateException(this + " has no memory yet: its allocator has not applied its plan"
                    + " (call apply() first)");
        }
        return current;
    }

    /** Size in bytes, as asked for. */
    public long size() {
        return size;
    }

    /** Alignment in bytes of the chunk's address, as asked for. */
    public long alignment() {
        return alignment;
    }

    /** The allocator that handed the chunk out and must take it back. */
    public BufferAllocator owner() {
        return owner;
    }

    /**
     * The raw address of the chunk's memory, for alignment checks and debugging; it stays readable after the chunk
     * was freed, but must not be dereferenced then.
     *
     * @throws IllegalStateException when the chunk never had memory (a deferred chunk before {@code apply()})
     */
    public long address() {
        MemorySegment current = segment;
        if (current == null) {
            throw new IllegalStateException(this + " has no address yet: its allocator has not applied its plan");
        }
        return current.address();
    }

    /** True until the chunk is freed, or its memory is taken back by {@code release(true)}, reset or close. */
    public boolean isLive() {
        return !freed && revokedBecause == null;
    }

    /** A number unique within the process, used to name the chunk in messages. */
    public long id() {
        return id;
    }

    @Override
    public String toString() {
        return "chunk#" + id + " (" + size + " bytes, alignment " + alignment + ", owner '" + ownerName + "')";
    }

    // ---- owner-side state changes ---------------------------------------------------------------------------

    boolean isFreed() {
        return freed;
    }

    void markFreed() {
        freed = true;
    }

    /** Why the memory was taken back, or null while it is usable (or not yet backed). */
    String revokedBecause() {
        return revokedBecause;
    }

    /** Gives the chunk its memory; {@code chunkScope} is the per-chunk scope in checked mode, else null. */
    void back(MemorySegment memory, Arena chunkScope) {
        this.scope = chunkScope;
        this.segment = memory;
    }

    /**
     * Takes the memory away and queues, for after the caller's lock, the close of the chunk's own scope and, when
     * {@code lost} (taken back by {@code release(true)}, a reset or a close rather than freed), the loss listener.
     */
    void revoke(String why, boolean lost, AfterUnlock after) {
        Runnable listener = lossListener;
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
        revokedBecause = why;
        Arena toClose = scope;
        scope = null;
        lossListener = null;
        return toClose;
    }

    /** Registers who must hear when the memory is taken back without a free (see {@link #revoke}). */
    void onLoss(Runnable listener) {
        this.lossListener = listener;
    }

    /** The allocation stack, or null when tracking was off. */
    Throwable allocationSite() {
        return allocationSite;
    }
}
