package dev.ingot.allocator;

/**
 * Hears an allocator's dealings with its {@link SegmentSource}, in the manner of Apache Arrow's
 * {@code AllocationListener}: blocks reserved and returned, and refusals, with a chance to free memory and have the
 * allocator try once more. Set with {@link AllocatorOptions#withListener(AllocationListener)}; for example to feed
 * metrics, or to evict a cache when a budget runs out.
 *
 * <p>Callbacks run on the thread that caused them, while the allocator holds its lock: keep them short. They are
 * per block (rare), never per {@code alloc} or {@code free} served from the pool. An implementation shared by
 * several allocators must be thread-safe.
 */
public interface AllocationListener {

    /** A listener that does nothing. */
    AllocationListener NONE = new AllocationListener() {
    };

    /**
     * A block was reserved from the source.
     *
     * @param allocator the allocator's name
     * @param bytes     the block's size
     */
    default void onReserve(String allocator, long bytes) {
    }

    /**
     * A block went back to the source (or was taken back by it).
     *
     * @param allocator the allocator's name
     * @param bytes     the block's size
     */
    default void onReturn(String allocator, long bytes) {
    }

    /**
     * A block was refused by a limit or budget. The listener may free memory (of any allocator, this one included,
     * on this thread) and return true: the allocator then tries once more before it throws.
     *
     * @param refusal what would be thrown, naming the tenant, the request, the use and the limit
     * @return true to have the allocator try again
     */
    default boolean onRefused(AllocationLimitException refusal) {
        return false;
    }
}
