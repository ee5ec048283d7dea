package dev.ingot.runtime;

import dev.ingot.allocator.AllocationLimitException;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Planned pipelines of one graph, shared by concurrent callers: MNN's one Interpreter, many Sessions. A caller
 * {@linkplain #acquire(Shape) acquires} a pipeline planned for its input shape, uses it, and gives it back by
 * closing the lease:
 * <pre>{@code
 * try (PipelinePool pool = PipelinePool.builder(backend, (b, shape) -> graph(b, shape)).maxPerShape(2).build();
 *      PipelinePool.Lease lease = pool.acquire(Shape.of(1, 64, 56, 56))) {
 *     Pipeline pipeline = lease.pipeline();
 *     pipeline.inputs().get(0).copyFrom(request);
 *     pipeline.run();
 *     float[] answer = pipeline.outputs().get(0).toFloatArray();
 * }
 * }</pre>
 *
 * <p><b>Planning.</b> Pipelines are built by the {@link PipelineFactory} on first need, outside the pool's lock:
 * at most {@code maxPerShape} per input shape and {@code maxPipelines} in all. A shape whose pipelines have all
 * been idle for {@code idleTimeout} is evicted (its pipelines closed) at the next acquire. When the bound on
 * pipelines is reached, or planning fails with {@link AllocationLimitException} (the backend's memory limit), an
 * idle pipeline of the least recently used other shape is closed to make room and planning is tried again; when
 * nothing is idle the caller waits for a pipeline to come back. So the pool's memory stays within the backend's.
 *
 * <p><b>Waiting</b> is bounded: an acquire that finds no free pipeline and no room for a new one waits, up to its
 * timeout, for one to be given back, and then throws {@link PipelinePoolTimeoutException} (also when the waiting
 * thread is interrupted; its interrupt status is kept). Waiters of one shape are served in arrival order: a
 * pipeline given back goes straight to the longest waiter of its shape (no later caller can take it first), and
 * room for a new pipeline goes to the first waiter of a shape. Waiters of different shapes are not ordered among
 * themselves (run admission, {@link dev.ingot.runtime.parallel.RunAdmission}, is FIFO across all runs).
 *
 * <p><b>Ownership.</b> While leased, the pipeline is held by the acquiring thread ({@code Pipeline.isHeldByCurrentThread()}):
 * another thread's run, or its use through the ingot API of a tensor the pipeline owns, throws
 * {@link IllegalStateException} and never computes with another caller's data. Raw writes through a
 * {@code MemorySegment} taken from a tensor cannot be checked: keep segments within the lease. A lease is closed
 * on the thread that acquired it. A pipeline given back with an input shape other than its key (or closed) is
 * discarded rather than pooled.
 *
 * <p><b>Cost.</b> An acquire that finds an idle pipeline and its close take the pool's lock once each and allocate
 * only the pipeline's hold; the first acquire of a shape plans (and, with {@link Builder#warmUp}, warms up).
 *
 * <p>Thread-safety: thread-safe. {@link #close()} closes idle pipelines at once and leased ones when they come back.
 */
public final class PipelinePool implements AutoCloseable {

    private final CpuBackend backend;
    private final PipelineFactory factory;
    private final int maxPerShape;
    private final int maxPipelines;
    private final long idleNanos;
    private final long timeoutNanos;
    private final boolean warmUp;

    private final ReentrantLock lock = new ReentrantLock();
    // guarded by lock
    private final Map<Shape, ShapeSlot> slots = new HashMap<>();
    private int pipelines;
    private int leased;
    private long acquires;
    private long waits;
    private long timeouts;
    private long planned;
    private long evicted;
    private long nextIdleScan;
    private boolean closed;

    private PipelinePool(Builder builder) {
        this.backend = builder.backend;
        this.factory = builder.factory;
        this.maxPerShape = builder.maxPerShape;
        this.maxPipelines = builder.maxPipelines;
        this.idleNanos = builder.idleTimeout.toNanos();
        this.timeoutNanos = builder.timeout.toNanos();
        this.warmUp = builder.warmUp;
    }

    /**
     * A builder of a pool over {@code backend} whose pipelines {@code factory} builds.
     *
     * @param backend the backend every pipeline is planned on; the caller closes it after the pool
     * @param factory builds a pipeline for an input shape
     * @return a builder with the defaults: 2 per shape, 16 in all, idle shapes evicted after 60 s, 10 s timeout
     * @throws IllegalArgumentException when an argument is null
     */
    public static Builder builder(CpuBackend backend, PipelineFactory factory) {
        if (backend == null || factory == null) {
            throw new IllegalArgumentException("backend, factory: expected both, got " + backend + ", " + factory);
        }
        return new Builder(backend, factory);
    }

    /**
     * Acquires a pipeline planned for {@code shape}, waiting up to the pool's timeout.
     *
     * @param shape the input shape
     * @return the lease; close it on this thread (try-with-resources)
     * @throws PipelinePoolTimeoutException when none became free in time
     * @throws IllegalArgumentException     when the shape is null or the factory refuses it
     * @throws IllegalStateException        when the pool is closed
     */
    public Lease acquire(Shape shape) {
        return acquire(shape, timeoutNanos);
    }

    /**
     * Acquires a pipeline planned for {@code shape}, waiting up to {@code timeout}.
     *
     * @param shape   the input shape
     * @param timeout the longest wait for a free pipeline (zero: do not wait)
     * @return the lease; close it on this thread (try-with-resources)
     * @throws PipelinePoolTimeoutException when none became free in time
     * @throws IllegalArgumentException     when an argument is null or negative, or the factory refuses the shape
     * @throws IllegalStateException        when the pool is closed
     */
    public Lease acquire(Shape shape, Duration timeout) {
        if (timeout == null || timeout.isNegative()) {
            throw new IllegalArgumentException("timeout: expected a non-negative duration, got " + timeout);
        }
        return acquire(shape, timeout.toNanos());
    }

    private Lease acquire(Shape shape, long timeout) {
        if (shape == null) {
            throw new IllegalArgumentException("shape: expected a Shape, got null");
        }
        long deadline = System.nanoTime() + timeout;
        RuntimeException obstacle = null;
        while (true) {
            List<Pipeline> toClose = new ArrayList<>(0);
            Grant grant;
            lock.lock();
            try {
                // after a failed plan the caller keeps its turn: it was served already
                grant = waitForPipelineOrRoom(shape, deadline, timeout, obstacle, obstacle != null, toClose);
            } finally {
                lock.unlock();
                closeAll(toClose);
            }
            if (grant.lease != null) {
                return grant.lease.take();
            }
            try {
                return plan(grant.slot);
            } catch (AllocationLimitException e) {
                obstacle = e; // room is made (or waited for) on the next round
            }
        }
    }

    /** What an acquire got under the lock: a lent pipeline, or room (counted in the slot) to plan one. */
    private record Grant(ShapeSlot slot, Lease lease) {
    }

    /**
     * Under the lock: waits for this caller's turn among the waiters of its shape (arrival order), then returns an
     * idle pipeline (lent) or room for a new one (counted), evicting idle pipelines of other shapes to make room;
     * a pipeline given back while the caller waits is handed to it directly. Throws at the deadline.
     *
     * @param retry true when this caller planned and hit the memory limit: it waits at the head of the queue
     */
    private Grant waitForPipelineOrRoom(Shape shape, long deadline, long timeout, RuntimeException obstacle,
                                        boolean retry, List<Pipeline> toClose) {
        Waiter me = null;
        while (true) {
            if (me != null && me.lease != null) {
                return new Grant(me.slot, me.lease); // handed over by giveBack, lent already
            }
            if (closed) {
                if (me != null) {
                    leaveQueue(me);
                }
                ensureOpen();
            }
            long now = System.nanoTime();
            evictIdleShapes(now, toClose);
            ShapeSlot slot = me != null ? me.slot : slots.computeIfAbsent(shape, ShapeSlot::new);
            slot.lastUsed = now;
            boolean myTurn = me != null ? slot.waiters.peekFirst() == me : retry || slot.waiters.isEmpty();
            if (myTurn) {
                if (!slot.idle.isEmpty()) {
                    Lease lease = slot.idle.pollLast(); // the most recently used: warmest caches
                    lend(lease);
                    leaveQueue(me);
                    return new Grant(slot, lease);
                }
                boolean underLimit = obstacle == null && pipelines < maxPipelines;
                if (slot.planned < maxPerShape && (underLimit || evictOneIdle(slot, toClose))) {
                    slot.planned++; // room was made: plan outside the lock
                    pipelines++;
                    leaveQueue(me);
                    return new Grant(slot, null);
                }
                if (obstacle != null && leased == 0 && !anyPlanning()) {
                    leaveQueue(me);
                    dropIfEmpty(slot);
                    throw obstacle; // nothing to evict and nothing will come back: it can never fit
                }
            }
            if (me == null) {
                me = new Waiter(slot, lock.newCondition());
                if (retry) {
                    slot.waiters.addFirst(me);
                } else {
                    slot.waiters.addLast(me);
                }
                waits++;
            }
            long left = deadline - now;
            if (left <= 0) {
                timeouts++;
                leaveQueue(me);
                dropIfEmpty(slot);
                throw new PipelinePoolTimeoutException("no pipeline for shape " + shape + " became free within "
                        + TimeUnit.NANOSECONDS.toMillis(timeout) + " ms: " + leased
                        + " leased, " + pipelines + " planned (max " + maxPerShape + " per shape, " + maxPipelines
                        + " in all)", obstacle);
            }
            try {
                me.turn.awaitNanos(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (me.lease != null) {
                    return new Grant(me.slot, me.lease); // served before the interrupt: keep it
                }
                timeouts++;
                leaveQueue(me);
                dropIfEmpty(slot);
                throw new PipelinePoolTimeoutException("interrupted while waiting for a pipeline for shape " + shape,
                        obstacle);
            }
            obstacle = null; // something came back: try again
        }
    }

    /**
     * Under the lock: removes a waiter from its shape's queue (if still there) and wakes the next one, which may
     * be served now (more room, another idle pipeline) or not (it waits again).
     */
    private void leaveQueue(Waiter waiter) {
        if (waiter == null) {
            return;
        }
        ShapeSlot slot = waiter.slot;
        boolean wasHead = slot.waiters.peekFirst() == waiter;
        slot.waiters.remove(waiter);
        if (wasHead && !slot.waiters.isEmpty()) {
            slot.waiters.peekFirst().turn.signal();
        }
    }

    /** Under the lock: wakes the first waiter of every shape (room was freed or an idle pipeline may be evicted). */
    private void wakeHeads() {
        for (ShapeSlot slot : slots.values()) {
            Waiter head = slot.waiters.peekFirst();
            if (head != null) {
                head.turn.signal();
            }
        }
    }

    /** Builds a pipeline for the slot (counted already); on failure gives the count back. */
    private Lease plan(ShapeSlot slot) {
        Pipeline pipeline = null;
        try {
            pipeline = factory.build(backend, slot.shape);
            if (pipeline == null) {
                throw new IllegalStateException("the pipeline factory returned null for shape " + slot.shape);
            }
            if (warmUp) {
                pipeline.warmUp();
            }
        } catch (RuntimeException | Error e) {
            if (pipeline != null) {
                pipeline.close();
            }
            lock.lock();
            try {
                slot.planned--;
                pipelines--;
                dropIfEmpty(slot);
                wakeHeads(); // the room is free again
            } finally {
                lock.unlock();
            }
            throw e;
        }
        Lease lease = new Lease(pipeline, slot);
        lock.lock();
        try {
            planned++;
            lend(lease);
        } finally {
            lock.unlock();
        }
        return lease.take();
    }

    /** Under the lock: counts a lease handed out. */
    private void lend(Lease lease) {
        lease.slot.leased++;
        leased++;
        acquires++;
    }

    /** Gives a pipeline back: pooled, or closed when the pool closed or the pipeline changed. */
    private void giveBack(Lease lease, boolean keep) {
        boolean close;
        lock.lock();
        try {
            ShapeSlot slot = lease.slot;
            slot.leased--;
            leased--;
            slot.lastUsed = System.nanoTime();
            close = closed || !keep;
            Waiter next = close ? null : slot.waiters.pollFirst();
            if (next != null) {
                lend(lease); // straight to the longest waiter of the shape: no later caller can take it first
                next.lease = lease;
                next.turn.signal();
            } else {
                if (close) {
                    slot.planned--;
                    pipelines--;
                    dropIfEmpty(slot);
                } else {
                    slot.idle.addLast(lease);
                }
                wakeHeads(); // room, or an idle pipeline another shape's waiter may evict
            }
        } finally {
            lock.unlock();
        }
        if (close) {
            lease.pipeline.close();
        }
    }

    /**
     * Plans (if needed) a pipeline for {@code shape} and warms it up ({@link Pipeline#warmUp()}), so that the first
     * request of that shape finds compiled code. Compiled code is shared by all pipelines of the graph.
     *
     * @param shape the input shape
     * @return what the warm-up did
     * @throws PipelinePoolTimeoutException when no pipeline of the shape became free within the pool's timeout
     * @throws IllegalArgumentException     when the factory refuses the shape
     * @throws IllegalStateException        when the pool is closed
     */
    public WarmUpReport warmUp(Shape shape) {
        try (Lease lease = acquire(shape)) {
            return lease.pipeline().warmUp();
        }
    }

    /**
     * The pool's figures now.
     *
     * @return acquires, waits, timeouts, planned and evicted pipelines, leased ones, pipelines per shape
     */
    public PipelinePoolStats stats() {
        lock.lock();
        try {
            Map<Shape, Integer> perShape = new LinkedHashMap<>();
            slots.forEach((shape, slot) -> {
                if (slot.planned > 0) {
                    perShape.put(shape, slot.planned);
                }
            });
            return new PipelinePoolStats(acquires, waits, timeouts, planned, evicted, leased, perShape);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The backend the pipelines run on.
     *
     * @return the backend
     */
    public CpuBackend backend() {
        return backend;
    }

    /**
     * Closes idle pipelines now and leased ones as they are given back; waiting and later acquires throw
     * {@link IllegalStateException}. Idempotent.
     */
    @Override
    public void close() {
        List<Pipeline> toClose = new ArrayList<>();
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            for (ShapeSlot slot : slots.values()) {
                while (!slot.idle.isEmpty()) {
                    toClose.add(slot.idle.pollFirst().pipeline);
                    slot.planned--;
                    pipelines--;
                }
                for (Waiter waiter : slot.waiters) {
                    waiter.turn.signal(); // they throw: the pool is closed
                }
            }
        } finally {
            lock.unlock();
        }
        closeAll(toClose);
    }

    // ---- internals (under the lock unless said otherwise) ------------------------------------------------------

    /** Closes the oldest idle pipeline of the least recently used other shape; false when none is idle. */
    private boolean evictOneIdle(ShapeSlot except, List<Pipeline> toClose) {
        ShapeSlot victim = null;
        for (ShapeSlot slot : slots.values()) {
            if (slot != except && !slot.idle.isEmpty() && (victim == null || slot.lastUsed < victim.lastUsed)) {
                victim = slot;
            }
        }
        if (victim == null) {
            return false;
        }
        toClose.add(victim.idle.pollFirst().pipeline);
        victim.planned--;
        pipelines--;
        evicted++;
        dropIfEmpty(victim);
        return true;
    }

    /** Every {@code idleTimeout / 4} at most: closes the pipelines of shapes unused for {@code idleTimeout}. */
    private void evictIdleShapes(long now, List<Pipeline> toClose) {
        if (now - nextIdleScan < 0) {
            return;
        }
        nextIdleScan = now + Math.max(idleNanos / 4, 1);
        var it = slots.values().iterator();
        while (it.hasNext()) {
            ShapeSlot slot = it.next();
            if (slot.idle.size() == slot.planned && slot.waiters.isEmpty() && now - slot.lastUsed >= idleNanos) {
                while (!slot.idle.isEmpty()) {
                    toClose.add(slot.idle.pollFirst().pipeline);
                    slot.planned--;
                    pipelines--;
                    evicted++;
                }
                it.remove();
            }
        }
    }

    private boolean anyPlanning() {
        for (ShapeSlot slot : slots.values()) {
            if (slot.planned > slot.idle.size() + slot.leased) {
                return true;
            }
        }
        return false;
    }

    private void dropIfEmpty(ShapeSlot slot) {
        if (slot.planned == 0 && slot.waiters.isEmpty() && slots.get(slot.shape) == slot) {
            slots.remove(slot.shape);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("pipeline pool is closed");
        }
    }

    /** Outside the lock. */
    private static void closeAll(List<Pipeline> pipelines) {
        for (Pipeline pipeline : pipelines) {
            pipeline.close();
        }
    }

    /** The pipelines of one input shape. */
    private static final class ShapeSlot {
        final Shape shape;
        /** Idle pipelines, oldest first. */
        final ArrayDeque<Lease> idle = new ArrayDeque<>();
        /** Pipelines of this shape: idle, leased, or being planned. */
        /** Acquires waiting for a pipeline of this shape, in arrival order. */
        final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
        int planned;
        int leased;
        long lastUsed;

        ShapeSlot(Shape shape) {
            this.shape = shape;
        }
    }

    /** One waiting acquire: its own condition, so a give-back wakes exactly the waiter it serves. */
    private static final class Waiter {
        final ShapeSlot slot;
        final Condition turn;
        /** The pipeline handed to it by a give-back (lent already); guarded by the pool's lock. */
        Lease lease;

        Waiter(ShapeSlot slot, Condition turn) {
            this.slot = slot;
            this.turn = turn;
        }
    }

    /**
     * A pipeline lent to one thread, from {@link #acquire} until {@link #close()}. One lease object belongs to
     * each pooled pipeline and is lent again after it is given back, so a lease must not be used after its close.
     * Not thread-safe: it belongs to the thread that acquired it.
     */
    public final class Lease implements AutoCloseable {
        private final Pipeline pipeline;
        private final ShapeSlot slot;
        private final Shape[] plannedShapes;
        /** The thread it is lent to; null while pooled. */
        private volatile Thread holder;
        /** The holder's hold on the pipeline while lent. */
        private Pipeline.Hold hold;

        private Lease(Pipeline pipeline, ShapeSlot slot) {
            this.pipeline = pipeline;
            this.slot = slot;
            this.plannedShapes = pipeline.inputs().stream().map(Tensor::shape).toArray(Shape[]::new);
        }

        /** On the acquiring thread, outside the lock: makes it the pipeline's holder. */
        private Lease take() {
            try {
                hold = pipeline.hold();
            } catch (RuntimeException e) {
                try {
                    giveBack(this, false); // someone kept using it after giving it back: it is not pooled again
                } catch (RuntimeException notClosed) {
                    e.addSuppressed(notClosed);
                }
                throw e;
            }
            holder = Thread.currentThread();
            return this;
        }

        /**
         * The leased pipeline, planned for {@link #shape()}; held by this thread until the lease closes.
         *
         * @return the pipeline
         * @throws IllegalStateException when called after close, or from another thread
         */
        public Pipeline pipeline() {
            checkHolder("pipeline()");
            return pipeline;
        }

        /**
         * The input shape the pipeline was planned for.
         *
         * @return the shape
         */
        public Shape shape() {
            return slot.shape;
        }

        /**
         * Gives the pipeline back to the pool (or closes it, when its input shape was changed, it was closed, or
         * the pool is closed). Idempotent on the acquiring thread.
         *
         * @throws IllegalStateException when called from a thread other than the acquiring one
         */
        @Override
        public void close() {
            if (holder == null) {
                return;
            }
            checkHolder("close()");
            boolean keep = !pipeline.isClosed() && !pipeline.needsResize() && shapesMatch();
            Pipeline.Hold h = hold;
            hold = null;
            holder = null;
            try {
                h.close();
            } finally {
                giveBack(this, keep);
            }
        }

        /** True when the inputs still have the shapes they were planned with. */
        private boolean shapesMatch() {
            List<Tensor> inputs = pipeline.inputs();
            for (int i = 0; i < inputs.size(); i++) {
                if (!inputs.get(i).shape().equals(plannedShapes[i])) {
                    return false;
                }
            }
            return true;
        }

        private void checkHolder(String what) {
            Thread owner = holder;
            if (owner != Thread.currentThread()) {
                throw new IllegalStateException("lease." + what + (owner == null
                        ? ": the lease was closed (its pipeline is back in the pool)"
                        : ": the lease belongs to thread " + owner.getName() + ", not "
                        + Thread.currentThread().getName()));
            }
        }
    }

    /** Options of a {@link PipelinePool}; not thread-safe. */
    public static final class Builder {
        private final CpuBackend backend;
        private final PipelineFactory factory;
        private int maxPerShape = 2;
        private int maxPipelines = 16;
        private Duration idleTimeout = Duration.ofSeconds(60);
        private Duration timeout = Duration.ofSeconds(10);
        private boolean warmUp;

        private Builder(CpuBackend backend, PipelineFactory factory) {
            this.backend = backend;
            this.factory = factory;
        }

        /**
         * Pipelines planned at most per input shape (default 2: as many as runs can usually proceed at once on
         * two cores).
         *
         * @param count &gt;= 1
         * @return this builder
         * @throws IllegalArgumentException when {@code count < 1}
         */
        public Builder maxPerShape(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("maxPerShape: expected >= 1, got " + count);
            }
            this.maxPerShape = count;
            return this;
        }

        /**
         * Pipelines planned at most, all shapes together (default 16).
         *
         * @param count &gt;= 1
         * @return this builder
         * @throws IllegalArgumentException when {@code count < 1}
         */
        public Builder maxPipelines(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("maxPipelines: expected >= 1, got " + count);
            }
            this.maxPipelines = count;
            return this;
        }

        /**
         * How long a shape's pipelines may all stay idle before they are closed (default 60 s).
         *
         * @param idle a positive duration
         * @return this builder
         * @throws IllegalArgumentException when not positive
         */
        public Builder idleTimeout(Duration idle) {
            if (idle == null || idle.isNegative() || idle.isZero()) {
                throw new IllegalArgumentException("idleTimeout: expected a positive duration, got " + idle);
            }
            this.idleTimeout = idle;
            return this;
        }

        /**
         * The default longest wait of {@link PipelinePool#acquire(Shape)} (default 10 s).
         *
         * @param wait a non-negative duration
         * @return this builder
         * @throws IllegalArgumentException when negative
         */
        public Builder timeout(Duration wait) {
            if (wait == null || wait.isNegative()) {
                throw new IllegalArgumentException("timeout: expected a non-negative duration, got " + wait);
            }
            this.timeout = wait;
            return this;
        }

        /**
         * Whether every newly planned pipeline is warmed up ({@link Pipeline#warmUp()}) before its first lease
         * (default false; {@link PipelinePool#warmUp(Shape)} warms one shape on demand).
         *
         * @param enabled true to warm up each new pipeline
         * @return this builder
         */
        public Builder warmUp(boolean enabled) {
            this.warmUp = enabled;
            return this;
        }

        /**
         * A new pool; the caller closes it before the backend.
         *
         * @return the pool
         */
        public PipelinePool build() {
            return new PipelinePool(this);
        }
    }
}
