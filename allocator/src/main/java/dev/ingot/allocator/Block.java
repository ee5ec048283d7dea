package dev.ingot.allocator;

import java.lang.foreign.MemorySegment;
import java.util.TreeMap;

/**
 * A block reserved from the source by an {@link EagerBufferAllocator}, with its free pieces by offset (to find the
 * neighbours of a freed chunk) and a count of the chunks placed in it. Guarded by the allocator's lock.
 */
final class Block {
    final long id;
    final MemorySegment memory;
    final boolean separate;
    final TreeMap<Long, FreePiece> freeByOffset = new TreeMap<>();
    int liveChunks;

    Block(long id, MemorySegment memory, boolean separate) {
        this.id = id;
        this.memory = memory;
        this.separate = separate;
    }

    long size() {
        return memory.byteSize();
    }

    long address() {
        return memory.address();
    }

    /** True when no chunk lives in the block and one piece of {@code list} covers it whole. */
    boolean isWhollyFreeIn(FreeList list) {
        if (liveChunks != 0 || freeByOffset.size() != 1) {
            return false;
        }
        FreePiece only = freeByOffset.firstEntry().getValue();
        return only.size() == size() && only.list() == list;
    }
}
