package dev.ingot.allocator;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The lifecycle both allocators share, written once (as Apache Arrow's {@code BaseAllocator} does for its
 * allocators): the name, the options, the gate to the source ({@link BlockSupply}: limit, budget, listener, JFR),
 * the live-chunk table, the counters, the owner and open checks, and the take-back protocol of
 * {@code release(true)}, reset and {@code close()}: revoke under the lock, let dependents (allocators built on our
 * chunks) close their scopes without it, and only then give the memory back; {@code close()} also reports leaks.
 *
 * <p>Subclasses say what their lock is, how they count pooled bytes and reuses, and how they take everything back.
 * Thread-safety: as the subclasses state; everything here runs under {@link #lock()} or {@link #takingBack}.
 */
abstract sealed class BaseAllocator implements BufferAllocator permits EagerBufferAllocator, DeferBufferAllocator {
    /** Stack frames per allocation site in the close-time leak warning. */
    static final int LOGGED_FRAMES = 12;

    final String name;
    final AllocatorOptions options;
    final BlockSupply supply;
    final LiveChunks live = new LiveChunks();
    /**
     * Held by every take-back from the revocation until the memory went back, so that two never interleave (the
     * first's memory is detached but not yet returned while its dependents close their scopes). Taken before
     * {@link #lock()}, never inside it.
     */
    final ReentrantLock takingBack = new ReentrantLock();
    long peakInUse;
    long allocations;
    boolean closed;
    private LeakReport leaksAtClose;

    BaseAllocator(SegmentSource source, AllocatorOptions options, String kind, AtomicLong instances) {
        if (options == null) {
            throw new IllegalArgumentException("options: expected AllocatorOptions, got null");
        }
        this.options = options;
        this.name = options.name().isEmpty() ? kind + "-" + instances.incrementAndGet() : options.name();
        this.supply = new BlockSupply(name, source, options);
    }

    /** The monitor that guards the allocator's state. */
    abstract Object lock();

    /** Free bytes held for reuse (under the lock). */
    abstract long pooledBytes();

    /** Bytes of freed chunks not yet reusable, waiting for their checking scope to close (under the lock). */
    long quarantined() {
        return 0;
    }

    /** Allocations that shared memory with an earlier chunk (under the lock). */
    abstract long reuses();

    /**
     * Under the lock: revokes every chunk (queuing scopes and dependents' notices in {@code after}, and closing the
     * scopes that guard our own memory) and detaches the memory; returns what gives it back to the source, which
     * runs under the lock once dependents let go of it.
     */
    abstract Runnable takeEverythingBack(String why, AfterUnlock after);

    /** Under the lock, at close, before everything is taken back: stop what runs on its own. */
    void onClose() {
    }

    /**
     * The name used in messages, logs and JFR events.
     *
     * @return the name (given in the options, or made from the kind and a counter)
     */
    public String name() {
        return name;
    }

    /**
     * The settings this allocator was built with (the limit may have changed since; see {@link #stats()}).
     *
     * @return the options
     */
    public AllocatorOptions options() {
        return options;
    }

    @Override
    public long totalSize() {
        synchronized (lock()) {
            return supply.reserved();
        }
    }

    @Override
    public AllocatorStats stats() {
        synchronized (lock()) {
            return new AllocatorStats(live.bytes(), pooledBytes(), supply.reserved(), peakInUse, allocations,
                    reuses(), quarantined());
        }
    }

    @Override
    public long limitRefusals() {
        return supply.refusals();
    }

    @Override
    public void limit(long bytes) {
        synchronized (lock()) {
            supply.limit(bytes);
        }
    }

    @Override
    public LeakReport liveChunks() {
        synchronized (lock()) {
            return closed ? leaksAtClose : live.report();
        }
    }

    /** Counts a chunk that was just given memory or a lifetime (under the lock). */
    void counted(MemoryChunk chunk) {
        live.add(chunk);
        allocations++;
        peakInUse = Math.max(peakInUse, live.bytes());
    }

    /** Takes everything back ({@code release(true)}, a reset): the shared protocol, see the class comment. */
    void takeBack(String why) {
        takingBack.lock();
        try {
            AfterUnlock after = new AfterUnlock();
            Runnable giveBack;
            synchronized (lock()) {
                ensureOpen();
                giveBack = takeEverythingBack(why, after);
            }
            giveBackAfterDependents(giveBack, after);
        } finally {
            takingBack.unlock();
        }
    }

    @Override
    public void close() {
        LeakReport leaks;
        takingBack.lock();
        try {
            AfterUnlock after = new AfterUnlock();
            Runnable giveBack;
            synchronized (lock()) {
                if (closed) {
                    return;
                }
                leaks = live.report();
                leaksAtClose = leaks;
                onClose();
                giveBack = takeEverythingBack("its allocator '" + name + "' was closed", after);
                closed = true;
            }
            giveBackAfterDependents(giveBack, after);
            synchronized (lock()) {
                supply.close();
            }
        } finally {
            takingBack.unlock();
        }
        if (!leaks.isEmpty()) {
            options.logger().log(System.Logger.Level.WARNING,
                    () -> "allocator '" + name + "' closed with " + leaks.describe(LOGGED_FRAMES));
        }
    }

    /**
     * Tells the allocators built on our revoked chunks (child sources) that their memory is gone, so that they close
     * their own chunks' scopes, and only then gives the detached memory back: no scope that depends on it may still
     * be open when it is unmapped. The notices run without our lock (a child may be calling us).
     */
    private void giveBackAfterDependents(Runnable giveBack, AfterUnlock after) {
        try {
            after.run();
        } finally {
            synchronized (lock()) {
                giveBack.run();
            }
        }
    }

    /** Refuses a null chunk or one of another allocator. */
    void checkOwned(MemoryChunk chunk) {
        if (chunk == null) {
            throw new IllegalArgumentException("chunk: expected a MemoryChunk of '" + name + "', got null");
        }
        if (chunk.owner() != this) {
            throw new IllegalArgumentException("chunk: expected a chunk of '" + name + "', got " + chunk);
        }
    }

    /** Refuses calls on a closed allocator (under the lock). */
    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("allocator '" + name + "' is closed");
        }
    }
}
