package dev.ingot.allocator;

/**
 * A snapshot of an allocator's accounting, all sizes in bytes.
 *
 * @param inUse       bytes in chunks handed out and not yet freed
 * @param pooled      bytes held in the free list, ready for reuse
 * @param reserved    bytes currently taken from the {@link SegmentSource} (in use + pooled + quarantined +
 *                    alignment slack)
 * @param peakInUse   the largest {@code inUse} seen since creation
 * @param allocations number of successful {@code alloc}/{@code allocSeparate} calls
 * @param reuses      allocations served from the free list (a freed chunk or the unused rest of a block) without
 *                    taking memory from the source; for a {@link DeferBufferAllocator}, the chunks of the plan that
 *                    share bytes with another chunk
 * @param quarantined bytes of freed checked chunks waiting for their batch's scope to close before they can be
 *                    reused (see {@link AllocatorOptions#checkBatch()}); 0 in fast mode
 */
public record AllocatorStats(long inUse, long pooled, long reserved, long peakInUse, long allocations, long reuses,
                             long quarantined) {

    /**
     * The six-figure form (the first form of this record), with nothing quarantined.
     *
     * @param inUse       bytes in chunks handed out and not yet freed
     * @param pooled      bytes held in the free list, ready for reuse
     * @param reserved    bytes currently taken from the source
     * @param peakInUse   the largest {@code inUse} seen since creation
     * @param allocations number of successful allocations
     * @param reuses      allocations served from the free list
     */
    public AllocatorStats(long inUse, long pooled, long reserved, long peakInUse, long allocations, long reuses) {
        this(inUse, pooled, reserved, peakInUse, allocations, reuses, 0);
    }

    /**
     * Fraction of allocations served from the free list, 0 when nothing was allocated.
     *
     * @return fraction of allocations served from the free list, 0 when nothing was allocated
     */
    public double reuseRate() {
        return allocations == 0 ? 0.0 : (double) reuses / allocations;
    }
}
