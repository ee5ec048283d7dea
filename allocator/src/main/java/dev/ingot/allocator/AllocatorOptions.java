package dev.ingot.allocator;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Settings of one allocator. Immutable: derive variants with the {@code with...} methods.
 *
 * <p>The defaults come from system properties so that a whole process (for example a test run) can switch a mode
 * on without touching code: {@value #CHECKED_PROPERTY} for checked mode and {@value #TRACK_PROPERTY} for
 * allocation-site tracking. A value set here wins over the property.
 *
 * @param name             name used in messages, logs and JFR events; empty to let the allocator pick one
 * @param checked          checked mode: every chunk's segment is scoped, so that a use after free never reads or
 *                         writes memory that was handed out again: it throws {@link IllegalStateException} once the
 *                         chunk's scope is closed, and until then reaches only the chunk's own memory, which waits
 *                         in a quarantine meanwhile (see {@code checkBatch}). Off (fast mode): a segment kept after
 *                         {@code free} still reaches the pool's memory until its block goes back to the source, so a
 *                         write through it <b>silently lands in the chunk of whoever allocated that memory next</b>;
 *                         that is the price of fast mode. {@link #withSampledChecks(int)} catches such bugs in
 *                         production at a fraction of the cost, by checking one chunk in n.
 * @param trackAllocations capture allocation stacks for {@link LeakReport}s; costs a stack walk per tracked
 *                         allocation, so every allocation is tracked only for debugging and tests
 * @param trackingInterval with tracking on, capture the stack of one allocation in this many (chosen at random, so
 *                         the sample is unbiased): 1 tracks all; 100 keeps the cost near 1 % of a full capture and
 *                         still names the sites that leak often, which makes tracking affordable in production
 * @param minBlockSize     smallest block, in bytes, an {@link EagerBufferAllocator} reserves from its source
 *                         (bigger requests get a block of their own size); at least 1
 * @param limit            cap, in bytes, on what the allocator may reserve from its source; {@link Long#MAX_VALUE}
 *                         for none
 * @param maxPooled        free bytes an {@link EagerBufferAllocator} keeps pooled: when a free or a barrier leaves
 *                         more, wholly free blocks go back to the source at once; {@link Long#MAX_VALUE} (default)
 *                         keeps everything until {@code release(false)}, as MNN does; 0 returns every block as soon
 *                         as it empties
 * @param logger           where {@code close()} reports leaks (at WARNING); by default the
 *                         {@link System.Logger} named {@value #LOGGER_NAME}
 * @param checkInterval    sampled checks, when {@code checked} is off: one {@link EagerBufferAllocator} chunk in
 *                         this many (chosen at random) is scoped as in checked mode (sharing a scope with
 *                         {@code checkBatch - 1} other sampled chunks), so a use after free of that chunk throws
 *                         and never reaches reused memory; the others run as in fast mode. 0 (default) samples
 *                         none, 1 all
 * @param budget           the {@link MemoryBudget} every block the allocator reserves is charged to (and through it
 *                         every ancestor), or null for none (default)
 * @param listener         hears blocks reserved and returned and refusals ({@link AllocationListener#NONE} by
 *                         default)
 * @param idleReturnNanos  an {@link EagerBufferAllocator} block wholly free for this long goes back to the source,
 *                         checked on the pool's own calls (once every 64 allocs and frees) and by {@code trimIdle()};
 *                         {@link Long#MAX_VALUE} (default) never
 * @param idleReturnThread with an idle time set, also run {@code trimIdle()} from a background daemon thread (every
 *                         half idle time), so that a pool that gets no more calls still returns its memory
 * @param clock            the idle policy's clock, in nanoseconds ({@link System#nanoTime()} by default; a fake one
 *                         in tests)
 * @param checkBatch       how many checked chunks of an {@link EagerBufferAllocator} (checked mode, or the sampled
 *                         ones) share one scope, so that one shared-arena close (a thread handshake, tens of
 *                         microseconds) revokes them all. A freed chunk's {@code segment()} throws at once; a segment
 *                         kept from it throws from the moment its batch's scope closes: once the batch is full
 *                         ({@code checkBatch} chunks, or {@code checkBatch * minBlockSize} bytes) and all its chunks
 *                         are freed, or at {@code flushChecks()}, {@code trim()}, {@code release} or {@code close()}.
 *                         Until then the freed chunk's memory is quarantined (counted in
 *                         {@link AllocatorStats#quarantined()}, reused by nobody), so such a segment can never reach
 *                         memory handed out again. 1 gives every chunk its own scope, closed by its {@code free}
 *                         (every use after free throws at once, at one handshake per free). Default
 *                         {@value #DEFAULT_CHECK_BATCH}, or the system property {@value #CHECK_BATCH_PROPERTY}
 */
public record AllocatorOptions(String name, boolean checked, boolean trackAllocations, int trackingInterval,
                               long minBlockSize, long limit, long maxPooled, System.Logger logger,
                               int checkInterval, MemoryBudget budget, AllocationListener listener,
                               long idleReturnNanos, boolean idleReturnThread, LongSupplier clock,
                               int checkBatch) {

    /** System property giving the default of {@link #checked()}. */
    public static final String CHECKED_PROPERTY = "ingot.allocator.checked";
    /** System property giving the default of {@link #checkBatch()}. */
    public static final String CHECK_BATCH_PROPERTY = "ingot.allocator.checkBatch";
    /** Default {@link #checkBatch()}: one scope close per 32 checked chunks. */
    public static final int DEFAULT_CHECK_BATCH = 32;
    /** System property giving the default of {@link #trackAllocations()}. */
    public static final String TRACK_PROPERTY = "ingot.allocator.trackAllocations";
    /** Default {@link #minBlockSize()}: 1 MiB, large enough that blocks are rare, small enough to trim often. */
    public static final long DEFAULT_MIN_BLOCK_SIZE = 1L << 20;
    /** The idle policy's default clock: {@link System#nanoTime()}, one instance so that equal options compare equal. */
    public static final LongSupplier SYSTEM_CLOCK = System::nanoTime;
    /** Name of the default leak logger. */
    public static final String LOGGER_NAME = "dev.ingot.allocator";

    /**
     * Checks the settings.
     *
     * @throws IllegalArgumentException naming the first setting out of range
     */
    public AllocatorOptions {
        if (name == null) {
            throw new IllegalArgumentException("name: expected a string (empty for automatic), got null");
        }
        if (trackingInterval < 1) {
            throw new IllegalArgumentException("trackingInterval: expected at least 1, got " + trackingInterval);
        }
        if (minBlockSize < 1) {
            throw new IllegalArgumentException("minBlockSize: expected at least 1 byte, got " + minBlockSize);
        }
        if (maxPooled < 0) {
            throw new IllegalArgumentException("maxPooled: expected a byte count >= 0, got " + maxPooled);
        }
        if (logger == null) {
            throw new IllegalArgumentException("logger: expected a System.Logger, got null");
        }
        if (limit < 0) {
            throw new IllegalArgumentException("limit: expected a byte count >= 0, got " + limit);
        }
        if (idleReturnNanos <= 0) {
            throw new IllegalArgumentException("idleReturn: expected a positive duration, got " + idleReturnNanos
                    + " ns");
        }
        if (clock == null) {
            throw new IllegalArgumentException("clock: expected a nanosecond LongSupplier, got null");
        }
        if (listener == null) {
            throw new IllegalArgumentException("listener: expected an AllocationListener (NONE for none), got null");
        }
        if (checkBatch < 1) {
            throw new IllegalArgumentException("checkBatch: expected a chunk count >= 1, got " + checkBatch);
        }
        if (checkInterval < 0) {
            throw new IllegalArgumentException("checkInterval: expected 0 (none) or a count >= 1, got "
                    + checkInterval);
        }
    }

    /**
     * The eight-setting form (no sampled checks, no budget).
     *
     * @param name the name in messages, logs and JFR events; empty for an automatic one
     * @param checked whether every access through a freed chunk's segment throws
     * @param trackAllocations whether allocation sites are recorded for leak reports
     * @param trackingInterval track one allocation in this many, at least 1
     * @param minBlockSize the smallest block reserved from the source, in bytes
     * @param limit the limit in force, in bytes
     * @param maxPooled the cap on pooled free bytes, or {@link Long#MAX_VALUE} for none
     * @param logger where leak reports go
     */
    public AllocatorOptions(String name, boolean checked, boolean trackAllocations, int trackingInterval,
                            long minBlockSize, long limit, long maxPooled, System.Logger logger) {
        this(name, checked, trackAllocations, trackingInterval, minBlockSize, limit, maxPooled, logger, 0, null, AllocationListener.NONE,
                Long.MAX_VALUE, false, SYSTEM_CLOCK, defaultCheckBatch());
    }

    /**
     * The five-setting form (the first form of this record): no pool cap, default leak logger, track all.
     *
     * @param name the name in messages, logs and JFR events; empty for an automatic one
     * @param checked whether every access through a freed chunk's segment throws
     * @param trackAllocations whether allocation sites are recorded for leak reports
     * @param minBlockSize the smallest block reserved from the source, in bytes
     * @param limit the limit in force, in bytes
     */
    public AllocatorOptions(String name, boolean checked, boolean trackAllocations, long minBlockSize, long limit) {
        this(name, checked, trackAllocations, 1, minBlockSize, limit, Long.MAX_VALUE, System.getLogger(LOGGER_NAME));
    }

    /**
     * The seven-setting form (no tracking interval: every tracked allocation is recorded).
     *
     * @param name the name in messages, logs and JFR events; empty for an automatic one
     * @param checked whether every access through a freed chunk's segment throws
     * @param trackAllocations whether allocation sites are recorded for leak reports
     * @param minBlockSize the smallest block reserved from the source, in bytes
     * @param limit the limit in force, in bytes
     * @param maxPooled the cap on pooled free bytes, or {@link Long#MAX_VALUE} for none
     * @param logger where leak reports go
     */
    public AllocatorOptions(String name, boolean checked, boolean trackAllocations, long minBlockSize, long limit,
                            long maxPooled, System.Logger logger) {
        this(name, checked, trackAllocations, 1, minBlockSize, limit, maxPooled, logger);
    }

    /**
     * Defaults: automatic name, modes from the system properties, 1 MiB blocks, no limit, no pool cap.
     *
     * @return the default options
     */
    public static AllocatorOptions defaults() {
        return new AllocatorOptions("", Boolean.getBoolean(CHECKED_PROPERTY), Boolean.getBoolean(TRACK_PROPERTY), 1,
                DEFAULT_MIN_BLOCK_SIZE, Long.MAX_VALUE, Long.MAX_VALUE, System.getLogger(LOGGER_NAME), 0, null,
                AllocationListener.NONE, Long.MAX_VALUE, false, SYSTEM_CLOCK,
                defaultCheckBatch());
    }

    /** {@link #checkBatch()} as the system property {@value #CHECK_BATCH_PROPERTY} sets it, else the default. */
    private static int defaultCheckBatch() {
        return Integer.getInteger(CHECK_BATCH_PROPERTY, DEFAULT_CHECK_BATCH);
    }

    /**
     * A copy with another name; empty lets the allocator pick one.
     *
     * @param newName the name, or empty for an automatic one
     * @return a copy with another name; empty lets the allocator pick one
     */
    public AllocatorOptions withName(String newName) {
        return new AllocatorOptions(newName, checked, trackAllocations, trackingInterval, minBlockSize,
                limit, maxPooled, logger, checkInterval, budget, listener, idleReturnNanos,
                idleReturnThread, clock, checkBatch);
    }

    /**
     * A copy with checked mode on or off.
     *
     * @param newChecked whether use after free is checked
     * @return a copy with checked mode on or off
     */
    public AllocatorOptions withChecked(boolean newChecked) {
        return new AllocatorOptions(name, newChecked, trackAllocations, trackingInterval, minBlockSize,
                limit, maxPooled, logger, checkInterval, budget, listener, idleReturnNanos,
                idleReturnThread, clock, checkBatch);
    }

    /**
     * A copy with allocation-site tracking on or off.
     *
     * @param newTrack whether allocation sites are recorded
     * @return a copy with allocation-site tracking on or off
     */
    public AllocatorOptions withTrackAllocations(boolean newTrack) {
        return new AllocatorOptions(name, checked, newTrack, trackingInterval, minBlockSize, limit, maxPooled, logger,
                checkInterval, budget, listener, idleReturnNanos,
                idleReturnThread, clock, checkBatch);
    }

    /**
     * A copy that tracks one allocation in {@code newInterval} (when tracking is on).
     *
     * @param newInterval track one allocation in this many, at least 1
     * @return a copy that tracks one allocation in {@code newInterval} (when tracking is on)
     */
    public AllocatorOptions withTrackingInterval(int newInterval) {
        return new AllocatorOptions(name, checked, trackAllocations, newInterval, minBlockSize, limit, maxPooled,
                logger, checkInterval, budget, listener, idleReturnNanos,
                idleReturnThread, clock, checkBatch);
    }

    /**
     * A copy with another minimum block size, in bytes.
     *
     * @param newMinBlockSize the smallest block reserved from the source, in bytes
     * @return a copy with another minimum block size, in bytes
     */
    public AllocatorOptions withMinBlockSize(long newMinBlockSize) {
        return new AllocatorOptions(name, checked, trackAllocations, trackingInterval, newMinBlockSize,
                limit, maxPooled, logger, checkInterval, budget, listener, idleReturnNanos,
                idleReturnThread, clock, checkBatch);
    }

    /**
     * A copy with another limit, in bytes ({@link Long#MAX_VALUE} for none).
     *
     * @param newLimit the cap on reserved bytes, or {@link Long#MAX_VALUE} for none
     * @return a copy with another limit, in bytes ({@link Long#MAX_VALUE} for none)
     */
    public AllocatorOptions withLimit(long newLimit) {
        return new AllocatorOptions(name, checked, trackAllocations, trackingInterval, minBlockSize,
                newLimit, maxPooled, logger, checkInterval, budget, listener, idleReturnNanos,
                idleReturnThread, clock, checkBatch);
    }

    /**
     * A copy with another cap on pooled free bytes ({@link Long#MAX_VALUE} for none).
     *
     * @param newMaxPooled the cap on pooled free bytes, or {@link Long#MAX_VALUE} for none
     * @return a copy with another cap on pooled free bytes ({@link Long#MAX_VALUE} for none)
     */
    public AllocatorOptions withMaxPooled(long newMaxPooled) {
        return new AllocatorOptions(name, checked, trackAllocations, trackingInterval, minBlockSize,
                limit, newMaxPooled, logger, checkInterval, budget, listener, idleReturnNanos,
                idleReturnThread, clock, checkBatch);
    }

    /**
     * A copy that reports leaks to another logger.
     *
     * @param newLogger where leak reports go
     * @return a copy that reports leaks to another logger
     */
    public AllocatorOptions withLogger(System.Logger newLogger) {
        return new AllocatorOptions(name, checked, trackAllocations, trackingInterval, minBlockSize,
                limit, maxPooled, newLogger, checkInterval, budget, listener, idleReturnNanos,
                idleReturnThread, clock, checkBatch);
    }

    /**
     * A copy that gives one chunk in {@code n} a scope of its own (sampled checks; 0 for none).
     *
     * @param n sampling interval: 0 for none, 1 for every chunk
     * @return the copy
     * @throws IllegalArgumentException when {@code n} is negative
     */
    public AllocatorOptions withSampledChecks(int n) {
        return new AllocatorOptions(name, checked, trackAllocations, trackingInterval, minBlockSize, limit, maxPooled,
                logger, n, budget, listener, idleReturnNanos,
                idleReturnThread, clock, checkBatch);
    }

    /**
     * A copy that charges every block the allocator reserves to {@code newBudget} and its ancestors.
     *
     * @param newBudget the budget, or null for none
     * @return the copy
     */
    public AllocatorOptions withBudget(MemoryBudget newBudget) {
        return new AllocatorOptions(name, checked, trackAllocations, trackingInterval, minBlockSize, limit, maxPooled,
                logger, checkInterval, newBudget, listener, idleReturnNanos,
                idleReturnThread, clock, checkBatch);
    }

    /**
     * A copy that tells {@code newListener} of blocks reserved and returned and of refusals.
     *
     * @param newListener the listener ({@link AllocationListener#NONE} for none)
     * @return the copy
     * @throws IllegalArgumentException when {@code newListener} is null
     */
    public AllocatorOptions withListener(AllocationListener newListener) {
        return new AllocatorOptions(name, checked, trackAllocations, trackingInterval, minBlockSize, limit, maxPooled,
                logger, checkInterval, budget, newListener, idleReturnNanos,
                idleReturnThread, clock, checkBatch);
    }

    /**
     * A copy whose pool returns blocks wholly free for at least {@code idle} to the source (see
     * {@link #idleReturnNanos()}).
     *
     * @param idle             how long a block stays wholly free before it goes back
     * @param backgroundThread also check from a background daemon thread, for pools that may get no more calls
     * @return the copy
     * @throws IllegalArgumentException when {@code idle} is null, zero or negative
     */
    public AllocatorOptions withIdleReturn(Duration idle, boolean backgroundThread) {
        if (idle == null || idle.isZero() || idle.isNegative()) {
            throw new IllegalArgumentException("idle: expected a positive Duration, got " + idle);
        }
        long nanos = idle.compareTo(Duration.ofNanos(Long.MAX_VALUE - 1)) >= 0 ? Long.MAX_VALUE - 1 : idle.toNanos();
        return new AllocatorOptions(name, checked, trackAllocations, trackingInterval, minBlockSize, limit, maxPooled,
                logger, checkInterval, budget, listener, nanos, backgroundThread, clock, checkBatch);
    }

    /**
     * A copy whose idle policy reads {@code nanoClock} instead of {@link System#nanoTime()} (for tests).
     *
     * @param nanoClock a monotonic clock in nanoseconds
     * @return the copy
     * @throws IllegalArgumentException when {@code nanoClock} is null
     */
    public AllocatorOptions withClock(LongSupplier nanoClock) {
        return new AllocatorOptions(name, checked, trackAllocations, trackingInterval, minBlockSize, limit, maxPooled,
                logger, checkInterval, budget, listener, idleReturnNanos, idleReturnThread, nanoClock, checkBatch);
    }

    /**
     * A copy whose checked chunks (checked mode, or the sampled ones) share one scope per {@code n} chunks (see
     * {@link #checkBatch()}); 1 gives each its own scope, closed by its {@code free}.
     *
     * @param n chunks per shared scope, at least 1
     * @return the copy
     * @throws IllegalArgumentException when {@code n} is less than 1
     */
    public AllocatorOptions withCheckBatch(int n) {
        return new AllocatorOptions(name, checked, trackAllocations, trackingInterval, minBlockSize, limit, maxPooled,
                logger, checkInterval, budget, listener, idleReturnNanos, idleReturnThread, clock, n);
    }
}
