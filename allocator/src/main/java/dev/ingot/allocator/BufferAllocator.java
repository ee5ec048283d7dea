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
 */
public interface BufferAllocator extends AutoCloseable {

    /** Alignment in bytes used by {@link #alloc(long)}: MNN_MEMORY_ALIGN_DEFAULT. */
    long DEFAULT_ALIGNMENT = 64;

    /** Largest alignment a caller may ask for, in bytes. */
    long MAX_ALIGNMENT = 4096;

    /**
     * Allocates {@code size} bytes aligned to {@link #DEFAULT_ALIGNMENT}, from the free list when possible; throws
     * as {@link #alloc(long, long)}.
     */
    default MemoryChunk alloc(long size) {
        return alloc(size, DEFAULT_ALIGNMENT);
    }

    /**
     * Allocates {@code size} bytes (size &gt; 0) whose address is a multiple of {@code alignment} (a power of two,
     * at most {@link #MAX_ALIGNMENT}), whatever alignment the source gives its blocks.
     *
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
     * @throws IllegalArgumentException  when size is not positive
     * @throws AllocationLimitException  when the allocation would exceed {@link #limit(long)}
     * @throws AllocationFailedException when the source could not provide the block
     * @throws IllegalStateException     when the allocator is closed
     */
    MemoryChunk allocSeparate(long size);

    /**
     * Gives a chunk back.
     *
     * @throws IllegalStateException    when the chunk was already freed, or its memory was already taken back by
     *                                  {@code release(true)}, a reset or {@code close()}; the message names the chunk
     * @throws IllegalArgumentException when the chunk belongs to another allocator (or is null)
     */
    void free(MemoryChunk chunk);

    /**
     * Returns memory to the source: with {@code all}, every block, taking back live chunks too (they become
     * unusable, as in MNN); otherwise only blocks that are wholly free.
     *
     * @throws IllegalStateException when the allocator is closed
     */
    void release(boolean all);

    /** Bytes currently reserved from the source (in use, pooled and alignment slack). */
    long totalSize();

    /** A consistent snapshot of this allocator's accounting. */
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
     * @throws IllegalArgumentException when {@code bytes} is negative
     */
    void limit(long bytes);

    /** The chunks live right now (after {@link #close()}: those live at close), grouped by allocation site. */
    LeakReport liveChunks();

    /**
     * Frees all memory, live chunks included, and reports any live chunk as a leak through
     * {@link System.Logger}; afterwards {@link #liveChunks()} keeps answering with what was live at close.
     * Idempotent.
     */
    @Override
    void close();
}
