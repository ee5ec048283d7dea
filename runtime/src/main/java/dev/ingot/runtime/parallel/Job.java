package dev.ingot.runtime.parallel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The shared state of one {@code parallelFor} call, reused across calls so that dispatch allocates nothing.
 *
 * <p>Ranges: range {@code i} is {@code [i * grain, min(count, (i + 1) * grain))}; parties (the caller and the
 * helpers) claim range numbers from one counter, so every range runs exactly once and which ranges exist depends
 * only on {@code count} and {@code grain}.
 *
 * <p>Protocol. {@code state} packs a closed bit and the number of helpers currently inside. The caller opens the
 * job ({@link #start}), works, then closes it ({@link #finish}) and waits only for helpers inside, so a helper still
 * queued behind other work never delays it. A helper that arrives while the job is closed does nothing; one that
 * arrives after the job was reopened for a later call may help that call (any helper may run any ranges), but
 * never beyond that call's number of helpers, so a run stays within the threads it was granted. Helpers are pooled separately ({@link Helper}), so a job is free as soon as its
 * caller returns.
 */
final class Job {
    private static final int CLOSED = 1 << 30;
    /**
     * How long a spin-wait spins purely before it also yields the core every few spins. Back-to-back calls and
     * the last ranges of a call usually end within this time; past it, the thread waited for may well be
     * waiting for a core, which a yield gives it when threads outnumber cores.
     */
    static final long YIELD_AFTER_NANOS = 10_000;

    /** Slot in the executor's job pool. */
    final int slot;

    private final AtomicInteger nextRange = new AtomicInteger();
    private final AtomicInteger state = new AtomicInteger(CLOSED);

    private RangeTask task;
    private int count;
    private int grain;
    private int ranges;
    /**
     * Most helpers inside at once for the current call: the threads its run was granted, less the caller. A helper
     * handed an earlier call that ended without it may arrive after this job was reopened; it may help, but only in
     * place of one of this call's own, so the call never runs on more threads than its run was granted.
     */
    private int maxHelpers;
    private volatile Thread waiter;
    private volatile Throwable failure;
    private int failedFrom;
    private int failedTo;
    /** The executor's idle epoch when the current call started (see {@link Helper}). */
    private volatile long idleEpoch;

    Job(int slot) {
        this.slot = slot;
    }

    /** Opens the job for a call. Called by the caller only; the fields are published by the volatile open. */
    void start(RangeTask body, int count, int grain, int ranges, long idleEpoch, int maxHelpers) {
        this.idleEpoch = idleEpoch;
        this.maxHelpers = maxHelpers;
        this.task = body;
        this.count = count;
        this.grain = grain;
        this.ranges = ranges;
        this.failure = null;
        this.waiter = Thread.currentThread();
        nextRange.set(0);
        state.set(0);
    }

    /** Claims and runs ranges until none are left or a range failed. */
    void work() {
        RangeTask body = task;
        int n = ranges;
        int g = grain;
        int total = count;
        int i;
        while ((i = nextRange.getAndIncrement()) < n) {
            int from = i * g;
            int to = i == n - 1 ? total : from + g;
            try {
                body.run(from, to);
            } catch (Throwable t) {
                fail(from, to, t);
                return;
            }
        }
    }

    private synchronized void fail(int from, int to, Throwable t) {
        if (failure == null) {
            failedFrom = from;
            failedTo = to;
            failure = t;
        }
        nextRange.set(ranges); // the others stop after their current range
    }

    /**
     * Helper side: runs ranges if the job is open. The helper is told it is free for the next call
     * ({@link Helper#readyForNext()}) before it leaves, so the caller, which returns only after its helpers left,
     * finds it waiting for a hand-off on its very next call.
     */
    void help(Helper helper) {
        if (enter()) {
            try {
                work();
            } finally {
                helper.readyForNext();
                leave();
            }
        } else {
            helper.readyForNext();
        }
    }

    private boolean enter() {
        while (true) {
            int s = state.get();
            if ((s & CLOSED) != 0 || s >= maxHelpers) {
                return false;
            }
            if (state.compareAndSet(s, s + 1)) {
                return true;
            }
        }
    }

    /**
     * True while the call is open, has ranges nobody claimed yet and room for another helper: a free helper may
     * join it (see {@link ParallelExecutor#callShortOfHelpers()}).
     */
    boolean wantsHelp() {
        int s = state.get();
        return (s & CLOSED) == 0 && s < maxHelpers && nextRange.get() < ranges;
    }

    private void leave() {
        int s = state.decrementAndGet();
        if (s == CLOSED) {
            LockSupport.unpark(waiter);
        }
    }

    /**
     * Caller side, after its own {@link #work()}: closes the job, waits for helpers still inside, and returns the
     * failure if any. The wait spins for up to {@code spinNanos} (a helper inside is running the last ranges, which
     * usually end within microseconds, and waking a parked thread costs more than that), yielding after
     * {@link #YIELD_AFTER_NANOS}, then parks. Allocates nothing either way.
     */
    Throwable finish(long spinNanos) {
        int inside = state.getAndAdd(CLOSED);
        if (inside != 0) {
            long start = System.nanoTime();
            int spins = 0;
            boolean spinning = true;
            while ((state.get() & ~CLOSED) != 0) {
                if (spinning) {
                    if (++spins % 32 == 0) {
                        long waited = System.nanoTime() - start;
                        spinning = waited < spinNanos;
                        if (waited >= YIELD_AFTER_NANOS) {
                            Thread.yield(); // on a machine with more threads than cores, let the helper run
                        }
                    }
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
        }
        task = null;
        return failure;
    }

    /** The executor's idle epoch when the current (or last) call on this job started. */
    long idleEpoch() {
        return idleEpoch;
    }

    int failedFrom() {
        return failedFrom;
    }

    int failedTo() {
        return failedTo;
    }
}
