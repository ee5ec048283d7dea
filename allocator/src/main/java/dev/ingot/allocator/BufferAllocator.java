package dev.ingot.allocator;

/**
 * Hands out {@link MemoryChunk}s of off-heap memory and takes them back: the Java form of MNN's
 * {@code BufferAllocator}. Implementations: {@link EagerBufferAllocator} (a pool) and {@link DeferBufferAllocator}
 * (a lifetime planner).
 *
 * <p>Ownership: every chunk returned by {@code alloc} belongs to this allocator until it is passed to
 * {@link #free}. {@link #close()} returns all memory to the {@link SegmentSource}, including chunks still live
 * (which are reported as leaks). The allocator owns its source and closes it. Thread-safety is stated by each
 * implementation (both shipped ones accept calls from any thread).
 *
 * <p>Planning. The verbs of MNN's base class drive either allocator the same way. A planning round runs from
 * {@link #beginRound()} to the next {@code beginRound()} or {@link #endRound()}: chunks are allocated and freed in
 * execution order, {@link #apply()} then backs them, and every chunk of the round, freed or not, keeps its memory
 * until the round ends, while chunks freed earlier in the round share memory with later ones. The eager pool
 * reuses freed memory at once and backs chunks at {@code alloc}; the deferred planner places them all at
 * {@code apply()}. {@link #barrierBegin()}/{@link #barrierEnd()} and {@link #beginGroup()}/{@link #endGroup()}
 * let several threads plan at once.
 */
public interface BufferAllocator extends AutoCloseable {

    /** Alignment in bytes used by {@link #alloc(long)}: MNN_MEMORY_ALIGN_DEFAULT. */
    long DEFAULT_ALIGNMENT = 64;

    /** Largest alignment a caller may ask for, in bytes. */
    long MAX_ALIGNMENT = 4096;

    /**
     * Allocates {@code size} bytes aligned to {@link #DEFAULT_ALIGNMENT}, from the free list when possible; throws
     * as {@link #alloc(long, long)}.
     *
     * @param size bytes wanted, more than 0
     * @return the chunk, live until freed
     */
    default MemoryChunk alloc(long size) {
        return alloc(size, DEFAULT_ALIGNMENT);
    }

    /**
     * Allocates {@code size} bytes (size &gt; 0) whose address is a multiple of {@code alignment} (a power of two,
     * at most {@link #MAX_ALIGNMENT}), whatever alignment the source gives its blocks.
     *
     * @param size bytes wanted, more than 0
     * @param alignment the address alignment in bytes, a power of two
     * @return the chunk, live until freed
     * @throws IllegalArgumentException  when size or alignment is out of range
     * @throws AllocationLimitException  when the allocation would exceed {@link #limit(long)}
     * @throws AllocationFailedException when the source could not provide a block (the system is out of memory,
     *                                   or a mapped file could not be created or filled: a full disk); nothing
     *                                   was allocated
     * @throws IllegalStateException     when the allocator is closed
     */
    MemoryChunk alloc(long size, long alignment);

    /**
     * Allocates a chunk of {@code size} bytes, aligned to {@link #DEFAULT_ALIGNMENT}, that shares memory with no
     * other chunk: it never comes from the free list and goes back to the source when freed.
     *
     * @param size bytes wanted, more than 0
     * @return the chunk, live until freed
     * @throws IllegalArgumentException  when size is not positive
     * @throws AllocationLimitException  when the allocation would exceed {@link #limit(long)}
     * @throws AllocationFailedException when the source could not provide the block
     * @throws IllegalStateException     when the allocator is closed
     */
    MemoryChunk allocSeparate(long size);

    /**
     * Gives a chunk back.
     *
     * @param chunk a live chunk this allocator handed out
     * @throws IllegalStateException    when the chunk was already freed, or its memory was already taken back by
     *                                  {@code release(true)}, a reset or {@code close()}; the message names the chunk
     * @throws IllegalArgumentException when the chunk belongs to another allocator (or is null)
     */
    void free(MemoryChunk chunk);

