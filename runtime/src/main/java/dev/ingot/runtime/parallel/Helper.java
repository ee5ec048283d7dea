package dev.ingot.runtime.parallel;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A pool task that helps jobs: forked once, it helps the job it was given, then stays on its worker thread for a
 * bounded time ({@code spinNanos}) waiting for the next job to be handed to it, and only then returns the thread to
 * the pool. A hand-off costs the caller one compare-and-set and the helper no wake-up, where forking a task to a
 * parked worker costs an unpark (5-50 µs on a loaded machine); back-to-back {@code parallelFor} calls, the common
 * case in a pipeline, therefore find their helpers already running. The wait is bounded — the spirit of OpenMP's
 * {@code KMP_BLOCKTIME}, but microseconds, not 200 ms — and ends early when the executor closes or other tasks
 * wait in the pool, so no thread spins while idle for long and other work on a shared pool is not held up. After
 * the first {@link Job#YIELD_AFTER_NANOS} it also yields the core every few spins, so on a machine with more
 * runnable threads than cores it does not keep the caller (or anyone else) off the core it needs. And it stops
 * at once when the executor's admitted runs have all ended ({@link RunAdmission}): between the calls of one
 * pipeline run a helper waits, between requests of a sparse stream it does not.
 *
 * <p>A call that starts while every helper is queued or running elsewhere gets fewer than it wanted; it registers
 * itself as short of helpers, and a helper that comes free joins it before it waits for a hand-off or gives its
 * thread back ({@link ParallelExecutor#callShortOfHelpers()}), so no helper that frees up during such a call is
 * lost to it.
 *
 * <p>The {@link #mailbox} is the helper's whole state: {@link #FREE} (neither queued nor running: may be forked),
 * {@link #IDLE} (running and waiting for a hand-off), or the job it was given (queued, or running that job).
 * Every transition is one atomic step, so a hand-off either reaches the helper or fails and the caller forks
 * another; the job never depends on it, since the caller claims ranges itself and waits only for helpers inside
 * the job. Reused through {@link ForkJoinTask#reinitialize()}: a call allocates nothing.
 */
final class Helper extends ForkJoinTask<Void> {
    private static final long serialVersionUID = 1L;
    /** How many spins between two reads of the clock and of the pool's queues. */
    private static final int CHECK_EVERY = 32;

    /** Mailbox marker: neither queued nor running. */
    static final Job FREE = new Job(-1);
    /** Mailbox marker: running, waiting for a hand-off. */
    static final Job IDLE = new Job(-2);

    private final transient ParallelExecutor executor;
    private final transient ForkJoinPool pool;
    private final long spinNanos;
    private final transient AtomicReference<Job> mailbox = new AtomicReference<>(FREE);
    /** The executor's idle epoch when the job last helped started: when it moves, the runs are over. */
    private transient long jobIdleEpoch;
    /** True once forked; then {@code isDone()} must hold before the next {@code reinitialize()}. Caller-owned. */
    private transient boolean wasForked;

    Helper(ParallelExecutor executor, ForkJoinPool pool, long spinNanos) {
        this.executor = executor;
        this.pool = pool;
        this.spinNanos = spinNanos;
    }

    /** Caller side, with {@code job} just opened: gives it to this helper if it is waiting for one. */
    boolean handOff(Job job) {
        return mailbox.get() == IDLE && mailbox.compareAndSet(IDLE, job);
    }

    /**
     * Caller side: takes this helper if it is neither queued nor running, points it at {@code job} and re-arms it;
     * the caller then forks it. False when it is in use.
     */
    boolean take(Job job) {
        if (mailbox.get() != FREE || !mailbox.compareAndSet(FREE, job)) {
            return false;
        }
        if (wasForked) {
            // its exec gave the mailbox back, but the pool may not have marked the task done yet
            while (!isDone()) {
                Thread.onSpinWait();
            }
            reinitialize();
        }
        wasForked = true;
        return true;
    }

    /** Caller side: undoes {@link #take} when the pool refused the task (shut down). */
    void untake() {
        quietlyComplete();
        mailbox.set(FREE);
    }

    /**
     * Helper side, called by the job it helped before the helper leaves it: from now on a caller may hand it the
     * next job (the mailbox still holds the finished one, which only this helper changes).
     */
    void readyForNext() {
        if (spinNanos > 0) {
            mailbox.set(IDLE);
        }
    }

    /** True while the helper is queued or running a job: neither free nor waiting (for tests). */
    boolean isBusy() {
        Job job = mailbox.get();
        return job != FREE && job != IDLE;
    }

    /** True while the helper waits for a hand-off (for tests and diagnostics). */
    boolean isIdle() {
        return mailbox.get() == IDLE;
    }

    @Override
    protected boolean exec() {
        boolean gaveBack = false;
        try {
            Job job = mailbox.get();
            while (job != null) {
                jobIdleEpoch = job.idleEpoch();
                job.help(this);
                job = awaitHandOff();
            }
            gaveBack = true;
        } finally {
            if (!gaveBack) {
                mailbox.set(FREE); // only on an unexpected error: once given back, a caller may have taken it again
            }
        }
        return true;
    }

    /**
     * Waits (spinning, bounded) for the next job. Returns null once the helper gave itself back ({@link #FREE}):
     * from then on a caller may take it again, so the helper must not touch its mailbox any more.
     */
    private Job awaitHandOff() {
        if (spinNanos == 0) {
            Job shortCall = executor.callShortOfHelpers();
            if (shortCall != null) {
                mailbox.set(shortCall); // the mailbox still holds the finished job: only this helper changes it
                return shortCall;
            }
            mailbox.set(FREE);
            return null;
        }
        long start = System.nanoTime();
        int spins = 0;
        while (true) {
            Job next = mailbox.get();
            if (next != IDLE) {
                return next;
            }
            if (spins++ % CHECK_EVERY == 0) {
                // A call that found every helper busy when it started waits for one that comes free: join it.
                Job shortCall = executor.callShortOfHelpers();
                if (shortCall != null) {
                    return mailbox.compareAndSet(IDLE, shortCall) ? shortCall : mailbox.get();
                }
                long waited = System.nanoTime() - start;
                if (waited >= spinNanos || stopWaiting()) {
                    // a hand-off may still win the race: then help that job
                    return mailbox.compareAndSet(IDLE, FREE) ? null : mailbox.get();
                }
                if (waited >= Job.YIELD_AFTER_NANOS) {
                    Thread.yield(); // no call soon: on a machine with more threads than cores, let others run
                }
            }
            Thread.onSpinWait();
        }
    }

    private boolean stopWaiting() {
        return executor.isClosed() || executor.idleEpoch() != jobIdleEpoch || pool.hasQueuedSubmissions()
                || pool.getQueuedTaskCount() > 0;
    }

    @Override
    public Void getRawResult() {
        return null;
    }

    @Override
    protected void setRawResult(Void value) {
    }
}
