package dev.ingot.allocator;


import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Off-heap blocks. Policy: a block of at least {@link #MAP_THRESHOLD} bytes is mapped with {@code mmap} and unmapped
 * when given back ({@link MmapSource}, Linux), so that its pages leave the process at once, whatever the C library's
 * allocator keeps; at that size the two system calls and the page faults cost little next to filling the block.
 * Smaller blocks, and every block where mmap cannot be used (the reason is logged once), come from a shared
 * {@link Arena} each (malloc), closed when the block is given back. Shared (not confined) because the blocks are
 * touched from executor worker threads; one scope per block because closing it is what returns the memory.
 */
final class ArenaSource implements SegmentSource {
    /** Blocks this large or larger are mapped with mmap where it is available: 1 MiB, the default block size. */
    static final long MAP_THRESHOLD = 1L << 20;
    private static final AtomicBoolean FALLBACK_LOGGED = new AtomicBoolean();

    private final ConcurrentHashMap<Long, Arena> arenas = new ConcurrentHashMap<>();
    /** Where the large blocks go, or null when mmap is not available here. */
    private final MmapSource large;

    ArenaSource() {
        this.large = MmapSource.available() ? new MmapSource() : null;
        if (large == null && FALLBACK_LOGGED.compareAndSet(false, true)) {
            System.getLogger(AllocatorOptions.LOGGER_NAME).log(System.Logger.Level.INFO,
                    "large blocks come from malloc, not mmap (" + MmapSource.unavailableReason()
                            + "): whether freed ones leave the process is the C library's choice");
        }
    }

    @Override
    public MemorySegment reserve(long size, long alignment) {
        SourceChecks.checkReserve(size, alignment);
        if (large != null && size >= MAP_THRESHOLD) {
            return large.reserve(size, alignment);
        }
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
        if (arena != null) {
            arena.close();
            return;
        }
        if (large != null && block.byteSize() >= MAP_THRESHOLD) {
            large.giveBack(block); // throws for a block it does not know either
            return;
        }
        throw new IllegalArgumentException("block: expected a live block of this arena source, got one at 0x"
                + Long.toHexString(block.address()));
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
        if (large != null) {
            large.close();
        }
    }

    /** Number of blocks currently reserved, mapped ones included. */
    public int liveBlocks() {
        return arenas.size() + (large == null ? 0 : large.liveBlocks());
    }

    /** The source of the large blocks, or null when mmap is not available here. */
    MmapSource mapped() {
        return large;
    }

    @Override
    public String description() {
        return "arena";
    }
}
