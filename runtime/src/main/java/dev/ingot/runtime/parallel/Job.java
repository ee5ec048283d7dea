package dev.ingot.runtime.parallel;

import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The shared state of one {@code parallelFor} call, reused across calls so that dispatch allocates nothing.
 *
 * <p>Ranges: range {@code i} is {@code [i * grain, min(count, (i + 1) * grain))}; parties (the caller and the
 * helpers) claim range numbers from one counter, so every range runs exactly once and which ranges exist depends
 * only on {@code count} and {@code grain}.
 *
 * <p>Protocol. {@code state} packs a closed bit and the number of helpers currently inside the job. A helper that
 * starts after the caller closed the job does nothing. The caller closes once every range is claimed and waits only
 * for helpers that are inside, so a helper still queued behind other work never delays it. {@code refs} counts the
 * parties still holding the job (the caller and every forked helper until its {@code exec} ends); the last one
 * hands the job back to its executor, so a job is reused only when no helper can touch it any more.
 */
final class Job {
    private static final int CLOSED = 1 << 30;

    private final ParallelExecutor executor;
    /** Slot in the executor's pool. */
    final int slot;
    final Helper[] helpers;

    private final AtomicInteger nextRange = new AtomicInteger();
    private final AtomicInteger state = new AtomicInteger();
    private final AtomicInteger refs = new AtomicInteger();

    private RangeTask task;
    private int count;
    private int grain;
    private int ranges;
    private volatile Thread waiter;
    private volatile Throwable failure;
    private int failedFrom;
    private int failedTo;

    Job(ParallelExecutor executor, int slot, int helperCount) {
        this.executor = executor;
        this.slot = slot;
        this.helpers = new Helper[helperCount];
        for (int i = 0; i < helperCount; i++) {
            helpers[i] = new Helper(this);
        }
    }

    /** Prepares the job for a call; {@code forked} helpers will be forked. Called by the caller only. */
    void start(RangeTask body, int count, int grain, int ranges, int forked) {
        this.task = body;
        this.count = count;
        this.grain = grain;
        this.ranges = ranges;
        this.failure = null;
        this.waiter = Thread.currentThread();
        nextRange.set(0);
        state.set(0);
        refs.set(1 + forked);
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

    /** Helper side: runs ranges unless the caller already closed the job. */
    void help() {
        try {
            if (enter()) {
                try {
                    work();
                } finally {
                    leave();
                }
            }
        } finally {
            unref();
        }
    }

    private boolean enter() {
        while (true) {
            int s = state.get();
            if ((s & CLOSED) != 0) {
                return false;
            }
            if (state.compareAndSet(s, s + 1)) {
                return true;
            }
        }
    }

    private void leave() {
        int s = state.decrementAndGet();
        if (s == CLOSED) {
            LockSupport.unpark(waiter);
        }
    }

    /**
     * Caller side, after its own {@link #work()}: closes the job, waits for helpers still inside, and returns the
     * failure if any. Spins briefly, then parks (no allocation either way).
     */
    Throwable finish() {
        int s = state.getAndAdd(CLOSED);
        int spins = 0;
        while ((s & ~CLOSED) != 0) {
            if (spins < 2048) {
                spins++;
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
            s = state.get() & ~CLOSED;
        }
        task = null;
        waiter = null;
        return failure;
    }

    int failedFrom() {
        return failedFrom;
    }

    int failedTo() {
        return failedTo;
    }

    /** Drops one holder; the last one gives the job back. */
    void unref() {
        if (refs.decrementAndGet() == 0) {
            executor.recycle(this);
        }
    }

    /** A forkable helper that joins the job; reused through {@link ForkJoinTask#reinitialize()}. */
    static final class Helper extends ForkJoinTask<Void> {
        private static final long serialVersionUID = 1L;
        private final transient Job job;
        /** True once forked; then {@code isDone()} must hold before the next {@code reinitialize()}. */
        transient boolean wasForked;

        Helper(Job job) {
            this.job = job;
        }

        @Override
        public Void getRawResult() {
            return null;
        }

        @Override
        protected void setRawResult(Void value) {
        }

        @Override
        protected boolean exec() {
            job.help();
            return true;
        }
    }
}
