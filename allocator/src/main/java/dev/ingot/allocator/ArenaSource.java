package dev.ingot.allocator;


import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Off-heap blocks, one shared arena per block. A shared arena (not a confined one) because the blocks are touched
 * from executor worker threads; one per block because closing it is what returns the memory to the OS.
 */
final class ArenaSource implements SegmentSource {
    private final ConcurrentHashMap<Long, Arena> arenas = new ConcurrentHashMap<>();

    @Override
    public MemorySegment reserve(long size, long alignment) {
        SourceChecks.checkReserve(size, alignment);
        Arena arena = Arena.ofShared();
        try {
            MemorySegment block = arena.allocate(size, alignment);
            arenas.put(block.address(), arena);
            return block;
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    @Override
    public void giveBack(MemorySegment block) {
        Arena arena = arenas.remove(block.address());
        if (arena == null) {
            throw new IllegalArgumentException("block: expected a live block of this arena source, got one at 0x"
                    + Long.toHexString(block.address()));
        }
        arena.close();
    }

    @Override
    public void close() {
        List<Long> addresses = new ArrayList<>(arenas.keySet());
        for (Long address : addresses) {
            Arena arena = arenas.remove(address);
            if (arena != null) {
                arena.close();
            }
        }
    }

    /** Number of blocks currently reserved. */
    public int liveBlocks() {
        return arenas.size();
    }

    @Override
    public String description() {
        return "arena";
    }
}
