package dev.ingot.allocator;

import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/** A source that ignores the alignment it is asked for: every block starts 16 bytes past a page boundary. */
final class MisaligningSource implements SegmentSource {
    private final SegmentSource inner = SegmentSource.arena();
    private final Map<Long, MemorySegment> originals = new HashMap<>();

    @Override
    public synchronized MemorySegment reserve(long size, long alignment) {
        MemorySegment original = inner.reserve(size + 16, 4096);
        MemorySegment block = original.asSlice(16, size);
        originals.put(block.address(), original);
        return block;
    }

    @Override
    public synchronized void giveBack(MemorySegment block) {
        inner.giveBack(originals.remove(block.address()));
    }

    @Override
    public synchronized void close() {
        originals.clear();
        inner.close();
    }

    synchronized int liveBlocks() {
        return originals.size();
    }
}
