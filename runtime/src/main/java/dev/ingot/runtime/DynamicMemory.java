package dev.ingot.runtime;

import dev.ingot.allocator.AllocatorOptions;
import dev.ingot.allocator.BufferAllocator;
import dev.ingot.allocator.DeferBufferAllocator;
import dev.ingot.allocator.EagerBufferAllocator;
import dev.ingot.allocator.MemoryBudget;
import dev.ingot.allocator.MemoryChunk;
import dev.ingot.allocator.SegmentSource;

import java.lang.foreign.Arena;
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
 * execution order, and at the end every tensor acquired in the round is bound to its memory — released ones too,
 * since their memory is theirs during their ops' execution even though later tensors reuse it. The next
 * {@code begin()} takes all of it away. Used under the backend's resize lock; not thread-safe by itself.
 */
abstract sealed class DynamicMemory implements AutoCloseable {

    /** A tensor acquired in the current round. */
    static final class Entry {
        final Tensor tensor;
        final MemoryChunk chunk;
        final boolean separate;
        /** The chunk went back to the allocator. */
        boolean freed;

        Entry(Tensor tensor, MemoryChunk chunk, boolean separate) {
            this.tensor = tensor;
            this.chunk = chunk;
            this.separate = separate;
            this.freed = chunk == null;
        }
    }

    final MemoryMode mode;
    final List<Entry> round = new ArrayList<>();
    final Map<Tensor, Entry> live = new IdentityHashMap<>();
    private long liveBytes;
    private long peakLiveBytes;
    private long totalBytes;
    private boolean closed;

    DynamicMemory(MemoryMode mode) {
        this.mode = mode;
    }

    static DynamicMemory create(MemoryMode mode, String name, MemoryBudget budget) {
        AllocatorOptions options = AllocatorOptions.defaults().withName(name).withBudget(budget);
        return switch (mode) {
            // Eager views point into pooled blocks by address: no block may go back to the source mid-round.
            case EAGER -> new Eager(new EagerBufferAllocator(SegmentSource.arena(),
                    options.withMaxPooled(Long.MAX_VALUE)));
            case DEFERRED -> new Deferred(new DeferBufferAllocator(SegmentSource.arena(), options));
        };
    }

    /** Starts a round: the previous round's tensors lose their memory. */
    void begin() {
        ensureOpen();
        dropRound();
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
        MemoryChunk chunk = size == 0 ? null : separate ? allocator().allocSeparate(size) : allocator().alloc(size);
        Entry entry = new Entry(tensor, chunk, separate);
        round.add(entry);
        live.put(tensor, entry);
        long footprint = footprint(size);
        liveBytes += footprint;
        totalBytes += footprint;
        peakLiveBytes = Math.max(peakLiveBytes, liveBytes);
    }

    void release(Tensor tensor) {
        ensureOpen();
        Entry entry = live.remove(tensor);
        if (entry == null) {
            throw new IllegalStateException("tensor " + tensor.type() + " holds no DYNAMIC memory of this round");
        }
        liveBytes -= footprint(tensor.byteSize());
        if (!entry.freed && freesOnRelease(entry)) {
            entry.freed = true;
            allocator().free(entry.chunk);
        }
    }

    /** Whether a released chunk goes back to the allocator now, or only when the round is dropped. */
    abstract boolean freesOnRelease(Entry entry);

    /** Ends the round: places memory where needed and binds every tensor of the round. */
    abstract void end();

    /** Undoes a failed round: nothing stays bound. */
    void abort() {
        dropRound();
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
    abstract long peakBytes();

    /** Bytes reserved from the system for this region right now. */
    long reservedBytes() {
        return allocator().totalSize();
    }

    abstract BufferAllocator allocator();

    /** Takes the previous round's memory away: unbinds tensors, returns chunks. */
    abstract void dropRound();

    @Override
    public void close() {
        if (closed) {
            return;
        }
        dropRound();
        closed = true;
        allocator().close();
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

    /**
     * Eager mode. A released chunk goes back to the free list at once (that is how later tensors reuse it), and
     * the allocator's own segment for it dies with the free. The memory itself stays in the pool, so at the end of
     * the round each tensor is bound to a view of its chunk's address range, scoped to an arena of this round
     * that the next round (or close) closes before the pool's blocks can go back to the system.
     */
    static final class Eager extends DynamicMemory {
        private final EagerBufferAllocator allocator;
        private Arena roundScope;

        Eager(EagerBufferAllocator allocator) {
            super(MemoryMode.EAGER);
            this.allocator = allocator;
        }

        @Override
        BufferAllocator allocator() {
            return allocator;
        }

        @Override
        @SuppressWarnings("restricted") // views of pooled memory by address; see the class comment for why it is safe
        void end() {
            roundScope = Arena.ofShared();
            for (Entry entry : round) {
                MemorySegment memory = entry.chunk == null ? MemorySegment.NULL
                        : MemorySegment.ofAddress(entry.chunk.address())
                                .reinterpret(entry.chunk.size(), roundScope, null);
                bindIfOpen(entry.tensor, memory);
            }
        }

        @Override
        long peakBytes() {
            return peakLiveBytes();
        }

        /**
         * A separate chunk has a block of its own that {@code free} hands straight back to the source, which
         * the round's views still point into: it is freed only when the round is dropped.
         */
        @Override
        boolean freesOnRelease(Entry entry) {
            return !entry.separate;
        }

        @Override
        void dropRound() {
            for (Entry entry : round) {
                entry.tensor.unbind();
            }
            if (roundScope != null) {
                roundScope.close(); // no view of this round can reach the pool from now on
                roundScope = null;
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
    }

    /** Deferred mode: the allocator plans offsets when the round ends, and every chunk keeps memory until reset. */
    static final class Deferred extends DynamicMemory {
        private final DeferBufferAllocator allocator;

        Deferred(DeferBufferAllocator allocator) {
            super(MemoryMode.DEFERRED);
            this.allocator = allocator;
        }

        @Override
        BufferAllocator allocator() {
            return allocator;
        }

        @Override
        void end() {
            allocator.apply();
            for (Entry entry : round) {
                bindIfOpen(entry.tensor, entry.chunk == null ? MemorySegment.NULL : entry.chunk.segment());
            }
        }

        @Override
        long peakBytes() {
            return round.isEmpty() ? 0 : allocator.plannedSize();
        }

        /** Freeing only ends the lifetime in the plan; the memory stays until reset. */
        @Override
        boolean freesOnRelease(Entry entry) {
            return true;
        }

        @Override
        void dropRound() {
            for (Entry entry : round) {
                entry.tensor.unbind();
            }
            round.clear();
            live.clear();
            allocator.reset();
        }
    }
}
