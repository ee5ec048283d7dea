package dev.ingot.allocator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A pool for many threads: a few {@link EagerBufferAllocator} arenas, each with its own lock, blocks and free list;
 * a thread allocates from the arena its id picks, and a chunk goes back to the arena that made it, whichever thread
 * frees it. Threads that share an arena contend only with each other, so two threads on a pool of several arenas
 * usually do not meet at all.
 *
 * <p>No per-thread caches: an arena belongs to no thread, so nothing is stranded when threads come and go. An
 * arena whose chunks were all freed gives its blocks back once they stayed wholly free for the idle time of
 * {@link AllocatorOptions#withIdleReturn} (one second with a background check, unless the options set another),
 * and the limit and budget of the options cap all arenas together (every arena charges one shared budget).
 *
 * <p>Chunks are owned by the arena that made them ({@link MemoryChunk#owner()} is that arena); {@link #free} takes
 * chunks of any of its arenas. The planning verbs apply to every arena ({@code beginRound}, {@code endRound},
 * barriers) or to the calling thread's arena (groups). {@link #compute()} sums the arenas' round peaks.
 *
 * <p>Thread-safe: every method may be called from any thread.
 */
public final class StripedBufferAllocator implements BufferAllocator {
    private static final AtomicLong INSTANCES = new AtomicLong();

    private final String name;
    private final EagerBufferAllocator[] arenas;
    /** The budget every arena charges: the options' own, or one made here to carry the options' limit. */
    private final MemoryBudget budget;
    private final boolean ownsBudget;

    /**
     * A pool of {@code arenaCount} arenas, each on a source from {@code sources} (called once per arena; each arena
     * owns and closes its source).
     *
     * @param sources    makes one source per arena, e.g. {@code SegmentSource::arena}
     * @param options    settings of every arena; the limit caps all arenas together
     * @param arenaCount how many arenas, at least 1 (e.g. {@link #defaultArenaCount()})
     * @throws IllegalArgumentException when an argument is null or the count is below 1
     */
    public StripedBufferAllocator(Supplier<SegmentSource> sources, AllocatorOptions options, int arenaCount) {
        if (sources == null || options == null) {
            throw new IllegalArgumentException("sources, options: expected non-null, got " + sources + ", " + options);
        }
        if (arenaCount < 1) {
            throw new IllegalArgumentException("arenaCount: expected at least 1, got " + arenaCount);
        }
        this.name = options.name().isEmpty() ? "striped-" + INSTANCES.incrementAndGet() : options.name();
        // One budget for all arenas carries the limit, so it caps their sum rather than each arena.
        this.ownsBudget = options.limit() != Long.MAX_VALUE || options.budget() == null;
        this.budget = !ownsBudget ? options.budget()
                : options.budget() != null ? options.budget().child(name, options.limit())
                : MemoryBudget.root(name, options.limit());
        AllocatorOptions each = options.withLimit(Long.MAX_VALUE).withBudget(budget);
        if (options.idleReturnNanos() == Long.MAX_VALUE) {
            each = each.withIdleReturn(Duration.ofSeconds(1), true);
        }
        this.arenas = new EagerBufferAllocator[arenaCount];
        for (int i = 0; i < arenaCount; i++) {
            arenas[i] = new EagerBufferAllocator(sources.get(), each.withName(name + "-arena-" + i));
        }
    }

    /**
     * A pool on {@link SegmentSource#arena()} sources with {@link #defaultArenaCount()} arenas.
     *
     * @param options settings of every arena
     */
    public StripedBufferAllocator(AllocatorOptions options) {
        this(SegmentSource::arena, options, defaultArenaCount());
    }

    /**
     * Twice the processors the JVM may use, as Netty sizes its arenas: enough that threads rarely share one.
     *
     * @return the arena count
     */
    public static int defaultArenaCount() {
        return 2 * Runtime.getRuntime().availableProcessors();
    }

    /**
     * The pool's name, used in messages.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * How many arenas the pool has.
     *
     * @return the count
     */
    public int arenaCount() {
        return arenas.length;
    }

    /**
     * The budget every arena charges (carrying the options' limit).
     *
     * @return the budget
     */
    public MemoryBudget budget() {
        return budget;
    }

    private EagerBufferAllocator mine() {
        return arenas[(int) (Thread.currentThread().threadId() % arenas.length)];
    }

    @Override
    public MemoryChunk alloc(long size, long alignment) {
        return mine().alloc(size, alignment);
    }

    @Override
    public MemoryChunk allocSeparate(long size) {
        return mine().allocSeparate(size);
    }

    /**
     * Gives the chunk back to the arena that made it.
     *
     * @throws IllegalArgumentException when the chunk belongs to none of this pool's arenas (or is null)
     * @throws IllegalStateException    as {@link EagerBufferAllocator#free}
     */
    @Override
    public void free(MemoryChunk chunk) {
        if (chunk == null) {
            throw new IllegalArgumentException("chunk: expected a MemoryChunk of '" + name + "', got null");
        }
        BufferAllocator owner = chunk.owner();
        for (EagerBufferAllocator arena : arenas) {
            if (arena == owner) {
                arena.free(chunk);
                return;
            }
        }
        throw new IllegalArgumentException("chunk: expected a chunk of '" + name + "', got " + chunk);
    }

    @Override
    public void release(boolean all) {
        for (EagerBufferAllocator arena : arenas) {
            arena.release(all);
        }
    }

    /** Gives every wholly free block of every arena back to the source. */
    public void trim() {
        release(false);
    }

    /** Closes every arena's open scope batch of checked chunks, as {@link EagerBufferAllocator#flushChecks()}. */
    public void flushChecks() {
        for (EagerBufferAllocator arena : arenas) {
            arena.flushChecks();
        }
    }

    @Override
    public void beginRound() {
        for (EagerBufferAllocator arena : arenas) {
            arena.beginRound();
        }
    }

    @Override
    public void endRound() {
        for (EagerBufferAllocator arena : arenas) {
            arena.endRound();
        }
    }

    @Override
    public void apply() {
        for (EagerBufferAllocator arena : arenas) {
            arena.apply();
        }
    }

    @Override
    public long compute() {
        long sum = 0;
        for (EagerBufferAllocator arena : arenas) {
            sum += arena.compute();
        }
        return sum;
    }

    @Override
    public void barrierBegin() {
        for (EagerBufferAllocator arena : arenas) {
            arena.barrierBegin();
        }
    }

    @Override
    public void barrierEnd() {
        for (EagerBufferAllocator arena : arenas) {
            arena.barrierEnd();
        }
    }

    @Override
    public void beginGroup() {
        mine().beginGroup();
    }

    @Override
    public void endGroup() {
        mine().endGroup();
    }

    @Override
    public long totalSize() {
        long sum = 0;
        for (EagerBufferAllocator arena : arenas) {
            sum += arena.totalSize();
        }
        return sum;
    }

    /** The arenas' figures added up (each arena's is consistent; the sum is taken arena by arena). */
    @Override
    public AllocatorStats stats() {
        long inUse = 0;
        long pooled = 0;
        long reserved = 0;
        long peak = 0;
        long allocations = 0;
        long reuses = 0;
        long quarantined = 0;
        for (EagerBufferAllocator arena : arenas) {
            AllocatorStats s = arena.stats();
            inUse += s.inUse();
            pooled += s.pooled();
            reserved += s.reserved();
            peak += s.peakInUse();
            allocations += s.allocations();
            reuses += s.reuses();
            quarantined += s.quarantined();
        }
        return new AllocatorStats(inUse, pooled, reserved, peak, allocations, reuses, quarantined);
    }

    /** The arenas' refusals added up (a refusal by the shared budget is counted by the arena that asked). */
    @Override
    public long limitRefusals() {
        long sum = 0;
        for (EagerBufferAllocator arena : arenas) {
            sum += arena.limitRefusals();
        }
        return sum;
    }

    /** Caps all arenas together (the shared budget's limit). */
    @Override
    public void limit(long bytes) {
        budget.limit(bytes);
    }

    @Override
    public LeakReport liveChunks() {
        long chunks = 0;
        long bytes = 0;
        List<LeakReport.Site> sites = new ArrayList<>();
        for (EagerBufferAllocator arena : arenas) {
            LeakReport report = arena.liveChunks();
            chunks += report.chunks();
            bytes += report.bytes();
            sites.addAll(report.sites());
        }
        return new LeakReport(chunks, bytes, sites);
    }

    @Override
    public void close() {
        for (EagerBufferAllocator arena : arenas) {
            arena.close();
        }
        if (ownsBudget && budget.reserved() == 0) {
            budget.close();
        }
    }

    /** Checks every arena's bookkeeping (for tests). */
    void checkInvariants() {
        for (EagerBufferAllocator arena : arenas) {
            arena.checkInvariants();
        }
    }

    @Override
    public String toString() {
        return "StripedBufferAllocator '" + name + "' (" + arenas.length + " arenas)";
    }
}
