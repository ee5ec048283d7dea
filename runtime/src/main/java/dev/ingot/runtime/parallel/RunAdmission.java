package dev.ingot.runtime.parallel;

import java.util.concurrent.locks.LockSupport;

/**
 * Admission of runs to an executor's cores: the threads of all admitted runs together never exceed
 * {@link #cores()}, and runs beyond that wait in FIFO order instead of being time-sliced by the OS.
 *
 * <p><b>Policy.</b> A run asks to {@link #enter()}. It is admitted, in arrival order, as soon as a core is free; it
 * then gets {@code min(free cores, want)} threads, where {@code want} is all {@link #cores()} when the run is alone
 * (no other run is running or waiting) and its threads-when-busy otherwise. So a lone caller uses every core, and
 * competing callers split the cores into runs of that many threads each. The best split depends on the shape, so
 * by default each run brings its own ({@link #enter(int, int)}): a pipeline asks for what {@link RunSplit} gives
 * for its working set (one thread when it fits a core's L2 cache, so short runs proceed side by side; all cores
 * otherwise, so large runs take turns with their data spread over several caches), and a run that states nothing
 * gets {@link #DEFAULT_THREADS_WHEN_BUSY}. An executor made with {@link ParallelExecutor#withThreadsWhenBusy}
 * (or a backend built with {@code threadsWhenBusy}) fixes one value for every run instead
 * ({@link #splitPerRun()} is then false).
 *
 * <p>Between {@code enter()} and {@link #exit()}, {@code parallelFor} calls made by the admitted thread use at most
 * its granted threads (the caller counting as one). Calls from threads that were not admitted (ops called
 * directly, outside a pipeline) are not limited. When the last run leaves and none waits, the executor's helpers
 * stop waiting for a next call at once ({@link ParallelExecutor} spins between calls of one run only), so an idle
 * process burns no CPU.
 *
 * <p><b>Cost.</b> An {@code enter()}/{@code exit()} pair takes a monitor once or twice and allocates nothing on
 * any thread (the queue grows only past 64 waiting runs). A waiting run parks; it is woken by the run that hands
 * it the freed cores. Waiting
 * is not interruptible (a run waits behind a bounded amount of work); the interrupt status is kept.
 * Re-entering on an admitted thread (a run inside a run) is admitted at once with the same threads.
 *
 * <p>Thread-safety: all methods may be called from any thread; {@code exit()} must be called by the thread that
 * entered.
 */
public final class RunAdmission {

    /** Threads a run gets while other runs compete, unless the executor was made with another value. */
    public static final int DEFAULT_THREADS_WHEN_BUSY = 1;

    private final int cores;
    private final int threadsWhenBusy;
    private final boolean splitPerRun;
    private final Runnable onIdle;
    private final Object lock = new Object();
    /**
     * The threads of the admitted runs: at most one per core, since each run has at least one thread. Written under
     * the lock before the owner proceeds (so it sees its own entry); read without it only to find one's own entry.
     */
    private final Thread[] owners;
    /** Threads granted to the run of {@code owners[i]}. */
    private final int[] granted;
    /** Nesting depth of {@code enter()} by {@code owners[i]}; owner only. */
    private final int[] depth;

    // guarded by lock
    private Thread[] queue = new Thread[64];
    /** The thread cap of each queued run, beside {@link #queue}. */
    private int[] queueCaps = new int[64];
    /** The threads-when-busy of each queued run, beside {@link #queue}. */
    private int[] queueBusy = new int[64];
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
     * @param threadsWhenBusy threads a run gets while others compete, 1..cores: for every run, or for runs that
     *                        state none when {@code splitPerRun}
     * @param splitPerRun     whether a run's own threads-when-busy ({@link #enter(int, int)}) applies
     * @param onIdle          called (outside any lock) when the last run leaves and none waits; may be null
     * @throws IllegalArgumentException when a count is out of range
     */
    RunAdmission(int cores, int threadsWhenBusy, boolean splitPerRun, Runnable onIdle) {
        if (cores < 1) {
            throw new IllegalArgumentException("cores: expected >= 1, got " + cores);
        }
        if (threadsWhenBusy < 1 || threadsWhenBusy > cores) {
            throw new IllegalArgumentException("threadsWhenBusy: expected 1.." + cores + ", got " + threadsWhenBusy);
        }
        this.cores = cores;
        this.threadsWhenBusy = threadsWhenBusy;
        this.splitPerRun = splitPerRun;
        this.onIdle = onIdle;
        this.free = cores;
        this.owners = new Thread[cores];
        this.granted = new int[cores];
        this.depth = new int[cores];
    }

    /**
     * The cores all admitted runs share.
     *
     * @return the cores all admitted runs share
     */
    public int cores() {
        return cores;
    }

    /**
     * Threads a run gets while other runs are running or waiting: for every run, or (when {@link #splitPerRun()})
     * for runs that state none.
     *
     * @return the threads per run while others run or wait
     */
    public int threadsWhenBusy() {
        return threadsWhenBusy;
    }

    /**
     * Whether each run's own threads-when-busy applies ({@link #enter(int, int)}), as opposed to one fixed value.
     *
     * @return true when the split is chosen per run
     */
    public boolean splitPerRun() {
        return splitPerRun;
    }

    /**
     * Waits, in FIFO order, until this thread's run is admitted, and returns the threads it may use (its
     * {@code parallelFor} calls are limited to them until {@link #exit()}).
     *
     * @return threads granted, 1..{@link #cores()}
     */
    public int enter() {
        return enter(cores);
    }

