package dev.ingot.runtime;

import dev.ingot.allocator.AllocatorOptions;
import dev.ingot.allocator.BufferAllocator;
import dev.ingot.allocator.DeferBufferAllocator;
import dev.ingot.allocator.EagerBufferAllocator;
import dev.ingot.allocator.MemoryBudget;
import dev.ingot.allocator.MemoryChunk;
import dev.ingot.allocator.SegmentSource;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * One region of DYNAMIC memory: the backend's own, or one pipeline's. Each region has its own allocator, so
 * pipelines never share dynamic memory and may run at the same time.
 *
 * <p>One planning round runs from {@link #begin()} to {@link #end()}: tensors are acquired and released in
 * execution order, and at the end every tensor acquired in the round is bound to its chunk's segment — released
 * ones too, since their memory is theirs during their ops' execution even though later tensors reuse it. Both
 * allocators keep that promise through {@link BufferAllocator}'s planning round (a freed chunk keeps its memory
 * until the round ends), so this class drives either one through the interface alone: the eager pool places chunks
 * as they come, the deferred planner at {@code apply()}. The next {@code begin()} ends the round and takes all of
 * it away. Used under the backend's resize lock; not thread-safe by itself.
 */
final class DynamicMemory implements AutoCloseable {

    /** A tensor acquired in the current round. */
    static final class Entry {
        final Tensor tensor;
        final MemoryChunk chunk;
        /** The chunk went back to the allocator. */
        boolean freed;

        Entry(Tensor tensor, MemoryChunk chunk) {
            this.tensor = tensor;
            this.chunk = chunk;
            this.freed = chunk == null;
        }
    }

    final MemoryMode mode;
    final List<Entry> round = new ArrayList<>();
    final Map<Tensor, Entry> live = new IdentityHashMap<>();
    private final BufferAllocator allocator;
    private long liveBytes;
    private long peakLiveBytes;
    private long totalBytes;
    private boolean closed;

    DynamicMemory(MemoryMode mode, BufferAllocator allocator) {
        this.mode = mode;
        this.allocator = allocator;
    }

    static DynamicMemory create(MemoryMode mode, String name, MemoryBudget budget) {
        AllocatorOptions options = AllocatorOptions.defaults().withName(name).withBudget(budget);
        BufferAllocator allocator = switch (mode) {
            case EAGER -> new EagerBufferAllocator(SegmentSource.arena(), options);
            case DEFERRED -> new DeferBufferAllocator(SegmentSource.arena(), options);
        };
        return new DynamicMemory(mode, allocator);
    }

    /** Starts a round: the previous round's tensors lose their memory. */
    void begin() {
        ensureOpen();
        dropRound();
        allocator.beginRound();
        liveBytes = 0;
        peakLiveBytes = 0;
        totalBytes = 0;
    }

    void acquire(Tensor tensor, boolean separate) {
        ensureOpen();
        if (live.containsKey(tensor)) {
            throw new IllegalStateException("tensor " + tensor.type() + " already holds DYNAMIC memory");
        }
        tensor.unbind();
        long size = tensor.byteSize();
        MemoryChunk chunk = size == 0 ? null : separate ? allocator.allocSeparate(size) : allocator.alloc(size);
        Entry entry = new Entry(tensor, chunk);
        round.add(entry);
        live.put(tensor, entry);
        long footprint = footprint(size);
        liveBytes += footprint;
        totalBytes += footprint;
        peakLiveBytes = Math.max(peakLiveBytes, liveBytes);
    }

    /** Ends the tensor's lifetime: later tensors of the round may share its memory; it keeps it until the round ends. */
    void release(Tensor tensor) {
        ensureOpen();
        Entry entry = live.remove(tensor);
        if (entry == null) {
            throw new IllegalStateException("tensor " + tensor.type() + " holds no DYNAMIC memory of this round");
        }
        liveBytes -= footprint(tensor.byteSize());
        if (!entry.freed) {
            entry.freed = true;
            allocator.free(entry.chunk);
        }
    }

    /** Ends the planning: backs the round's chunks and binds every tensor of the round to its chunk's segment. */
    void end() {
        allocator.apply();
        for (Entry entry : round) {
            bindIfOpen(entry.tensor, entry.chunk == null ? MemorySegment.NULL : entry.chunk.segment());
        }
    }

    /** Undoes a failed round: nothing stays bound or allocated. */
    void abort() {
        dropRound();
        allocator.endRound();
    }

    /** Largest sum of footprints alive at once in the last round, in bytes. */
    long peakLiveBytes() {
        return peakLiveBytes;
    }

    /** Sum of the footprints of every tensor acquired in the last round, in bytes. */
    long totalBytes() {
        return totalBytes;
    }

    /** Bytes the region needs at its peak: eager, the live peak; deferred, the planned block. */
    long peakBytes() {
        return round.isEmpty() ? 0 : allocator.compute();
    }

    /** Bytes reserved from the system for this region right now. */
    long reservedBytes() {
        return allocator.totalSize();
    }

    BufferAllocator allocator() {
        return allocator;
    }

    /** Unbinds the round's tensors and frees the chunks still held; the allocator's round ends at the next begin. */
    private void dropRound() {
        for (Entry entry : round) {
            entry.tensor.unbind();
        }
        for (Entry entry : round) {
            if (!entry.freed) {
                entry.freed = true;
                allocator.free(entry.chunk);
            }
        }
        round.clear();
        live.clear();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        dropRound();
        closed = true;
        allocator.close();
    }

    boolean isClosed() {
        return closed;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the dynamic memory of this pipeline or backend is closed");
        }
    }

    static long footprint(long size) {
        return (size + BufferAllocator.DEFAULT_ALIGNMENT - 1) & -BufferAllocator.DEFAULT_ALIGNMENT;
    }

    static void bindIfOpen(Tensor tensor, MemorySegment memory) {
        if (!tensor.isClosed()) {
            tensor.bind(memory);
        }
    }
}
