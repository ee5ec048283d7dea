package dev.ingot.allocator;

import java.util.ArrayList;
import java.util.List;

/**
 * The planning round of an {@link EagerBufferAllocator}: between {@code beginRound()} and the round's end, a freed
 * chunk's memory goes back to the free list at once (later allocations of the round reuse it) but the chunk keeps
 * its segment until the round ends, as a deferred planner's chunks do until {@code reset()}. The round remembers
 * those chunks and the blocks holding them: such a block must not go back to its source before the round ends.
 * Guarded by the allocator's lock.
 */
final class PlanningRound {
    private final List<MemoryChunk> freed = new ArrayList<>();
    private final List<Block> blocks = new ArrayList<>();
    private boolean open;
    private long liveFootprint;
    private long peakFootprint;

    boolean isOpen() {
        return open;
    }

    void begin() {
        open = true;
        liveFootprint = 0;
        peakFootprint = 0;
    }

    /** A chunk of {@code footprint} bytes was placed. */
    void placed(long footprint) {
        liveFootprint += footprint;
        if (liveFootprint > peakFootprint) {
            peakFootprint = liveFootprint;
        }
    }

    /** A chunk of {@code footprint} bytes was freed (outside a round too, so the peak stays true). */
    void freed(long footprint) {
        liveFootprint = Math.max(0, liveFootprint - footprint);
    }

    /** Keeps {@code chunk}'s memory valid until the round ends; its block is pinned meanwhile. */
    void keep(MemoryChunk chunk, Block block) {
        freed.add(chunk);
        blocks.add(block);
        block.pinnedByRound++;
    }

    /** The most footprint bytes the round's chunks occupied at once. */
    long peakFootprint() {
        return peakFootprint;
    }

    /**
     * Ends the round: revokes the chunks it kept (queuing their scopes in {@code after}) and unpins their blocks.
     * Returns the blocks that were pinned, for the caller to return the separate ones that emptied.
     */
    List<Block> end(String why, AfterUnlock after) {
        open = false;
        for (int i = 0; i < freed.size(); i++) {
            after.closeLater(freed.get(i).revoke(why));
            blocks.get(i).pinnedByRound--;
        }
        freed.clear();
        List<Block> unpinned = List.copyOf(blocks);
        blocks.clear();
        return unpinned;
    }

    /** Revokes the kept chunks carved from {@code block} (lost to a parent) and stops pinning it. */
    void dropBlock(Block block, String why, AfterUnlock after) {
        for (int i = freed.size() - 1; i >= 0; i--) {
            if (blocks.get(i) == block) {
                after.closeLater(freed.remove(i).revoke(why));
                blocks.remove(i).pinnedByRound--;
            }
        }
    }
}