    /**
     * Like {@link #enter()}, but the run gets at most {@code maxThreads} threads: a caller that wants its run on
     * fewer cores (a latency-insensitive job beside requests, or a warm-up of the serial code path). Inside a run
     * already admitted on this thread, returns that run's threads.
     *
     * @param maxThreads the most threads this run may use, &gt;= 1
     * @return threads granted, 1..min(maxThreads, {@link #cores()})
     * @throws IllegalArgumentException when {@code maxThreads < 1}
     */
    public int enter(int maxThreads) {
        return enter(maxThreads, threadsWhenBusy);
    }

    /**
     * Like {@link #enter(int)}, stating the threads this run should get while other runs compete (a pipeline
     * passes {@link RunSplit#threadsWhenBusy(long, int)} of its working set). Applies when {@link #splitPerRun()};
     * otherwise the admission's fixed {@link #threadsWhenBusy()} does.
     *
     * @param maxThreads the most threads this run may use, &gt;= 1
     * @param whenBusy   threads while others compete, &gt;= 1 (capped at the cores)
     * @return threads granted, 1..min(maxThreads, {@link #cores()})
     * @throws IllegalArgumentException when a count is below 1
     */
    public int enter(int maxThreads, int whenBusy) {
        if (maxThreads < 1 || whenBusy < 1) {
            throw new IllegalArgumentException("maxThreads, whenBusy: expected >= 1, got " + maxThreads + ", "
                    + whenBusy);
        }
        int busy = splitPerRun ? Math.min(whenBusy, cores) : threadsWhenBusy;
        Thread me = Thread.currentThread();
        int own = slotOf(me);
        if (own >= 0) {
            depth[own]++;
            return granted[own];
        }
        synchronized (lock) {
            if (head == tail && free > 0) {
                own = admit(me, running == 0, maxThreads, busy);
                depth[own] = 1;
                return granted[own];
            }
            enqueue(me, maxThreads, busy);
            waited++;
        }
        boolean interrupted = false;
        while (true) {
            LockSupport.park(this);
            if (Thread.interrupted()) {
                interrupted = true;
            }
            synchronized (lock) {
                own = slotOf(me);
                if (own >= 0) {
                    break;
                }
            }
        }
        if (interrupted) {
            me.interrupt();
        }
        depth[own] = 1;
        return granted[own];
    }

    /**
     * Ends this thread's run: its threads go to the runs waiting at the head of the queue.
     *
     * @throws IllegalStateException when this thread was not admitted
     */
    public void exit() {
        int own = slotOf(Thread.currentThread());
        if (own < 0) {
            throw new IllegalStateException("exit() on a thread that was not admitted");
        }
        if (--depth[own] > 0) {
            return;
        }
        boolean idle;
        synchronized (lock) {
            free += granted[own];
            running--;
            granted[own] = 0;
            owners[own] = null;
            while (head != tail && free > 0) {
                int at = (int) (head % queue.length);
                Thread next = queue[at];
                int cap = queueCaps[at];
                int busy = queueBusy[at];
                queue[at] = null;
                head++;
                admit(next, head == tail && running == 0, cap, busy);
                LockSupport.unpark(next);
            }
            idle = running == 0 && head == tail;
        }
        if (idle && onIdle != null) {
            onIdle.run();
        }
    }

    /**
     * Threads granted to the calling thread's current run, or 0 when it is not inside an admitted run.
     *
     * @return the threads granted, or 0
     */
    public int currentThreads() {
        int own = slotOf(Thread.currentThread());
        return own >= 0 ? granted[own] : 0;
    }

    /**
     * A snapshot of the admission counters.
     *
     * @return the counters
     */
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

    /** Admits {@code thread}'s run; under the lock, with {@code free > 0}. Returns its slot. */
    private int admit(Thread thread, boolean alone, int maxThreads, int whenBusy) {
        int want = Math.min(alone ? cores : whenBusy, maxThreads);
        int slot = 0;
        while (owners[slot] != null) {
            slot++; // a free slot exists: fewer runs than cores are admitted while a core is free
        }
        granted[slot] = Math.min(free, want);
        free -= granted[slot];
        owners[slot] = thread;
        running++;
        admitted++;
        return slot;
    }

    private int slotOf(Thread thread) {
        Thread[] threads = owners;
        for (int i = 0; i < threads.length; i++) {
            if (threads[i] == thread) {
                return i;
            }
        }
        return -1;
    }

    private void enqueue(Thread thread, int cap, int busy) {
        if (tail - head == queue.length) {
            Thread[] bigger = new Thread[queue.length * 2];
            int[] biggerCaps = new int[bigger.length];
            int[] biggerBusy = new int[bigger.length];
            for (long i = head; i < tail; i++) {
                bigger[(int) (i % bigger.length)] = queue[(int) (i % queue.length)];
                biggerCaps[(int) (i % bigger.length)] = queueCaps[(int) (i % queue.length)];
                biggerBusy[(int) (i % bigger.length)] = queueBusy[(int) (i % queue.length)];
            }
            queue = bigger;
            queueCaps = biggerCaps;
            queueBusy = biggerBusy;
        }
        queueCaps[(int) (tail % queue.length)] = cap;
        queueBusy[(int) (tail % queue.length)] = busy;
        queue[(int) (tail % queue.length)] = thread;
        tail++;
    }
}
