package dev.ingot.runtime.parallel;

import java.util.concurrent.locks.LockSupport;

/**
 * Admission of runs to an executor's cores: the threads of all admitted runs together never exceed
 * {@link #cores()}, and runs beyond that wait in FIFO order instead of being time-sliced by the OS.
 *
 * <p><b>Policy.</b> A run asks to {@link #enter()}. It is admitted, in arrival order, as soon as a core is free; it
 * then gets {@code min(free cores, want)} threads, where {@code want} is all {@link #cores()} when the run is alone
 * (no other run is running or waiting) and {@link #threadsWhenBusy()} otherwise. So a lone caller uses every core,
 * and competing callers split the cores into runs of {@code threadsWhenBusy} threads each. The best split depends
 * on the shape: small working sets run faster on all cores one after the other (their data stays in the cores'
 * caches), large memory-bound ones on one thread per run side by side. The default,
 * {@link #DEFAULT_THREADS_WHEN_BUSY}, is the measured choice for this project's serving shapes (see the README's
 * "Serving" section); {@link ParallelExecutor#withThreadsWhenBusy} changes it.
 *
 * <p>Between {@code enter()} and {@link #exit()}, {@code parallelFor} calls made by the admitted thread use at most
 * its granted threads (the caller counting as one). Calls from threads that were not admitted (ops called
 * directly, outside a pipeline) are not limited. When the last run leaves and none waits, the executor's helpers
 * stop waiting for a next call at once ({@link ParallelExecutor} spins between calls of one run only), so an idle
 * process burns no CPU.
 *
 * <p><b>Cost.</b> An uncontended {@code enter()}/{@code exit()} pair takes a monitor twice and allocates nothing,
 * except that each thread allocates its small admission slot once (so on a new virtual thread per request, a few
 * dozen bytes per request). A waiting run parks; it is woken by the run that hands it the freed cores. Waiting
 * is not interruptible (a run waits behind a bounded amount of work); the interrupt status is kept.
 * Re-entering on an admitted thread (a run inside a run) is admitted at once with the same threads.
 *
 * <p>Thread-safety: all methods may be called from any thread; {@code exit()} must be called by the thread that
 * entered.
 */
public final class RunAdmission {

    /** Threads a run gets while other runs compete, unless the executor was made with another value. */
    public static final int DEFAULT_THREADS_WHEN_BUSY = 1;

    /** Per-thread admission state, reused across the thread's runs. */
    private static final class Slot {
        final Thread thread = Thread.currentThread();
        /** Threads granted to the current run (0: not admitted). Written under the lock or by the owner. */
        volatile int granted;
        /** Nesting depth of enter() on this thread; owner only. */
        int depth;
    }

    private final int cores;
    private final int threadsWhenBusy;
    private final Runnable onIdle;
    private final ThreadLocal<Slot> slots = ThreadLocal.withInitial(Slot::new);
    private final Object lock = new Object();

    // all guarded by lock
    private Slot[] queue = new Slot[16];
    private long head;
    private long tail;
    private int free;
    private int running;
    private long admitted;
    private long waited;

    /**
     * Admission to {@code cores} cores.
     *
     * @param cores           cores shared by all runs, &gt;= 1
     * @param threadsWhenBusy threads a run gets while others compete, 1..cores
     * @param onIdle          called (outside any lock) when the last run leaves and none waits; may be null
     * @throws IllegalArgumentException when a count is out of range
     */
    RunAdmission(int cores, int threadsWhenBusy, Runnable onIdle) {
        if (cores < 1) {
            throw new IllegalArgumentException("cores: expected >= 1, got " + cores);
        }
        if (threadsWhenBusy < 1 || threadsWhenBusy > cores) {
            throw new IllegalArgumentException("threadsWhenBusy: expected 1.." + cores + ", got " + threadsWhenBusy);
        }
        this.cores = cores;
        this.threadsWhenBusy = threadsWhenBusy;
        this.onIdle = onIdle;
        this.free = cores;
    }

    /** The cores all admitted runs share. */
    public int cores() {
        return cores;
    }

    /** Threads a run gets while other runs are running or waiting. */
    public int threadsWhenBusy() {
        return threadsWhenBusy;
    }

    /**
     * Waits, in FIFO order, until this thread's run is admitted, and returns the threads it may use (its
     * {@code parallelFor} calls are limited to them until {@link #exit()}).
     *
     * @return threads granted, 1..{@link #cores()}
     */
    public int enter() {
        Slot slot = slots.get();
        if (slot.depth > 0) {
            slot.depth++;
            return slot.granted;
        }
        synchronized (lock) {
            if (head == tail && free > 0) {
                slot.granted = grant(running == 0);
                admitted++;
                slot.depth = 1;
                return slot.granted;
            }
            enqueue(slot);
            waited++;
        }
        boolean interrupted = false;
        while (slot.granted == 0) {
            LockSupport.park(this);
            if (Thread.interrupted()) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        slot.depth = 1;
        return slot.granted;
    }

    /**
     * Ends this thread's run: its threads go to the runs waiting at the head of the queue.
     *
     * @throws IllegalStateException when this thread was not admitted
     */
    public void exit() {
        Slot slot = slots.get();
        if (slot.depth == 0) {
            throw new IllegalStateException("exit() on a thread that was not admitted");
        }
        if (--slot.depth > 0) {
            return;
        }
        boolean idle;
        synchronized (lock) {
            free += slot.granted;
            running--;
            slot.granted = 0;
            while (head != tail && free > 0) {
                Slot next = queue[(int) (head % queue.length)];
                queue[(int) (head % queue.length)] = null;
                head++;
                next.granted = grant(head == tail && running == 0);
                admitted++;
                LockSupport.unpark(next.thread);
            }
            idle = running == 0 && head == tail;
        }
        if (idle && onIdle != null) {
            onIdle.run();
        }
    }

    /** Threads granted to the calling thread's current run, or 0 when it is not inside an admitted run. */
    public int currentThreads() {
        Slot slot = slots.get();
        return slot.depth > 0 ? slot.granted : 0;
    }

    /** A snapshot of the admission counters. */
    public Stats stats() {
        synchronized (lock) {
            return new Stats(running, (int) (tail - head), cores - free, admitted, waited);
        }
    }

    /**
     * Admission counters at one moment.
     *
     * @param running     runs admitted and not yet left
     * @param waiting     runs waiting in the queue
     * @param threadsBusy threads granted to running runs (never more than the cores)
     * @param admitted    runs admitted since creation
     * @param waited      runs since creation that had to wait in the queue
     */
    public record Stats(int running, int waiting, int threadsBusy, long admitted, long waited) {
    }

    /** Takes threads for a run being admitted; under the lock, with {@code free > 0}. */
    private int grant(boolean alone) {
        int want = alone ? cores : threadsWhenBusy;
        int granted = Math.min(free, want);
        free -= granted;
        running++;
        return granted;
    }

    private void enqueue(Slot slot) {
        if (tail - head == queue.length) {
            Slot[] bigger = new Slot[queue.length * 2];
            for (long i = head; i < tail; i++) {
                bigger[(int) (i % bigger.length)] = queue[(int) (i % queue.length)];
            }
            queue = bigger;
        }
        queue[(int) (tail % queue.length)] = slot;
        tail++;
    }
}
