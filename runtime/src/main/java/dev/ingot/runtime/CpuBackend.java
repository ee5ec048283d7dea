package dev.ingot.runtime;

import dev.ingot.allocator.AllocatorOptions;
import dev.ingot.allocator.EagerBufferAllocator;
import dev.ingot.allocator.LeakReport;
import dev.ingot.allocator.MemoryBudget;
import dev.ingot.allocator.MemoryChunk;
import dev.ingot.allocator.SegmentSource;
import dev.ingot.runtime.parallel.ParallelExecutor;
import dev.ingot.runtime.parallel.RunAdmission;
import dev.ingot.runtime.parallel.RunSplit;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The CPU backend, as MNN's {@code CPUBackend}: it owns the memory of the tensors it makes and the executor their
 * ops run on.
 *
 * <p><b>Memory.</b> One static allocator (an {@link EagerBufferAllocator}) holds STATIC tensors: parameters,
 * pipeline inputs, anything that lives until released. DYNAMIC memory is acquired and released only between
 * {@link #onResizeBegin()} and {@link #onResizeEnd()}, in execution order, so later tensors reuse earlier ones'
 * memory; it is placed eagerly or deferred by {@link MemoryMode}. DYNAMIC tensors get their segments when the resize
 * ends (deferred placement is only known then) and keep them until the next resize of the same region. The backend
 * has one dynamic region of its own (for executions driven by hand) and every {@link Pipeline} gets a separate one,
 * so pipelines on one backend never share dynamic memory and may run at the same time from different threads.
 *
 * <p><b>Budget.</b> All the backend's tensor memory, STATIC and DYNAMIC, every pipeline's included, is charged to
 * one {@link MemoryBudget} ({@link #memoryBudget()}): a root of its own, or a child of the budget given to
 * {@link Builder#parentBudget(MemoryBudget)}, limited by {@link Builder#memoryLimit(long)}. Blocks are charged while
 * reserved, pooled ones included. Acquiring memory or planning a pipeline past the limit (or past an ancestor's)
 * throws {@link dev.ingot.allocator.AllocationLimitException} naming the backend as the tenant; nothing of the
 * failed acquisition or plan stays allocated, and the backend stays usable.
 *
 * <p><b>Ownership.</b> Tensors from {@link #newTensor} belong to this backend: closing one releases the STATIC
 * memory it holds. {@link #close()} frees all memory, including what was never released, and reports such tensors
 * as leaks through {@link System.Logger} (and {@link #leaksAtClose()}). An executor passed in stays the caller's.
 *
 * <p><b>Thread-safety.</b> STATIC acquire/release, {@link #newTensor} and {@link #onExecuteBegin()} may be called
 * from any thread. Resizes are serialized: {@link #onResizeBegin()} takes a lock that {@link #onResizeEnd()}
 * releases, and DYNAMIC acquire/release are only allowed on the thread holding it.
 */
public final class CpuBackend implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(CpuBackend.class.getName());
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final String name;
    private final MemoryBudget budget;
    private final MemoryMode memoryMode;
    private final ParallelExecutor executor;
    private final boolean ownsExecutor;
    private final EagerBufferAllocator staticAllocator;
    private final Map<Tensor, MemoryChunk> staticChunks = new IdentityHashMap<>();
    private final Set<DynamicMemory> regions = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    private final DynamicMemory ownRegion;
    private final ReentrantLock resizeLock = new ReentrantLock();
    private final AtomicInteger executing = new AtomicInteger();
    private final Tensor.Owner tensorOwner = this::tensorClosed;
    private DynamicMemory resizing;
    private volatile boolean closed;
    private LeakReport leaksAtClose;

    /** A backend with deferred dynamic memory and its own executor of {@link ParallelExecutor#defaultThreads()}. */
    public CpuBackend() {
        this(builder());
    }

    private CpuBackend(Builder builder) {
        this.name = builder.name != null ? builder.name : "cpu-" + INSTANCES.incrementAndGet();
        this.budget = builder.parentBudget != null ? builder.parentBudget.child(name, builder.memoryLimit)
                : MemoryBudget.root(name, builder.memoryLimit);
        this.memoryMode = builder.memoryMode;
        this.ownsExecutor = builder.executor == null;
        int threads = builder.threads > 0 ? builder.threads : ParallelExecutor.defaultThreads();
        this.executor = !ownsExecutor ? builder.executor
                : builder.threadsWhenBusy > 0
                ? ParallelExecutor.withThreadsWhenBusy(threads, Math.min(builder.threadsWhenBusy, threads))
                : new ParallelExecutor(threads); // each run's split from its working set (RunSplit)
        this.staticAllocator = new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withName(name + "-static").withBudget(budget));
        this.ownRegion = newDynamicMemory();
    }

    /**
     * A builder: memory mode, executor or thread count, name, memory limit and parent budget.
     *
     * @return a builder: memory mode, executor or thread count, name, memory limit and parent budget
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The budget all the backend's tensor memory is charged to: its limit, what is reserved now, its peak and its
     * refusals.
     *
     * @return the backend's budget (a child of the builder's parent budget, if one was given)
     */
    public MemoryBudget memoryBudget() {
        return budget;
    }

    /**
     * How DYNAMIC memory is placed.
     *
     * @return how DYNAMIC memory is placed
     */
    public MemoryMode memoryMode() {
        return memoryMode;
    }

    /**
     * The executor ops use for {@code parallelFor}.
     *
     * @return the executor
     */
    public ParallelExecutor executor() {
        return executor;
    }

    /**
     * Checks that this backend's ops can use {@code tensor}'s memory: memory that only one thread may touch (the
     * segments of a confined {@link java.lang.foreign.Arena}) is refused when the backend runs ops on more than one
     * thread, or when the calling thread is not its owner. Call it where a tensor the caller brings is planned or
     * bound, so that the refusal comes before anything runs, naming the argument. Unbacked and backend tensors
     * always pass.
     *
     * @param argument the argument's name, for the message
     * @param tensor   the tensor to check, or null (passes)
     * @throws IllegalArgumentException when the memory is confined to one thread and this backend cannot run on it
     */
    public void checkAccessible(String argument, Tensor tensor) {
        if (tensor == null || !tensor.isBacked()) {
            return;
        }
        MemorySegment memory = tensor.segment();
        if (!memory.isAccessibleBy(Thread.currentThread())) {
            throw new IllegalArgumentException(argument + ": tensor " + tensor.type() + " is over memory confined to"
                    + " another thread (a confined Arena): use it on its owner thread, or allocate it from a shared"
                    + " Arena");
        }
        int threads = executor.parallelism();
        if (threads > 1 && ConfinedMemory.isConfined(memory)) {
            throw new IllegalArgumentException(argument + ": tensor " + tensor.type() + " is over memory confined to"
                    + " one thread (a confined Arena) but this backend runs ops on " + threads + " threads: allocate"
                    + " it from Arena.ofShared() or Arena.global(), or use a 1-thread backend");
        }
    }

    /**
     * A new tensor of this backend with no memory yet: {@link #acquire} gives it some. Closing it releases STATIC
     * memory it still holds.
     *
     * @param type the tensor type (shape, dtype, layout)
     * @return the tensor, not yet backed
     */
    public Tensor newTensor(TensorType type) {
        ensureOpen();
        if (type == null) {
            throw new IllegalArgumentException("type: expected a TensorType, got null");
        }
        return Tensor.unbacked(type, tensorOwner);
    }

    /**
     * Gives {@code tensor} memory of the given storage type. STATIC memory is bound at once; DYNAMIC and
     * DYNAMIC_SEPARATE memory only between {@link #onResizeBegin()} and {@link #onResizeEnd()} on the resizing
     * thread, and bound when the resize ends.
     *
     * @param tensor a tensor of this backend
     * @param storage STATIC, DYNAMIC or DYNAMIC_SEPARATE
     * @throws IllegalArgumentException when the tensor is not one of this backend's
     * @throws IllegalStateException    when it already holds memory of that kind, DYNAMIC memory is asked for
     *                                  outside a resize, or the backend is closed
     * @throws dev.ingot.allocator.AllocationLimitException when an allocator limit is reached
     */
    public void acquire(Tensor tensor, StorageType storage) {
        ensureOpen();
        checkOwn(tensor);
        if (storage == StorageType.STATIC) {
            acquireStatic(tensor);
        } else {
            resizingRegion("acquire").acquire(tensor, storage == StorageType.DYNAMIC_SEPARATE);
        }
    }

    /**
     * Gives back memory acquired with the same storage type. A released STATIC tensor loses its memory at once;
     * a released DYNAMIC tensor keeps its memory for its ops' execution, while tensors acquired after the release
     * may share it.
     *
     * @param tensor a tensor of this backend
     * @param storage STATIC, DYNAMIC or DYNAMIC_SEPARATE
     * @throws IllegalStateException when the tensor holds no such memory, or DYNAMIC release happens outside a
     *                               resize
     */
    public void release(Tensor tensor, StorageType storage) {
        ensureOpen();
        checkOwn(tensor);
        if (storage == StorageType.STATIC) {
            releaseStatic(tensor);
        } else {
            resizingRegion("release").release(tensor);
        }
    }

    /**
     * Starts a resize on the backend's own dynamic region: the tensors acquired DYNAMIC in its previous resize
     * lose their memory. Blocks while another thread resizes.
     */
    public void onResizeBegin() {
        beginResize(ownRegion);
    }

    /** Ends the resize: DYNAMIC memory is placed and bound. Must be called by the thread that began it. */
    public void onResizeEnd() {
        endResize();
    }

    /**
     * Marks the start of an execution on the calling thread and admits it to the executor's cores: waits, in FIFO
     * order, until a core is free (see {@link dev.ingot.runtime.parallel.RunAdmission} for how many threads the
     * execution then gets). Allocates nothing (but a thread's first call allocates its admission slot).
     *
     * @throws IllegalStateException when the backend is closed
     */
    public void onExecuteBegin() {
        onExecuteBegin(RunAdmission.DEFAULT_THREADS_WHEN_BUSY);
    }

    /**
     * Like {@link #onExecuteBegin()}, stating the threads this execution should get while others compete for the
     * cores ({@link RunAdmission#enter(int, int)}; a pipeline passes its {@link RunSplit} choice).
     *
     * @param threadsWhenBusy threads while others compete, &gt;= 1
     * @throws IllegalStateException    when the backend is closed
     * @throws IllegalArgumentException when {@code threadsWhenBusy < 1}
     */
    public void onExecuteBegin(int threadsWhenBusy) {
        ensureOpen();
        executing.incrementAndGet();
        try {
            executor.admission().enter(executor.parallelism(), threadsWhenBusy);
        } catch (RuntimeException e) {
            executing.decrementAndGet();
            throw e;
        }
    }

    /**
     * Marks the end of an execution started with {@link #onExecuteBegin()} on the same thread; its cores go to the
     * next waiting execution.
     */
    public void onExecuteEnd() {
        try {
            executor.admission().exit();
        } finally {
            executing.decrementAndGet();
        }
    }

    /**
     * Bytes of STATIC memory in use.
     *
     * @return bytes of STATIC memory in use
     */
    public long staticBytesInUse() {
        return staticAllocator.stats().inUse();
    }

    /**
     * What was still held when the backend closed (empty before close or when nothing leaked).
     *
     * @return what was still held when the backend closed (empty before close or when nothing leaked)
     */
    public synchronized LeakReport leaksAtClose() {
        return leaksAtClose == null ? new LeakReport(0, 0, List.of()) : leaksAtClose;
    }

    /**
     * Frees all memory: STATIC tensors still held (reported as leaks), every dynamic region (pipelines built on
     * this backend can no longer run), and closes the executor when the backend made it. Idempotent.
     *
     * @throws IllegalStateException when an execution is in progress
     */
    @Override
    public void close() {
        List<Tensor> leaked;
        waitForResizes();
        try {
            synchronized (this) {
                if (closed) {
                    return;
                }
                if (executing.get() > 0) {
                    throw new IllegalStateException("backend " + name + " closed while " + executing.get()
                            + " executions are running");
                }
                closed = true;
                leaked = new ArrayList<>(staticChunks.keySet());
                leaksAtClose = staticAllocator.liveChunks();
                for (Tensor tensor : leaked) {
                    tensor.unbind();
                }
                staticChunks.clear();
                for (DynamicMemory region : regions) {
                    region.close();
                }
                regions.clear();
            }
        } finally {
            resizeLock.unlock();
        }
        staticAllocator.close();
        budget.close(); // every allocator charging it is closed: detach it from its parent
        if (!leaked.isEmpty()) {
            List<String> types = leaked.stream().limit(10).map(t -> t.type().toString()).toList();
            LOG.log(System.Logger.Level.WARNING, () -> "backend " + name + " closed with " + leaked.size()
                    + " STATIC tensors never released (" + leaksAtClose.bytes() + " bytes), e.g. " + types);
        }
        if (ownsExecutor) {
            executor.close();
        }
    }

    /** Takes the resize lock so that a resize in progress on another thread finishes first. */
    private void waitForResizes() {
        try {
            if (!resizeLock.tryLock(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("backend " + name + " cannot close: another thread has been"
                        + " resizing for 30 s (onResizeBegin without onResizeEnd?)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("backend " + name + ": interrupted while waiting for a resize to end", e);
        }
    }

    /**
     * True once closed.
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return "CpuBackend " + name + " (" + memoryMode + ", " + executor.parallelism() + " threads)";
    }

    // ---- for Pipeline -------------------------------------------------------------------------------------------

    /** A new dynamic region with its own allocator; closed by its user or by {@link #close()}. */
    synchronized DynamicMemory newDynamicMemory() {
        ensureOpen();
        DynamicMemory region = DynamicMemory.create(memoryMode, name + "-dynamic-" + (regions.size() + 1), budget);
        regions.add(region);
        return region;
    }

    synchronized void closeDynamicMemory(DynamicMemory region) {
        if (regions.remove(region)) {
            region.close();
        }
    }

    /** Takes the resize lock and starts a round on {@code region}. */
    void beginResize(DynamicMemory region) {
        ensureOpen();
        resizeLock.lock();
        if (resizeLock.getHoldCount() > 1) {
            resizeLock.unlock();
            throw new IllegalStateException("onResizeBegin: a resize is already in progress on this thread");
        }
        try {
            ensureOpen();
            region.begin();
            resizing = region;
        } catch (Throwable e) {
            resizeLock.unlock();
            throw e;
        }
    }

    /** Ends the round: binds memory, releases the lock (also when binding fails). */
    void endResize() {
        DynamicMemory region = resizingRegion("onResizeEnd");
        try {
            region.end();
        } catch (Throwable e) {
            region.abort();
            throw e;
        } finally {
            resizing = null;
            resizeLock.unlock();
        }
    }

    /** Abandons the round after a failure: nothing of it stays bound; releases the lock. */
    void abortResize() {
        if (!resizeLock.isHeldByCurrentThread()) {
            return;
        }
        try {
            if (resizing != null) {
                resizing.abort();
            }
        } finally {
            resizing = null;
            resizeLock.unlock();
        }
    }

    // ---- internals ------------------------------------------------------------------------------------------------

    private DynamicMemory resizingRegion(String what) {
        if (!resizeLock.isHeldByCurrentThread() || resizing == null) {
            throw new IllegalStateException(what + " of DYNAMIC memory outside onResizeBegin()/onResizeEnd() on this"
                    + " thread");
        }
        return resizing;
    }

    private void acquireStatic(Tensor tensor) {
        long size = tensor.byteSize();
        synchronized (this) {
            ensureOpen();
            if (staticChunks.containsKey(tensor)) {
                throw new IllegalStateException("tensor " + tensor.type() + " already holds STATIC memory");
            }
            MemoryChunk chunk = size == 0 ? null : staticAllocator.alloc(size);
            staticChunks.put(tensor, chunk);
            tensor.bind(chunk == null ? MemorySegment.NULL : chunk.segment());
        }
    }

    private void releaseStatic(Tensor tensor) {
        MemoryChunk chunk;
        synchronized (this) {
            if (!staticChunks.containsKey(tensor)) {
                throw new IllegalStateException("tensor " + tensor.type() + " holds no STATIC memory");
            }
            chunk = staticChunks.remove(tensor);
            tensor.unbind();
        }
        if (chunk != null) {
            staticAllocator.free(chunk);
        }
    }

    /** True when the tensor holds STATIC memory of this backend. */
    synchronized boolean holdsStatic(Tensor tensor) {
        return staticChunks.containsKey(tensor);
    }

    private void tensorClosed(Tensor tensor) {
        if (!closed && holdsStatic(tensor)) {
            releaseStatic(tensor);
        }
    }

    private void checkOwn(Tensor tensor) {
        if (tensor == null || tensor.owner() != tensorOwner) {
            throw new IllegalArgumentException("tensor: expected a tensor made by this backend's newTensor(), got "
                    + tensor);
        }
        if (tensor.isClosed()) {
            throw new IllegalStateException("tensor " + tensor.type() + " is closed");
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("backend " + name + " is closed");
        }
    }

    /** Options for a {@link CpuBackend}; not thread-safe. */
    public static final class Builder {
        private MemoryMode memoryMode = MemoryMode.DEFERRED;
        private ParallelExecutor executor;
        private int threads;
        private String name;
        private long memoryLimit = Long.MAX_VALUE;
        private MemoryBudget parentBudget;
        private int threadsWhenBusy;

        private Builder() {
        }

        /**
         * Fixes the intra-op threads every pipeline run gets while other runs compete for the backend's cores
         * (capped at the thread count). Without it each pipeline chooses from its working set ({@link RunSplit}:
         * one thread when it fits a core's L2 cache, else all cores, runs taking turns). A run alone uses every
         * core. Ignored with a caller's {@link #executor}, whose own admission applies.
         *
         * @param count threads per run under contention, &gt;= 1
         * @return this builder
         * @throws IllegalArgumentException when {@code count < 1}
         */
        public Builder threadsWhenBusy(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("threadsWhenBusy: expected >= 1, got " + count);
            }
            this.threadsWhenBusy = count;
            return this;
        }

        /**
         * How DYNAMIC memory is placed; default {@link MemoryMode#DEFERRED}.
         *
         * @param mode how DYNAMIC memory is placed
         * @return this builder
         */
        public Builder memoryMode(MemoryMode mode) {
            if (mode == null) {
                throw new IllegalArgumentException("mode: expected a MemoryMode, got null");
            }
            this.memoryMode = mode;
            return this;
        }

        /**
         * Use this executor (the caller closes it) instead of making one.
         *
         * @param callerOwned an executor (or pool) that stays the caller's to close
         * @return this builder
         */
        public Builder executor(ParallelExecutor callerOwned) {
            this.executor = callerOwned;
            return this;
        }

        /**
         * Threads of the executor the backend makes (default: {@link ParallelExecutor#defaultThreads()}).
         *
         * @param count the thread count, at least 1
         * @return this builder
         */
        public Builder threads(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("threads: expected >= 1, got " + count);
            }
            this.threads = count;
            return this;
        }

        /**
         * Names the backend: in messages, allocator names and as the tenant in budget refusals (default
         * {@code cpu-N}).
         *
         * @param backendName a non-empty name
         * @return this builder
         * @throws IllegalArgumentException when the name is null or empty
         */
        public Builder name(String backendName) {
            if (backendName == null || backendName.isEmpty()) {
                throw new IllegalArgumentException("name: expected a non-empty backend name, got " + backendName);
            }
            this.name = backendName;
            return this;
        }

        /**
         * Caps all the backend's tensor memory, STATIC and DYNAMIC (every pipeline's included), pooled bytes
         * included; default none.
         *
         * @param bytes the limit in bytes; {@link Long#MAX_VALUE} for none
         * @return this builder
         * @throws IllegalArgumentException when {@code bytes} is negative
         */
        public Builder memoryLimit(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("memoryLimit: expected a byte count >= 0, got " + bytes);
            }
            this.memoryLimit = bytes;
            return this;
        }

        /**
         * Makes the backend's budget a child of {@code parent}, so that its memory also counts there and the
         * parent's limit (and its ancestors') caps it too: several backends can share one service-wide budget.
         *
         * @param parent the parent budget, or null for a root of the backend's own
         * @return this builder
         */
        public Builder parentBudget(MemoryBudget parent) {
            this.parentBudget = parent;
            return this;
        }

        /**
         * A new backend; the caller closes it.
         *
         * @return the backend
         */
        public CpuBackend build() {
            return new CpuBackend(this);
        }
    }
}
