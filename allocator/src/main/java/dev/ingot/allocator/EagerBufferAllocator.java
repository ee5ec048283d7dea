package dev.ingot.allocator;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * MNN's eager pool: chunks are carved from blocks reserved from a {@link SegmentSource}, and freed chunks go back
 * to a free list for reuse.
 *
 * <p>Policy. The free list is ordered by size and searched best fit (the smallest piece that holds the chunk and
 * its alignment padding); the rest of a split piece stays free (a chunk that will be quarantined after its free,
 * one in a scope batch, is carved from the piece's end, so that the fast chunks keep their places while it waits).
 * Chunk footprints are rounded up to 64 bytes. A
 * freed chunk is merged at once with free neighbours in the same block (MNN merges only when a whole block is
 * free), so a block that empties becomes one piece again. A new block is at least
 * {@link AllocatorOptions#minBlockSize()} bytes. Free memory stays pooled for reuse up to
 * {@link AllocatorOptions#maxPooled()} bytes (unbounded by default, as in MNN); past that, blocks that empty go
 * back to the source at once. {@link #allocSeparate} reserves a block for the chunk alone and
 * returns it to the source on {@code free}. {@code release(false)} returns wholly free blocks, {@code release(true)}
 * every block, taking back the live chunks too (they become unusable, as in MNN).
 *
 * <p>Limit. {@link #limit(long)} caps the bytes reserved from the source, pooled free bytes included. Before
 * refusing, the allocator shrinks the new block to the exact need and gives wholly free blocks back; only then
 * does it throw {@link AllocationLimitException}. A refusal allocates nothing and leaves every live chunk and the
 * counters as they were (only wholly free blocks may have gone back while trying).
 *
 * <p>Groups. A planning thread may call {@link #beginGroup()} inside a {@link #barrierBegin()} /
 * {@link #barrierEnd()} section: until {@link #endGroup()} its frees go to a private free list, and its allocations
 * look there first, so threads that plan at the same time do not take each other's freed memory and each plan
 * stays what it would be alone. {@code barrierEnd()} merges every group's pieces back into the shared list. Groups
 * are held in a map keyed by thread and dropped at {@code barrierEnd()}: nothing is stranded in thread-locals when
 * pool threads come and go, and a thread that dies inside its group has that group ended at {@code barrierEnd()}.
 *
 * <p>Thread-safety. Every method may be called from any thread. State changes are serialized by one internal lock;
 * a critical section is a few tree operations (O(log n) in the number of free pieces; a request aligned above 64
 * bytes may also skip pieces whose padding does not fit), plus the slice of the chunk's segment. A fast-mode free
 * is one critical section, and so is a checked-mode free, which puts the chunk's memory in its scope batch's
 * quarantine (see {@link AllocatorOptions#checkBatch()}); the free that empties a full batch closes the batch's
 * scope (one thread handshake for the whole batch) between two short critical sections, before the memory can be
 * handed out again. A chunk with a scope of its own (a batch of one, or placed in a planning round) closes it the
 * same way at its free or at the round's end. {@code release(true)} and {@code close()} close
 * scopes under the lock and then, without it, let allocators built on the revoked chunks (child sources) close
 * theirs; only then do the blocks go back to the source, so no scope ever reaches memory that was given back.
 *
 * <p>Garbage. In fast mode, once the pool holds the memory, {@code alloc} makes one small object, the chunk handle
 * (64 bytes), plus its segment slice (40 bytes) unless a chunk of the same size sat at the same place before, and
 * {@code free} makes none: the free pieces are nodes of their own size-ordered tree and linked to their
 * neighbours, and the pool reuses them as it splits and merges. Handles themselves are never reused, so a stale
 * handle is always recognized (double free, use after free); a slice may be, since it is immutable and in fast
 * mode gives nothing a kept segment could not reach anyway.
 */
public final class EagerBufferAllocator extends BaseAllocator {
    private static final AtomicLong INSTANCES = new AtomicLong();

    /** Guards all state; a monitor, which spins briefly before parking: critical sections are short. */
    private final Object lock = new Object();
    private final FreeList shared = new FreeList();
    private final SpanCache spares = new SpanCache();
    private final Set<Block> blocks = new LinkedHashSet<>();
    private final PlanningGroups groups;
    private final PlanningRound round = new PlanningRound();
    /** How the idle policy sees and returns blocks; one object, so that a check allocates nothing. */
    private final IdleBlocks.Returner idleReturner = new IdleBlocks.Returner() {
        @Override
        public boolean isIdle(Block block) {
            return block.isWhollyFreeIn(shared) && block.pinnedByRound == 0;
        }

        @Override
        public void giveBack(Block block) {
            shared.remove(block.first);
            returnBlock(block);
        }
    };
    private final IdleBlocks idle;
    /** The background idle check, or null when not asked for. */
    private final ScheduledFuture<?> idleChecks;
    private long nextBlockId;
    private long reuses;
    /** The scope batch new checked chunks join, or null until one is needed (see {@link ScopeBatch}). */
    private ScopeBatch openBatch;
    /** Every batch whose scope is not closed and quarantine not released yet, the open one included. */
    private final Set<ScopeBatch> batches = new LinkedHashSet<>();
    /** Bytes of the spans waiting in the batches' quarantines. */
    private long quarantinedBytes;
    /** Allocations left before the next sampled one (sampled checks), drawn at random with mean checkInterval. */
    private int untilSample;

    /** An allocator on {@link SegmentSource#arena()} with {@link AllocatorOptions#defaults()}. */
    public EagerBufferAllocator() {
        this(SegmentSource.arena(), AllocatorOptions.defaults());
    }

    /**
     * An allocator on {@code source} (which it owns and closes) with {@link AllocatorOptions#defaults()}.
     *
     * @param source where blocks come from; this allocator owns and closes it
     */
    public EagerBufferAllocator(SegmentSource source) {
        this(source, AllocatorOptions.defaults());
    }

    /**
     * An allocator on {@code source}, which it owns and closes in {@link #close()}.
     *
     * @param source where blocks come from; this allocator owns and closes it
     * @param options name, checking and tracking modes, block size, limit and pool cap
     */
    public EagerBufferAllocator(SegmentSource source, AllocatorOptions options) {
        super(source, options, "eager", INSTANCES);
        this.groups = new PlanningGroups(name);
        this.untilSample = options.checkInterval() > 1 ? sampleGap(options.checkInterval()) : 0;
        source.onBlockLost(this::blockLost);
        this.idle = new IdleBlocks(options.idleReturnNanos(), options.clock());
        this.idleChecks = idle.enabled() && options.idleReturnThread()
                ? IdleBlocks.scheduleChecks(this, EagerBufferAllocator::trimIdleQuietly, options.idleReturnNanos() / 2)
                : null;
    }

    @Override
    Object lock() {
        return lock;
    }

    @Override
    public MemoryChunk alloc(long size, long alignment) {
        Sizes.checkSize(size);
        Sizes.checkAlignment(alignment);
        MemoryChunk chunk = new MemoryChunk(this, name, size, alignment, LiveChunks.shouldTrack(options));
        long footprint = Sizes.footprint(size);
        synchronized (lock) {
            ensureOpen();
            FreeList list = currentList();
            Span piece = list.bestFit(footprint, alignment);
            if (piece == null && list != shared) {
                piece = shared.bestFit(footprint, alignment);
            }
            if (piece != null) {
                reuses++;
            } else {
                piece = newBlock(size, footprint, alignment, false).first;
                list.add(piece);
            }
            place(chunk, piece, footprint, alignment);
            if (idle.due()) {
                returnIdleBlocks();
            }
            return chunk;
        }
    }

    @Override
    public MemoryChunk allocSeparate(long size) {
        Sizes.checkSize(size);
        MemoryChunk chunk = new MemoryChunk(this, name, size, DEFAULT_ALIGNMENT, LiveChunks.shouldTrack(options));
        long footprint = Sizes.footprint(size);
        synchronized (lock) {
            ensureOpen();
            Span whole = newBlock(size, footprint, DEFAULT_ALIGNMENT, true).first;
            shared.add(whole);
            place(chunk, whole, footprint, DEFAULT_ALIGNMENT);
            return chunk;
        }
    }

    @Override
    public void free(MemoryChunk chunk) {
        checkOwned(chunk);
        Span span;
        Arena scope = null;
        ScopeBatch closing = null;
        synchronized (lock) {
            if (chunk.isFreed()) {
                throw new IllegalStateException("double free of " + chunk);
            }
            if (!live.contains(chunk)) {
                throw new IllegalStateException("cannot free " + chunk + ": " + chunk.revokedBecause());
            }
            chunk.markFreed();
            live.remove(chunk);
            span = chunk.span();
            chunk.placement = null;
            round.freed(span.size);
            ScopeBatch batch = chunk.batch();
            if (batch != null) {
                // Revoked now; its memory waits out of every free list until the batch's scope is closed.
                chunk.revoke("it was freed");
                closing = quarantine(batch, span);
                if (closing == null && idle.due()) {
                    returnIdleBlocks();
                }
            } else if (round.isOpen()) {
                // Reusable by the round's later allocations, but the chunk keeps its segment until the round ends.
                round.keep(chunk, span.block);
                returnMemory(span);
                return;
            } else {
                scope = chunk.revoke("it was freed");
                if (scope == null) {
                    returnMemory(span); // fast mode: nothing to close, one critical section
                    if (idle.due()) {
                        returnIdleBlocks();
                    }
                    return;
                }
            }
        }
        if (closing != null) {
            closeAndRelease(closing); // the batch's last chunk: one close revokes them all
            return;
        }
        if (scope != null) {
            // The chunk's own scope closes before its memory can be handed out again, and outside the lock.
            scope.close();
            synchronized (lock) {
                returnMemory(span);
            }
        }
    }

    /**
     * Closes the scope that checked chunks share now, whether or not it is full, so that every segment kept from a
     * freed one throws from now on, and hands their quarantined memory back to the free list. A batch some of whose
     * chunks are still live keeps its scope (it cannot be closed under them): it closes when its last chunk is
     * freed. Costs one thread handshake when there was something to close; nothing in fast mode.
     *
     * @throws IllegalStateException when the allocator is closed
     */
    public void flushChecks() {
        List<ScopeBatch> closable;
        synchronized (lock) {
            ensureOpen();
            sealOpenBatch();
            closable = closableBatches();
        }
        for (ScopeBatch batch : closable) {
            closeAndRelease(batch); // waits for a close in flight on another thread
        }
    }

    /** The batches whose scopes may be closed now (under the lock). */
    private List<ScopeBatch> closableBatches() {
        List<ScopeBatch> closable = List.of();
        for (ScopeBatch batch : batches) {
            if (batch.closable()) {
                if (closable.isEmpty()) {
                    closable = new ArrayList<>();
                }
                closable.add(batch);
            }
        }
        return closable;
    }

    /**
     * Bytes of freed checked chunks waiting for their batch's scope to close (see
     * {@link AllocatorOptions#checkBatch()}); 0 in fast mode.
     *
     * @return bytes in quarantine
     */
    public long quarantinedBytes() {
        synchronized (lock) {
            return quarantinedBytes;
        }
    }

    /** Puts a freed batch chunk's span in quarantine; returns the batch when this free made it closable. */
    private ScopeBatch quarantine(ScopeBatch batch, Span span) {
        if (batch.isClosed()) {
            span.batch = null; // its scope was closed early (a lost block): nothing can reach the memory any more
            returnMemory(span);
            return null;
        }
        span.quarantined = true;
        quarantinedBytes += span.size;
        return batch.quarantine(span) ? batch : null;
    }

    /** Seals the open batch (under the lock); returns it when it may be closed at once, else null. */
    private ScopeBatch sealOpenBatch() {
        ScopeBatch batch = openBatch;
        if (batch == null) {
            return null;
        }
        openBatch = null;
        return batch.seal() ? batch : null;
    }

    /** Closes a closable batch's scope without the lock, then gives its quarantine back to the free list. */
    private void closeAndRelease(ScopeBatch batch) {
        if (batch == null) {
            return;
        }
        batch.close();
        synchronized (lock) {
            releaseQuarantine(batch);
        }
    }

    /** Under the lock, once the batch's scope is closed: its quarantined spans become free memory again. */
    private void releaseQuarantine(ScopeBatch batch) {
        if (!batches.remove(batch)) {
            return; // released already (a flush or a refusal closed it before the closing thread did)
        }
        for (Span span : batch.drainQuarantine()) {
            if (span.block.returned || !span.quarantined) {
                continue; // its block went away meanwhile (release(true), close, a lost block)
            }
            span.quarantined = false;
            span.batch = null;
            quarantinedBytes -= span.size;
            returnMemory(span);
        }
    }

    @Override
    public void release(boolean all) {
        if (all) {
            takeBack("release(true) took its memory back");
            return;
        }
        flushChecks();
        synchronized (lock) {
            ensureOpen();
            returnWhollyFreeBlocks(0);
        }
    }

    /**
     * Gives every wholly free block back to the source: the same as {@code release(false)}, which first closes the
     * checked chunks' open scope batch ({@link #flushChecks()}) so that their quarantined memory counts as free.
     */
    public void trim() {
        release(false);
    }

    /**
     * Gives back the blocks wholly free for at least the idle time of {@link AllocatorOptions#withIdleReturn}
     * (nothing when no idle time is set). The pool also does this on its own calls.
     *
     * @throws IllegalStateException when the allocator is closed
     */
    public void trimIdle() {
        flushChecks();
        synchronized (lock) {
            ensureOpen();
            returnIdleBlocks();
        }
    }

    private void trimIdleQuietly() {
        List<ScopeBatch> closable;
        synchronized (lock) {
            if (closed) {
                return;
            }
            sealOpenBatch();
            closable = closableBatches();
        }
        for (ScopeBatch batch : closable) {
            closeAndRelease(batch);
        }
        synchronized (lock) {
            if (!closed) {
                returnIdleBlocks();
            }
        }
    }

    private void returnIdleBlocks() {
        idle.collect(idleReturner);
    }

    /**
     * The limit in force.
     *
     * @return bytes; {@link Long#MAX_VALUE} when none
     */
    public long limit() {
        synchronized (lock) {
            return supply.limit();
        }
    }

    @Override
    long pooledBytes() {
        return shared.bytes() + groups.pooledBytes();
    }

    @Override
    long quarantined() {
        return quarantinedBytes;
    }

    @Override
    long reuses() {
        return reuses;
    }

    @Override
    void onClose() {
        if (idleChecks != null) {
            idleChecks.cancel(false);
        }
    }

    @Override
    Runnable takeEverythingBack(String why, AfterUnlock after) {
        revokeAll(why, after);
        round.end(why, after);
        after.closeScopes();
        for (ScopeBatch batch : batches) {
            batch.close(); // waits for a close in flight: no batch scope may outlive the memory
        }
        batches.clear();
        openBatch = null;
        quarantinedBytes = 0;
        List<Block> leaving = detachAllBlocks();
        return () -> {
            for (Block block : leaving) {
                supply.giveBack(block.memory);
            }
        };
    }

    // ---- planning rounds --------------------------------------------------------------------------------------

    /**
     * Starts a planning round, ending the one before. Until the round ends, a freed chunk's memory is reused by the
     * round's later allocations at once, while the chunk keeps its segment (in checked mode, its scope) until the
     * round ends: a plan binds every chunk of the round, freed or not, and runs them in the order planned. No block
     * holding such a chunk goes back to the source before the round ends.
     *
     * @throws IllegalStateException when the allocator is closed
     */
    @Override
    public void beginRound() {
        synchronized (lock) {
            ensureOpen();
            endRoundLocked();
            round.begin();
        }
    }

    /**
     * Ends the planning round, if one is open: the chunks freed in it lose their memory now, and blocks go back to
     * the source as {@link AllocatorOptions#maxPooled()} says.
     *
     * @throws IllegalStateException when the allocator is closed
     */
    @Override
    public void endRound() {
        synchronized (lock) {
            ensureOpen();
            endRoundLocked();
        }
    }

    /** Nothing to do: the pool backs every chunk when it is allocated. */
    @Override
    public void apply() {
        synchronized (lock) {
            ensureOpen();
        }
    }

    /**
     * The most bytes (chunk footprints) the chunks of the current round occupied at once, which is what the round
     * needs: the pool places chunks when they are allocated.
     */
    @Override
    public long compute() {
        synchronized (lock) {
            return round.peakFootprint();
        }
    }

    private void endRoundLocked() {
        if (!round.isOpen()) {
            return;
        }
        AfterUnlock after = new AfterUnlock();
        List<Block> unpinned = round.end("its planning round ended", after);
        after.closeScopes(); // scopes of the round's freed chunks close before any block can go back
        for (Block block : unpinned) {
            if (block.separate && !block.returned && block.liveChunks == 0 && block.pinnedByRound == 0) {
                block.removeFreePieces();
                returnBlock(block);
            }
        }
        returnWhollyFreeBlocks(options.maxPooled());
    }

    // ---- groups and barriers ------------------------------------------------------------------------------------

    /**
     * Opens a planning section in which threads may use private free lists ({@link #beginGroup()}).
     *
     * @throws IllegalStateException when a section is already open or the allocator is closed
     */
    @Override
    public void barrierBegin() {
        synchronized (lock) {
            ensureOpen();
            groups.beginBarrier();
        }
    }

    /**
     * Closes the planning section: every group's free pieces go back to the shared free list (merged with their
     * free neighbours). The group of a thread that died without {@code endGroup()} is ended here too, so its
     * memory is not stranded.
     *
     * @throws IllegalStateException when no section is open or a live thread's group is still open
     */
    @Override
    public void barrierEnd() {
        synchronized (lock) {
            ensureOpen();
            for (FreeList group : groups.endBarrier()) {
                for (Span piece : group.drain()) {
                    putBack(piece, shared);
                }
            }
            returnWhollyFreeBlocks(options.maxPooled());
        }
    }

    /**
     * Gives the calling thread a private free list until {@link #endGroup()}: its frees go there and its
     * allocations look there before the shared list.
     *
     * @throws IllegalStateException outside a barrier, or when the thread already has an open group
     */
    @Override
    public void beginGroup() {
        synchronized (lock) {
            ensureOpen();
            groups.beginGroup(Thread.currentThread());
        }
    }

    /**
     * Ends the calling thread's group; its pieces stay private until {@link #barrierEnd()}.
     *
     * @throws IllegalStateException when the thread has no open group
     */
    @Override
    public void endGroup() {
        synchronized (lock) {
            groups.endGroup(Thread.currentThread());
        }
    }

    @Override
    public String toString() {
        return "EagerBufferAllocator '" + name + "'";
    }

    // ---- internals (all called under the lock) ------------------------------------------------------------------

    private FreeList currentList() {
        if (!groups.anyOpen()) {
            return shared;
        }
        FreeList group = groups.groupOf(Thread.currentThread());
        return group != null ? group : shared;
    }

    /**
     * Carves the chunk from {@code piece}, keeping the alignment padding and the remainder free. In checked mode the
     * chunk's segment is moved into a scope of its own with {@code reinterpret}, a restricted method: the module
     * needs {@code --enable-native-access=dev.ingot.allocator} to run it without a warning.
     */
    @SuppressWarnings("restricted")
    private void place(MemoryChunk chunk, Span piece, long footprint, long alignment) {
        FreeList list = piece.list;
        Block block = piece.block;
        list.remove(piece);
        boolean checks = checksThisChunk();
        boolean batched = checks && !round.isOpen() && options.checkBatch() > 1;
        // A batched chunk's memory will wait in quarantine after its free: carved from the end of the piece, it
        // leaves the piece's start, where the next fast chunk goes, where it was.
        long padding = batched ? piece.paddingAtEnd(footprint, alignment) : piece.padding(alignment);
        if (padding > 0) {
            Span before = spares.take(block, piece.offset, padding);
            piece.linkBefore(before);
            list.add(before);
        }
        long offset = piece.offset + padding;
        long tail = piece.size - padding - footprint;
        if (tail > 0) {
            Span after = spares.take(block, offset + footprint, tail);
            piece.linkAfter(after);
            list.add(after);
        }
        // The piece itself now holds the chunk.
        piece.offset = offset;
        piece.size = footprint;
        block.liveChunks++;
        round.placed(footprint);
        chunk.placement = piece;
        if (!checks) {
            chunk.back(piece.slice(chunk.size()), null);
        } else if (!batched) {
            // A round's chunk keeps its memory until the round ends while later ones reuse it: a scope of its own,
            // closed when the round ends.
            Arena scope = Arena.ofShared();
            chunk.back(block.memory.asSlice(offset, chunk.size()).reinterpret(scope, null), scope);
        } else {
            ScopeBatch batch = openBatch();
            chunk.backInBatch(block.viewIn(batch).asSlice(offset, chunk.size()), batch);
            piece.batch = batch;
            batch.join(footprint);
            if (batch.isSealed()) {
                openBatch = null; // full: it closes once its last chunk is freed
            }
        }
        counted(chunk);
    }

    /** The batch new checked chunks join, opened when there is none. */
    private ScopeBatch openBatch() {
        ScopeBatch batch = openBatch;
        if (batch == null) {
            int chunks = options.checkBatch();
            long bytes = options.minBlockSize() > Long.MAX_VALUE / chunks ? Long.MAX_VALUE
                    : chunks * options.minBlockSize();
            batch = new ScopeBatch(chunks, bytes);
            openBatch = batch;
            batches.add(batch);
        }
        return batch;
    }

    /** Allocations until the next sampled one: uniform in [1, 2n - 1], so one in n on average. */
    private static int sampleGap(int interval) {
        return 1 + ThreadLocalRandom.current().nextInt((int) Math.min(Integer.MAX_VALUE, 2L * interval - 1));
    }

    /** Checked mode: every chunk; sampled checks: one in {@code checkInterval}, at random; fast mode: none. */
    private boolean checksThisChunk() {
        if (options.checked()) {
            return true;
        }
        int interval = options.checkInterval();
        if (interval <= 1) {
            return interval == 1;
        }
        // A countdown with random gaps (uniform in [1, 2n - 1], mean n) costs one decrement per allocation.
        if (--untilSample > 0) {
            return false;
        }
        untilSample = sampleGap(interval);
        return true;
    }

    /**
     * Reserves a block for a chunk of {@code footprint} bytes within the limit and the budget, or throws the refusal.
     * Tries a block of the preferred size, then of the exact need, then gives wholly free blocks back and tries the
     * exact need again.
     */
    private Block newBlock(long requested, long footprint, long alignment, boolean separate) {
        long exact = footprint;
        long preferred = separate ? exact : Math.max(options.minBlockSize(), exact);
        MemorySegment memory = supply.tryReserve(preferred, MAX_ALIGNMENT);
        long size = preferred;
        if (memory == null && preferred != exact) {
            memory = supply.tryReserve(exact, MAX_ALIGNMENT);
            size = exact;
        }
        if (memory == null) {
            sealOpenBatch();
            for (ScopeBatch closing : closableBatches()) {
                // Quarantined memory counts against the limit: close its scope here, under the lock (a refusal
                // is rare), rather than refuse while memory waits to be reused.
                closing.close();
                releaseQuarantine(closing);
            }
            returnWhollyFreeBlocks(0);
            memory = supply.tryReserve(exact, MAX_ALIGNMENT);
            size = exact;
        }
        if (memory == null) {
            AllocationLimitException refusal = supply.refuse(requested, live.bytes());
            if (!supply.retryAfter(refusal)) {
                throw refusal;
            }
            memory = supply.tryReserve(exact, MAX_ALIGNMENT); // the listener freed memory: once more
            if (memory == null) {
                throw supply.refuse(requested, live.bytes());
            }
        }
        long padding = Sizes.alignUp(memory.address(), alignment) - memory.address();
        if (padding + footprint <= size) {
            return register(new Block(nextBlockId++, memory, separate));
        }
        // The source ignored the alignment: ask again with room for the padding.
        supply.giveBack(memory);
        MemorySegment padded = supply.tryReserve(size + alignment, MAX_ALIGNMENT);
        if (padded == null) {
            throw supply.refuse(requested, live.bytes());
        }
        return register(new Block(nextBlockId++, padded, separate));
    }

    private Block register(Block block) {
        blocks.add(block);
        return block;
    }

    private void returnBlock(Block block) {
        block.returned = true;
        blocks.remove(block);
        supply.giveBack(block.memory);
    }

    /**
     * Returns wholly free blocks to the source until at most {@code keepPooled} free bytes remain pooled (or no
     * wholly free block is left).
     */
    private void returnWhollyFreeBlocks(long keepPooled) {
        if (keepPooled == Long.MAX_VALUE || pooledBytes() <= keepPooled) {
            return; // the common case, checked before copying the block set
        }
        for (Block block : List.copyOf(blocks)) {
            if (pooledBytes() <= keepPooled) {
                return;
            }
            if (block.isWhollyFreeIn(shared) && block.pinnedByRound == 0) {
                shared.remove(block.first);
                returnBlock(block);
            }
        }
    }

    /**
     * Takes every block out of the allocator (their pieces go with them, not back to the spare spans) and returns
     * them, still reserved, for the caller to give back once the scopes that depend on them are closed.
     */
    private List<Block> detachAllBlocks() {
        shared.drain();
        idle.clear();
        groups.clear();
        List<Block> detached = List.copyOf(blocks);
        for (Block block : detached) {
            block.returned = true;
        }
        blocks.clear();
        return detached;
    }

    /** Puts a freed chunk's span back in the free list, unless its block went away meanwhile. */
    private void returnMemory(Span span) {
        Block block = span.block;
        if (closed || block.returned) {
            return; // release(true), close or the parent took the whole block while the scope was closing
        }
        block.liveChunks--;
        if (block.separate) {
            if (block.pinnedByRound > 0) {
                return; // its chunk keeps its memory until the planning round ends, which returns the block
            }
            block.removeFreePieces();
            returnBlock(block);
        } else {
            putBack(span, currentList());
            if (!round.isOpen()) {
                returnWhollyFreeBlocks(options.maxPooled()); // a round trims once, at its end
            }
        }
    }

    /**
     * Adds a span that is in no list to {@code list}, merged with the free neighbours that list holds in the same
     * block (pieces of other lists stay apart until their group ends); merged-away spans are kept for reuse.
     */
    private void putBack(Span span, FreeList list) {
        Span before = span.prev;
        if (before != null && before.list == list) {
            list.remove(before);
            span.offset = before.offset;
            span.size += before.size;
            before.unlink();
            spares.give(before);
        }
        Span after = span.next;
        if (after != null && after.list == list) {
            list.remove(after);
            span.size += after.size;
            after.unlink();
            spares.give(after);
        }
        list.add(span);
        if (span.prev == null && span.next == null && list == shared && !span.block.separate) {
            idle.becameFree(span.block); // the whole block is one free piece again
        }
    }

    /**
     * The parent of a child source took one of our blocks back: revoke the chunks carved from it and forget it.
     * Called after the parent released its lock.
     */
    private void blockLost(MemorySegment memory) {
        AfterUnlock after = new AfterUnlock();
        synchronized (lock) {
            Block block = blocks.stream().filter(b -> b.memory.address() == memory.address()).findFirst()
                    .orElse(null);
            if (closed || block == null) {
                return;
            }
            for (MemoryChunk chunk : live.removeIf(c -> c.span().block == block)) {
                chunk.placement = null;
                chunk.revoke("its parent allocator took the block back", true, after);
                ScopeBatch batch = chunk.batch();
                if (batch != null) {
                    batch.lost();
                }
            }
            round.dropBlock(block, "its parent allocator took the block back", after);
            after.closeScopes();
            closeBatchesIn(block);
            block.removeFreePieces();
            block.returned = true;
            blocks.remove(block);
            supply.forget(block.memory);
        }
        after.run();
    }

    /**
     * Closes, under the lock, the scope of every batch with a chunk (live or quarantined) in a block that is going
     * away, so that no segment keeps reaching it. Chunks of those batches in other blocks lose access too, although
     * live: a scope cannot be closed for some of its segments only (a child source loses its blocks when its parent
     * takes everything back, so they are about to go as well). Their quarantined memory elsewhere is free again.
     */
    private void closeBatchesIn(Block block) {
        Set<ScopeBatch> hit = new LinkedHashSet<>();
        for (Span span = block.first; span != null; span = span.next) {
            if (span.batch != null) {
                hit.add(span.batch);
            }
            if (span.quarantined) {
                span.quarantined = false;
                quarantinedBytes -= span.size;
            }
        }
        for (ScopeBatch batch : hit) {
            batch.close();
            if (batch == openBatch) {
                openBatch = null;
            }
            releaseQuarantine(batch);
        }
    }

    private void revokeAll(String why, AfterUnlock after) {
        for (MemoryChunk chunk : live.drain()) {
            chunk.placement = null;
            chunk.revoke(why, true, after);
        }
    }

    /**
     * Checks the pool's bookkeeping and throws {@link IllegalStateException} naming the first broken rule: the spans
     * of each block tile it in address order, freed neighbours of one list are merged, each block counts its chunks
     * right, and the free lists' trees and byte counts agree with the spans. For tests, with no free in flight.
     */
    void checkInvariants() {
        synchronized (lock) {
            shared.checkInvariants();
            long freeInShared = 0;
            long freeAnywhere = 0;
            long quarantinedInSpans = 0;
            for (Block block : blocks) {
                if (block.returned || block.first == null || block.first.prev != null) {
                    throw new IllegalStateException("block " + block.id + " is returned or has no first span");
                }
                long expectedOffset = 0;
                int used = 0;
                for (Span span = block.first; span != null; span = span.next) {
                    if (span.quarantined) {
                        quarantinedInSpans += span.size;
                        if (span.isFree() || span.batch == null) {
                            throw new IllegalStateException(span + " is quarantined but free or in no batch");
                        }
                    }
                    if (span.block != block || span.offset != expectedOffset || span.size <= 0
                            || (span.next != null && span.next.prev != span)) {
                        throw new IllegalStateException(span + " does not tile block " + block.id);
                    }
                    if (span.isFree() && span.next != null && span.next.list == span.list) {
                        throw new IllegalStateException(span + " was not merged with its free neighbour");
                    }
                    if (!span.isFree()) {
                        used++;
                    } else {
                        freeAnywhere += span.size;
                        if (span.list == shared) {
                            freeInShared += span.size;
                        }
                    }
                    expectedOffset = span.end();
                }
                if (expectedOffset != block.size() || used != block.liveChunks) {
                    throw new IllegalStateException("block " + block.id + " spans end at " + expectedOffset + " of "
                            + block.size() + " bytes and hold " + used + " chunks; it counts " + block.liveChunks);
                }
            }
            if (quarantinedInSpans != quarantinedBytes) {
                throw new IllegalStateException("quarantined spans hold " + quarantinedInSpans + " bytes; the pool counts "
                        + quarantinedBytes);
            }
            if (freeInShared != shared.bytes() || freeAnywhere != pooledBytes()) {
                throw new IllegalStateException("free spans hold " + freeInShared + " shared / " + freeAnywhere
                        + " pooled bytes; the lists count " + shared.bytes() + " / " + pooledBytes());
            }
        }
    }

}
