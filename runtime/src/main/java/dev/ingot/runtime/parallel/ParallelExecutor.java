package dev.ingot.runtime.parallel;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Runs loop bodies over index ranges on a work-stealing {@link ForkJoinPool}: the role of MNN's
 * {@code MNN_CONCURRENCY_BEGIN/END}.
 *
 * <p><b>Ranges are deterministic.</b> {@code parallelFor(count, grain, body)} calls {@code body.run(from, to)}
 * exactly once for each range {@code [i * grain, min(count, (i + 1) * grain))}, {@code i = 0 .. ceil(count/grain)-1}
 * — the same ranges whatever the thread count or schedule, so a kernel that reduces per range and combines the
 * partials in range order gets bitwise-reproducible results. Which thread runs which range varies.
 *
 * <p><b>Threads.</b> {@code threads} counts the caller: a call runs on the calling thread and up to
 * {@code threads - 1} pool workers ("helpers"), so a 1-thread executor runs everything on the caller and never
 * starts a thread, and a 2-thread executor uses two cores, like MNN's thread count. The pool itself has
 * {@code threads} workers so that nested calls from a worker and calls from several pipelines find helpers too.
 *
 * <p><b>Scheduling.</b> The calling thread always takes part, so work of one range (count &lt;= grain) runs on the
 * caller with no dispatch at all, and a call makes progress even when the pool is busy with other callers. Parties
 * claim ranges from a shared counter until none are left; the caller waits only for helpers that are running a
 * range, never for one still queued, so a late helper cannot delay the join. After its job a helper stays on its
 * worker, spinning (and yielding the core every few spins), for a bounded time ({@code -Dingot.spinMicros},
 * default {@value #DEFAULT_SPIN_MICROS} µs, 0 turns it off) and the next call hands its job straight to it:
 * back-to-back calls pay no thread wake-up (5-50 µs on a loaded machine). A waiting helper gives its thread back
 * as soon as the time is up, the executor closes, or other tasks wait in the pool, so no thread spins while idle
 * for longer than that. The caller likewise spins up to that
 * long for the last helper to leave before it parks. Many pipelines may share one executor: every call gets
 * helpers on the same FIFO-scheduled pool and no call is ever refused or parked behind another caller (MNN's pool
 * has two task slots and runs a third user serially); a call gets fewer helpers only while earlier ones are busy.
 *
 * <p><b>Admission.</b> Runs of pipelines enter the executor's {@link #admission()}: the threads of all admitted
 * runs together never exceed {@link #parallelism()}, runs beyond that wait in FIFO order, and a call made inside
 * a run uses at most the threads granted to that run. When the last run leaves and none waits, spinning helpers
 * give their threads back at once, so a sparse stream of requests burns no CPU between them.
 *
 * <p><b>Nesting</b> (a body calling {@code parallelFor}) never deadlocks: a caller only waits for helpers that are
 * already running a range, and those never wait for anything but their own running helpers; a waiting helper
 * only waits for a bounded time.
 *
 * <p><b>Failures.</b> When a body throws, the remaining unclaimed ranges are skipped, ranges already running finish,
 * and the caller gets a {@link ParallelExecutionException} whose cause is the first exception thrown.
 *
 * <p><b>Allocation.</b> A call allocates nothing: its state lives in a fixed pool of reusable jobs (eight per
 * worker thread, at least 32), and helpers come from a fixed pool of tasks (four per worker thread, at least 8)
 * handed a job or re-armed with {@link java.util.concurrent.ForkJoinTask#reinitialize()}. A call forks only helpers
 * that are neither queued nor running, so the pool's queue never holds more than that many; when all are busy, the
 * call proceeds with fewer (or none) and the caller does the rest. Only when more calls are in progress at once
 * than there are jobs does a call run all its ranges on the caller alone ({@link #backloggedCalls()} counts those).
 *
 * <p>Thread-safety: all methods may be called from any thread. {@link #close()} shuts down a pool this executor
 * made (and waits for its threads); a pool passed in by the caller stays the caller's to shut down.
 */
public final class ParallelExecutor implements AutoCloseable {

    /** System property giving the default thread count of {@link #withDefaultThreads()}. */
    public static final String THREADS_PROPERTY = "ingot.threads";
    /**
     * System property: how long (µs) a helper waits, spinning, for the next call before it gives its thread back to
     * the pool, and a caller spins for its last helper before it parks. 0: helpers never wait, callers park after
     * a few spins.
     */
    public static final String SPIN_PROPERTY = "ingot.spinMicros";
    /** Default of {@link #SPIN_PROPERTY}. */
    public static final int DEFAULT_SPIN_MICROS = 50;

    private static final AtomicInteger POOL_NUMBER = new AtomicInteger();

    private final ForkJoinPool pool;
    private final boolean ownsPool;
    private final int parallelism;
    private final Job[] jobs;
    /** 0 = free, 1 = taken, per slot of {@link #jobs}. */
    private final AtomicIntegerArray jobTaken;
    private final Helper[] helpers;
    /** Bound of every spin-wait, in nanoseconds (see the class comment). */
    private final long spinNanos;
    private final LongAdder backlogged = new LongAdder();
    private final LongAdder forks = new LongAdder();
    /**
     * Calls in progress that got fewer helpers than they wanted (every helper was queued or running elsewhere):
     * while it is above 0, a helper that comes free looks for such a call before it waits or gives its thread back.
     */
    private final AtomicInteger shortOfHelpers = new AtomicInteger();
    private final RunAdmission admission;
    /** Bumped when the last admitted run leaves: helpers that helped an earlier call stop waiting for a next one. */
    private volatile long idleEpoch;
    private volatile boolean closed;

    /**
     * An executor running each call on up to {@code threads} threads: the caller and {@code threads - 1} workers of
     * its own pool of daemon threads named {@code ingot-worker-P-N}, started on first need.
     *
     * @param threads the most threads a call runs on, caller included, at least 1
     * @throws IllegalArgumentException when {@code threads} is outside 1..32767, or {@code -Dingot.spinMicros} is
     *                                  not a non-negative integer
     */
    public ParallelExecutor(int threads) {
        this(spinNanosFromProperty(), newPool(threads), true, RunAdmission.DEFAULT_THREADS_WHEN_BUSY, true);
    }

    /**
     * An executor like {@link #ParallelExecutor(int)} whose {@link #admission()} gives every run
     * {@code threadsWhenBusy} threads while runs compete for the cores, whatever the run's working set (the other
     * constructors let each run state its own split, see {@link RunSplit}).
     *
     * @param threads         threads of a call, the caller included: 1..32767
     * @param threadsWhenBusy threads a run gets while other runs are running or waiting: 1..threads
     * @return a new executor; the caller closes it
     * @throws IllegalArgumentException when a count is out of range, or {@code -Dingot.spinMicros} is not a
     *                                  non-negative integer
     */
    public static ParallelExecutor withThreadsWhenBusy(int threads, int threadsWhenBusy) {
        return new ParallelExecutor(spinNanosFromProperty(), newPool(checkThreadsWhenBusy(threads, threadsWhenBusy)),
                true, threadsWhenBusy, false);
    }

    /**
     * An executor over a pool the caller owns and shuts down; {@link #close()} leaves it running. A call runs on
     * the caller and up to {@code getParallelism() - 1} of the pool's workers.
     *
     * @param callerOwned an executor (or pool) that stays the caller's to close
     * @throws IllegalArgumentException when {@code -Dingot.spinMicros} is not a non-negative integer
     */
    public ParallelExecutor(ForkJoinPool callerOwned) {
        this(spinNanosFromProperty(), requireNonNull(callerOwned), false, RunAdmission.DEFAULT_THREADS_WHEN_BUSY,
                true);
    }

    /** With an explicit spin bound in nanoseconds (0: helpers never wait for a next call). */
    ParallelExecutor(int threads, long spinNanos) {
        this(spinNanos, newPool(threads), true, RunAdmission.DEFAULT_THREADS_WHEN_BUSY, true);
    }

    private ParallelExecutor(long spinNanos, ForkJoinPool pool, boolean ownsPool, int threadsWhenBusy,
                             boolean splitPerRun) {
        this.pool = pool;
        this.ownsPool = ownsPool;
        this.spinNanos = spinNanos;
        this.parallelism = pool.getParallelism();
        this.admission = new RunAdmission(parallelism, Math.min(threadsWhenBusy, parallelism), splitPerRun,
                this::runsIdle);
        int jobSlots = Math.max(32, 8 * parallelism);
        this.jobs = new Job[jobSlots];
        this.jobTaken = new AtomicIntegerArray(jobSlots);
        for (int i = 0; i < jobSlots; i++) {
            jobs[i] = new Job(i);
        }
        int helperSlots = Math.max(8, 4 * parallelism);
        this.helpers = new Helper[helperSlots];
        for (int i = 0; i < helperSlots; i++) {
            helpers[i] = new Helper(this, pool, spinNanos);
        }
    }

    /**
     * An executor with {@code -Dingot.threads} threads, or as many as {@link Runtime#availableProcessors()}.
     *
     * @return the executor
     * @throws IllegalArgumentException when the property is not a positive integer
     */
    public static ParallelExecutor withDefaultThreads() {
        return new ParallelExecutor(defaultThreads());
    }

    /**
     * The thread count {@link #withDefaultThreads()} uses.
     *
     * @return the thread count {@link #withDefaultThreads()} uses
     */
    public static int defaultThreads() {
        String value = System.getProperty(THREADS_PROPERTY);
        if (value == null || value.isBlank()) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            int threads = Integer.parseInt(value.trim());
            if (threads >= 1) {
                return threads;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("-D" + THREADS_PROPERTY + ": expected a positive integer, got '"
                + value + "'");
    }

    /**
     * The most threads one call runs on: the caller and {@code parallelism() - 1} pool workers.
     *
     * @return the most threads one call runs on: the caller and {@code parallelism() - 1} pool workers
     */
    public int parallelism() {
        return parallelism;
    }

    /**
     * The admission of runs to this executor's {@link #parallelism()} cores (FIFO, callers x threads never above
     * the cores): pipelines enter it for each run. See {@link RunAdmission} for the policy.
     *
     * @return the admission
     */
    public RunAdmission admission() {
        return admission;
    }

    /**
     * Calls since creation that found every job in use by other calls in progress, and so ran on their caller.
     *
     * @return the number of such calls
     */
    public long backloggedCalls() {
        return backlogged.sum();
    }

    /**
     * Runs {@code body} over {@code [0, count)} in ranges of {@code grain} indices (the last may be shorter),
     * returning when every range has run. See the class comment for the guarantees.
     *
     * @param count number of indices, &gt;= 0 (0 runs nothing)
     * @param grain indices per range, &gt;= 1; one range (count &lt;= grain) runs directly on the caller
     * @param body the work for one range {@code [from, to)}; it must not throw
     * @throws IllegalArgumentException   for a negative count or a grain below 1
     * @throws IllegalStateException      when the executor is closed
     * @throws ParallelExecutionException when the body threw (the cause)
     */
    public void parallelFor(int count, int grain, RangeTask body) {
        if (count < 0 || grain < 1 || body == null) {
            throw new IllegalArgumentException("parallelFor: expected count >= 0, grain >= 1 and a body, got count "
                    + count + ", grain " + grain + ", body " + body);
        }
        if (closed) {
            throw new IllegalStateException("executor is closed");
        }
        if (count == 0) {
            return;
        }
        int ranges = count / grain + (count % grain == 0 ? 0 : 1);
        if (ranges == 1) {
            runSerially(count, grain, 1, body);
            return;
        }
        int granted = admission.currentThreads();
        int helpersWanted = Math.min(ranges, granted > 0 ? granted : parallelism) - 1;
        if (helpersWanted <= 0) {
            runSerially(count, grain, ranges, body);
            return;
        }
        Job job = acquireJob();
        if (job == null) {
            backlogged.increment();
            runSerially(count, grain, ranges, body); // every job in use: see the class comment
            return;
        }
        job.start(body, count, grain, ranges, idleEpoch, helpersWanted);
        int engaged = handOff(job, helpersWanted);
        if (engaged < helpersWanted) {
            engaged += fork(job, helpersWanted - engaged);
        }
        boolean shortOf = engaged < helpersWanted;
        if (shortOf) {
            // Every helper was queued or running elsewhere. From the increment on, a helper that comes free looks
            // for this call; one that came free before it is found by the second hand-off or fork. Without this
            // the call would run without the helpers that free up while it runs (a lost wake-up).
            shortOfHelpers.incrementAndGet();
            engaged += handOff(job, helpersWanted - engaged);
            if (engaged < helpersWanted) {
                fork(job, helpersWanted - engaged);
            }
        }
        job.work();
        Throwable failure = job.finish(spinNanos);
        if (shortOf) {
            shortOfHelpers.decrementAndGet();
        }
        int failedFrom = job.failedFrom();
        int failedTo = job.failedTo();
        jobTaken.set(job.slot, 0);
        if (failure != null) {
            throw new ParallelExecutionException(failedFrom, failedTo, failure);
        }
    }

    /**
     * Gives {@code job} to up to {@code wanted} helpers waiting on their workers; returns how many took it. A helper
     * still on its way to an earlier call is not counted: it may find that call over and never come to this one.
     */
    private int handOff(Job job, int wanted) {
        int engaged = 0;
        for (int i = 0; i < helpers.length && engaged < wanted; i++) {
            if (helpers[i].handOff(job)) {
                engaged++;
            }
        }
        return engaged;
    }

    /**
     * Forks up to {@code wanted} helpers that are neither queued nor running, pointed at {@code job}. Fewer when
     * they are all busy (more would only wait in line) or the pool shut down.
     */
    private int fork(Job job, int wanted) {
        Thread current = Thread.currentThread();
        boolean inPool = current instanceof ForkJoinWorkerThread worker && worker.getPool() == pool;
        int forked = 0;
        for (int i = 0; i < helpers.length && forked < wanted; i++) {
            Helper helper = helpers[i];
            if (!helper.take(job)) {
                continue;
            }
            if (inPool) {
                helper.fork();
            } else if (!submit(helper)) {
                return forked;
            }
            forked++;
            forks.increment();
        }
        return forked;
    }

    private static void runSerially(int count, int grain, int ranges, RangeTask body) {
        for (int i = 0; i < ranges; i++) {
            int from = i * grain;
            int to = i == ranges - 1 ? count : from + grain;
            try {
                body.run(from, to);
            } catch (Throwable t) {
                throw new ParallelExecutionException(from, to, t);
            }
        }
    }

    /** Queues a helper from outside the pool; false (and the helper given back) when the pool shut down. */
    private boolean submit(Helper helper) {
        try {
            pool.execute(helper);
            return true;
        } catch (RejectedExecutionException e) {
            helper.untake();
            return false;
        }
    }

    /**
     * A free job, or null when all are in use by calls in progress. The scan starts at slot 0 so that a lone
     * caller keeps reusing the same job, and late helpers pointed at it help its next call.
     */
    private Job acquireJob() {
        for (int i = 0; i < jobs.length; i++) {
            if (jobTaken.get(i) == 0 && jobTaken.compareAndSet(i, 0, 1)) {
                return jobs[i];
            }
        }
        return null;
    }

    /**
     * An open call short of helpers that a free helper could join, or null. Cheap when there is none (one read);
     * helpers call it when they come free and while they wait.
     */
    Job callShortOfHelpers() {
        if (shortOfHelpers.get() == 0) {
            return null;
        }
        for (Job job : jobs) {
            if (job.wantsHelp()) {
                return job;
            }
        }
        return null;
    }

    /** Helpers neither free nor waiting: queued in the pool or running a job (for tests). */
    int busyHelpers() {
        int busy = 0;
        for (Helper helper : helpers) {
            if (helper.isBusy()) {
                busy++;
            }
        }
        return busy;
    }

    /** The fixed number of helper tasks (for tests). */
    int helperCount() {
        return helpers.length;
    }

    /** Helpers forked to the pool since creation, as opposed to handed a job while waiting (for tests). */
    long forkedHelpers() {
        return forks.sum();
    }

    /** Helpers currently waiting, spinning, for a hand-off (for tests). */
    int idleHelpers() {
        int idle = 0;
        for (Helper helper : helpers) {
            if (helper.isIdle()) {
                idle++;
            }
        }
        return idle;
    }

    /** The last admitted run left and none waits: waiting helpers give their threads back now. */
    private void runsIdle() {
        idleEpoch++;
    }

    /** Changes whenever the admitted runs all left; a helper compares it with the value when it took its job. */
    long idleEpoch() {
        return idleEpoch;
    }

    private static int checkThreadsWhenBusy(int threads, int threadsWhenBusy) {
        if (threadsWhenBusy < 1 || threadsWhenBusy > threads) {
            throw new IllegalArgumentException("threadsWhenBusy: expected 1.." + threads + ", got "
                    + threadsWhenBusy);
        }
        return threads;
    }

    private static long spinNanosFromProperty() {
        String value = System.getProperty(SPIN_PROPERTY);
        if (value == null || value.isBlank()) {
            return DEFAULT_SPIN_MICROS * 1000L;
        }
        try {
            long micros = Long.parseLong(value.trim());
            if (micros >= 0 && micros <= Integer.MAX_VALUE) {
                return micros * 1000L;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("-D" + SPIN_PROPERTY + ": expected a non-negative integer (µs), got '"
                + value + "'");
    }

    /**
     * Stops accepting work. An executor that made its pool shuts it down and waits (up to a minute) for its
     * threads to end; a caller-owned pool is left running. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (ownsPool) {
            pool.shutdown();
            try {
                if (!pool.awaitTermination(1, TimeUnit.MINUTES)) {
                    pool.shutdownNow();
                }
            } catch (InterruptedException e) {
                pool.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * True once {@link #close()} was called.
     *
     * @return true once {@link #close()} was called
     */
    public boolean isClosed() {
        return closed;
    }

    private static ForkJoinPool requireNonNull(ForkJoinPool pool) {
        if (pool == null) {
            throw new IllegalArgumentException("callerOwned: expected a ForkJoinPool, got null");
        }
        return pool;
    }

    private static ForkJoinPool newPool(int threads) {
        if (threads < 1 || threads > 32767) {
            throw new IllegalArgumentException("threads: expected 1..32767, got " + threads);
        }
        int poolNumber = POOL_NUMBER.incrementAndGet();
        AtomicInteger threadNumber = new AtomicInteger();
        ForkJoinPool.ForkJoinWorkerThreadFactory factory = p -> {
            ForkJoinWorkerThread thread = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            thread.setName("ingot-worker-" + poolNumber + "-" + threadNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        // asyncMode: FIFO scheduling of forked helpers, so callers sharing the pool are served in order.
        return new ForkJoinPool(threads, factory, null, true);
    }
}
