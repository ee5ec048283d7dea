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
 * <p><b>Scheduling.</b> The calling thread always takes part, so work of one range (count &lt;= grain) runs on the
 * caller with no dispatch at all, and a call makes progress even when the pool is busy with other callers. Up to
 * {@link #parallelism()} helper tasks are queued on the pool; each claims ranges from a shared counter until none
 * are left. A helper that only gets to run after all ranges were claimed does nothing and is not waited for. Many
 * pipelines may share one executor: every call gets helpers on the same FIFO-scheduled pool and no call is ever
 * refused or parked behind another caller (MNN's pool has two task slots and runs a third user serially); a call
 * gets fewer helpers only while earlier helpers are still queued (see Allocation).
 *
 * <p><b>Nesting</b> (a body calling {@code parallelFor}) never deadlocks: a caller only waits for helpers that are
 * already running a range, and those never wait for anything but their own running helpers.
 *
 * <p><b>Failures.</b> When a body throws, the remaining unclaimed ranges are skipped, ranges already running finish,
 * and the caller gets a {@link ParallelExecutionException} whose cause is the first exception thrown.
 *
 * <p><b>Allocation.</b> A call allocates nothing: its state lives in a fixed pool of reusable jobs (eight per
 * worker thread, at least 32), and helpers come from a fixed pool of tasks (four per worker thread, at least 8)
 * re-armed with {@link java.util.concurrent.ForkJoinTask#reinitialize()}. A call forks only helpers that are
 * neither queued nor running, so the pool's queue never holds more than that many; when all are out, the call
 * proceeds with fewer (or none) and the caller does the rest. Only when more calls are in progress at once than
 * there are jobs does a call run all its ranges on the caller alone ({@link #backloggedCalls()} counts those).
 *
 * <p>Thread-safety: all methods may be called from any thread. {@link #close()} shuts down a pool this executor
 * made (and waits for its threads); a pool passed in by the caller stays the caller's to shut down.
 */
public final class ParallelExecutor implements AutoCloseable {

    /** System property giving the default thread count of {@link #withDefaultThreads()}. */
    public static final String THREADS_PROPERTY = "ingot.threads";

    private static final AtomicInteger POOL_NUMBER = new AtomicInteger();

    private final ForkJoinPool pool;
    private final boolean ownsPool;
    private final int parallelism;
    private final Job[] jobs;
    /** 0 = free, 1 = taken, per slot of {@link #jobs}. */
    private final AtomicIntegerArray jobTaken;
    private final Job.Helper[] helpers;
    /** 0 = free, 1 = queued or running, per slot of {@link #helpers}. */
    private final AtomicIntegerArray helperTaken;
    private final LongAdder backlogged = new LongAdder();
    private volatile boolean closed;

    /**
     * An executor with its own pool of {@code threads} daemon worker threads, named {@code ingot-worker-P-N}.
     *
     * @throws IllegalArgumentException when {@code threads} is outside 1..32767
     */
    public ParallelExecutor(int threads) {
        this(newPool(threads), true);
    }

    /** An executor over a pool the caller owns and shuts down; {@link #close()} leaves it running. */
    public ParallelExecutor(ForkJoinPool callerOwned) {
        this(requireNonNull(callerOwned), false);
    }

    private ParallelExecutor(ForkJoinPool pool, boolean ownsPool) {
        this.pool = pool;
        this.ownsPool = ownsPool;
        this.parallelism = pool.getParallelism();
        int jobSlots = Math.max(32, 8 * parallelism);
        this.jobs = new Job[jobSlots];
        this.jobTaken = new AtomicIntegerArray(jobSlots);
        for (int i = 0; i < jobSlots; i++) {
            jobs[i] = new Job(i);
        }
        int helperSlots = Math.max(8, 4 * parallelism);
        this.helpers = new Job.Helper[helperSlots];
        this.helperTaken = new AtomicIntegerArray(helperSlots);
        for (int i = 0; i < helperSlots; i++) {
            helpers[i] = new Job.Helper(this, i);
        }
    }

    /**
     * An executor with {@code -Dingot.threads} threads, or as many as {@link Runtime#availableProcessors()}.
     *
     * @throws IllegalArgumentException when the property is not a positive integer
     */
    public static ParallelExecutor withDefaultThreads() {
        return new ParallelExecutor(defaultThreads());
    }

    /** The thread count {@link #withDefaultThreads()} uses. */
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

    /** Number of worker threads of the pool. */
    public int parallelism() {
        return parallelism;
    }

    /** Calls since creation that found every job in use by other calls in progress, and so ran on their caller. */
    public long backloggedCalls() {
        return backlogged.sum();
    }

    /**
     * Runs {@code body} over {@code [0, count)} in ranges of {@code grain} indices (the last may be shorter),
     * returning when every range has run. See the class comment for the guarantees.
     *
     * @param count number of indices, &gt;= 0 (0 runs nothing)
     * @param grain indices per range, &gt;= 1; at most one range runs directly on the caller
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
        Thread current = Thread.currentThread();
        boolean inPool = current instanceof ForkJoinWorkerThread worker && worker.getPool() == pool;
        int helpersWanted = Math.min(ranges - 1, inPool ? parallelism - 1 : parallelism);
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
        job.start(body, count, grain, ranges);
        for (int i = 0; i < helpersWanted; i++) {
            Job.Helper helper = acquireHelper();
            if (helper == null) {
                break; // the helpers are all queued or running already: more would only wait in line
            }
            helper.job = job;
            if (inPool) {
                helper.fork();
            } else if (!submit(helper)) {
                break;
            }
        }
        job.work();
        Throwable failure = job.finish();
        int failedFrom = job.failedFrom();
        int failedTo = job.failedTo();
        jobTaken.set(job.slot, 0);
        if (failure != null) {
            throw new ParallelExecutionException(failedFrom, failedTo, failure);
        }
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
    private boolean submit(Job.Helper helper) {
        try {
            pool.execute(helper);
            return true;
        } catch (RejectedExecutionException e) {
            helper.quietlyComplete();
            recycle(helper);
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

    /** A helper that is neither queued nor running, re-armed for forking; null when there is none. */
    private Job.Helper acquireHelper() {
        for (int i = 0; i < helpers.length; i++) {
            if (helperTaken.get(i) == 0 && helperTaken.compareAndSet(i, 0, 1)) {
                Job.Helper helper = helpers[i];
                if (helper.wasForked) {
                    // its exec has returned (it gave the slot back) but the pool may not have marked it done yet
                    while (!helper.isDone()) {
                        Thread.onSpinWait();
                    }
                    helper.reinitialize();
                }
                helper.wasForked = true;
                return helper;
            }
        }
        return null;
    }

    /** Called by a helper at the end of its exec. */
    void recycle(Job.Helper helper) {
        helperTaken.set(helper.slot, 0);
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

    /** True once {@link #close()} was called. */
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