    /**
     * Returns memory to the source: with {@code all}, every block, taking back live chunks too (they become
     * unusable, as in MNN); otherwise only blocks that are wholly free.
     *
     * @param all true to return every block, live chunks included; false for wholly free blocks only
     * @throws IllegalStateException when the allocator is closed
     */
    void release(boolean all);

    /**
     * Starts a planning round, ending the one before (see the class comment). A deferred planner starts a new plan:
     * every chunk of the previous plan loses its memory.
     *
     * @throws IllegalStateException when the allocator is closed
     */
    void beginRound();

    /**
     * Ends the current planning round: the chunks freed in it lose their memory now (a deferred planner drops its
     * whole plan, as {@code reset()}). Nothing happens when no round is open.
     *
     * @throws IllegalStateException when the allocator is closed
     */
    void endRound();

    /**
     * Backs the round's chunks with memory: a deferred planner computes its plan and reserves its block; the eager
     * pool, which backs chunks when they are allocated, has nothing to do.
     *
     * @throws AllocationLimitException  when the plan's memory would exceed a limit or budget; nothing changes
     * @throws AllocationFailedException when the source could not provide the memory
     * @throws IllegalStateException     when the allocator is closed
     */
    void apply();

    /**
     * The bytes the current round needs: a deferred planner's planned block (computing the plan if needed); for
     * the eager pool, the most bytes (chunk footprints) its round's chunks occupied at once.
     *
     * @return bytes
     * @throws IllegalStateException when the allocator is closed
     */
    long compute();

    /**
     * Opens a section in which several threads plan at once: freed memory is not shared between threads until
     * {@link #barrierEnd()}.
     *
     * @throws IllegalStateException when a section is already open or the allocator is closed
     */
    void barrierBegin();

    /**
     * Closes the section opened by {@link #barrierBegin()}: memory freed inside it becomes available to all.
     *
     * @throws IllegalStateException when no section is open
     */
    void barrierEnd();

    /**
     * Inside a barrier, gives the calling thread a group of its own until {@link #endGroup()}: the eager pool keeps
     * its frees private to it; the deferred planner, which defers every free of a barrier, needs nothing.
     *
     * @throws IllegalStateException outside a barrier, or when the thread already has an open group
     */
    void beginGroup();

    /**
     * Ends the calling thread's group.
     *
     * @throws IllegalStateException when the thread has no open group
     */
    void endGroup();

    /**
     * Bytes currently reserved from the source (in use, pooled and alignment slack).
     *
     * @return bytes currently reserved from the source (in use, pooled and alignment slack)
     */
    long totalSize();

    /**
     * A consistent snapshot of this allocator's accounting.
     *
     * @return a consistent snapshot of this allocator's accounting
     */
    AllocatorStats stats();

    /**
     * Allocations (and, for a planner, plans) refused by the limit since creation, for metrics. Safe to call from
     * any thread without the allocator's lock.
     *
     * @return a count that never decreases
     */
    long limitRefusals();

    /**
     * Caps the bytes this allocator may reserve from its source, pooled free bytes included; {@code Long.MAX_VALUE}
     * removes the cap. An allocation that would pass it throws {@link AllocationLimitException} and leaves the
     * allocator usable. Lowering the cap below what is reserved takes nothing back; it refuses new blocks.
     *
     * @param bytes the cap in bytes, or {@code Long.MAX_VALUE} for none
     * @throws IllegalArgumentException when {@code bytes} is negative
     */
    void limit(long bytes);

    /**
     * The chunks live right now (after {@link #close()}: those live at close), grouped by allocation site.
     *
     * @return the chunks live right now (after {@link #close()}: those live at close), grouped by allocation site
     */
    LeakReport liveChunks();

    /**
     * Frees all memory, live chunks included, and reports any live chunk as a leak through
     * {@link System.Logger}; afterwards {@link #liveChunks()} keeps answering with what was live at close.
     * Idempotent.
     */
    @Override
    void close();
}
