package dev.ingot.allocator;

/**
 * A snapshot of an allocator's accounting, all sizes in bytes.
 *
 * @param inUse       bytes in chunks handed out and not yet freed
 * @param pooled      bytes held in the free list, ready for reuse
 * @param reserved    bytes currently taken from the {@link SegmentSource} (in use + pooled + alignment slack)
 * @param peakInUse   the largest {@code inUse} seen since creation
 * @param allocations number of successful {@code alloc}/{@code allocSeparate} calls
 * @param reuses      allocations served from the free list (a freed chunk or the unused rest of a block) without
 *                    taking memory from the source; for a {@link DeferBufferAllocator}, the chunks of the plan that
 *                    share bytes with another chunk
 */
public record AllocatorStats(long inUse, long pooled, long reserved, long peakInUse, long allocations, long reuses) {

    /**
     * Fraction of allocations served from the free list, 0 when nothing was allocated.
     *
     * @return fraction of allocations served from the free list, 0 when nothing was allocated
     */
    public double reuseRate() {
        return allocations == 0 ? 0.0 : (double) reuses / allocations;
    }
}
