package dev.ingot.allocator;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Blocks borrowed as chunks of a parent allocator and freed back to it. When the parent takes a block back on its
 * own ({@code release(true)} or {@code close()} while the child still holds it), the child allocator is told through
 * {@link #onBlockLost} so that it revokes the chunks it carved from that block: in checked mode those have scopes of
 * their own, which the parent's revocation would not reach.
 */
final class ChildSource implements SegmentSource {
    private final BufferAllocator parent;
    private final ConcurrentHashMap<Long, MemoryChunk> borrowed = new ConcurrentHashMap<>();
    private volatile Consumer<MemorySegment> lossListener = block -> { };

    ChildSource(BufferAllocator parent) {
        if (parent == null) {
            throw new IllegalArgumentException("parent: expected a BufferAllocator, got null");
        }
        this.parent = parent;
    }

    @Override
    public void onBlockLost(Consumer<MemorySegment> listener) {
        this.lossListener = listener;
    }

    @Override
    public MemorySegment reserve(long size, long alignment) {
        if (size <= 0) {
            throw new IllegalArgumentException("size: expected a byte count > 0, got " + size);
        }
        long parentAlignment = Math.max(alignment, BufferAllocator.DEFAULT_ALIGNMENT);
        if (Long.bitCount(alignment) != 1 || parentAlignment > BufferAllocator.MAX_ALIGNMENT) {
            throw new IllegalArgumentException("alignment: expected a power of two up to "
                    + BufferAllocator.MAX_ALIGNMENT + " for a child source, got " + alignment);
        }
        MemoryChunk chunk = parent.alloc(size, parentAlignment);
        MemorySegment block = chunk.segment();
        borrowed.put(block.address(), chunk);
        chunk.onLoss(() -> {
            if (borrowed.remove(block.address(), chunk)) {
                lossListener.accept(block);
            }
        });
        return block;
    }

    @Override
    public void giveBack(MemorySegment block) {
        MemoryChunk chunk = borrowed.remove(block.address());
        if (chunk == null) {
            throw new IllegalArgumentException("block: expected a live block borrowed from the parent, got one at 0x"
                    + Long.toHexString(block.address()));
        }
        if (chunk.isLive()) {
            parent.free(chunk);
        } // else the parent already took it back: nothing is left to return
    }

    @Override
    public void close() {
        List<Long> addresses = new ArrayList<>(borrowed.keySet());
        for (Long address : addresses) {
            MemoryChunk chunk = borrowed.remove(address);
            if (chunk != null && chunk.isLive()) {
                parent.free(chunk);
            }
        }
    }

    /** Number of blocks currently borrowed from the parent. */
    int liveBlocks() {
        return borrowed.size();
    }

    @Override
    public String description() {
        return "child(" + parent + ")";
    }
}
