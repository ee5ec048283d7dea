package dev.ingot.serve;

import dev.ingot.allocator.AllocatorStats;
import dev.ingot.metrics.PoolFigures;
import dev.ingot.ops.norm.InstanceNorm;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.DType;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Pipeline;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Pipelines planned per (kind, shape) on one backend: at most {@code perShape} of each, built on first use, idle
 * shapes evicted when {@code maxShapes} are held and a new one arrives. A caller waits at most {@code timeoutNanos}
 * for a free pipeline. Thread-safe.
 */
final class LocalNormPipelines implements NormPipelines, PoolFigures {

    private record Key(NormKind kind, Shape shape) {
    }

    private final CpuBackend backend;
    private final double eps;
    private final int perShape;
    private final int maxShapes;
    private final long timeoutNanos;
    private final Map<Key, Slot> slots = new ConcurrentHashMap<>();
    private final AtomicLong acquisitions = new AtomicLong();
    private final AtomicLong waits = new AtomicLong();
    private final AtomicLong timeouts = new AtomicLong();
    private final AtomicInteger inUse = new AtomicInteger();
    private final AtomicInteger waiting = new AtomicInteger();

    LocalNormPipelines(CpuBackend backend, double eps, int perShape, int maxShapes, long timeoutNanos) {
        this.backend = backend;
        this.eps = eps;
        this.perShape = perShape;
        this.maxShapes = maxShapes;
        this.timeoutNanos = timeoutNanos;
    }

    @Override
    public Lease acquire(NormKind kind, Shape shape) {
        Key key = new Key(kind, shape);
        while (true) {
            Slot slot = slots.get(key);
            if (slot == null) {
                slot = newSlot(key);
            }
            PooledLease lease = slot.idle.poll();
            if (lease == null) {
                lease = slot.tryBuild();
            }
            if (lease == null && !slot.isClosed()) {
                waits.incrementAndGet();
                waiting.incrementAndGet();
                try {
                    lease = slot.idle.poll(timeoutNanos, TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ServiceBusyException("interrupted while waiting for a pipeline");
                } finally {
                    waiting.decrementAndGet();
                }
                if (lease == null && !slot.isClosed()) {
                    timeouts.incrementAndGet();
                    throw new ServiceBusyException("no pipeline for " + shape + " became free within "
                            + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
                }
            }
            if (lease != null) {
                acquisitions.incrementAndGet();
                inUse.incrementAndGet();
                return lease;
            }
            // the slot was evicted under us: look again
        }
    }

    /** Makes room for a new shape by evicting a wholly idle one; refuses when every shape is busy. */
    private synchronized Slot newSlot(Key key) {
        Slot existing = slots.get(key);
        if (existing != null) {
            return existing;
        }
        if (slots.size() >= maxShapes) {
            Slot victim = null;
            for (Slot slot : slots.values()) {
                if (slot.isWhollyIdle() && (victim == null || slot.lastUsed < victim.lastUsed)) {
                    victim = slot;
                }
            }
            if (victim == null) {
                throw new ServiceBusyException("all " + maxShapes + " shapes the service keeps pipelines for are"
                        + " in use");
            }
            slots.remove(victim.key);
            victim.close();
        }
        Slot slot = new Slot(key);
        slots.put(key, slot);
        return slot;
    }

    @Override
    public void warmUp(Shape shape) {
        for (NormKind kind : NormKind.values()) {
            try (Lease lease = acquire(kind, shape)) {
                SplittableRandom random = new SplittableRandom(42);
                for (int i = 0; i < kind.arrays(); i++) {
                    Tensor input = lease.input(i);
                    for (long e = 0; e < input.elementCount(); e++) {
                        input.segment().setAtIndex(ValueLayout.JAVA_FLOAT, e, (float) (random.nextDouble() * 4 - 1));
                    }
                }
                long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
                for (int run = 0; run < 5000 && (run < 200 || System.nanoTime() < end); run++) {
                    lease.run();
                }
            }
        }
    }

    @Override
    public PoolFigures figures() {
        return this;
    }

    @Override
    public AllocatorStats memory() {
        long inUseBytes = 0;
        long reserved = 0;
        long peak = 0;
        long allocations = 0;
        long reuses = 0;
        for (Slot slot : slots.values()) {
            for (PooledLease lease : slot.all) {
                AllocatorStats s = lease.memory;
                inUseBytes += s.inUse();
                reserved += s.reserved();
                peak += s.peakInUse();
                allocations += s.allocations();
                reuses += s.reuses();
            }
        }
        return new AllocatorStats(inUseBytes, reserved - inUseBytes, reserved, peak, allocations, reuses);
    }

    @Override
    public long acquisitions() {
        return acquisitions.get();
    }

    @Override
    public long waits() {
        return waits.get();
    }

    @Override
    public long timeouts() {
        return timeouts.get();
    }

    @Override
    public int inUse() {
        return inUse.get();
    }

    @Override
    public int waiting() {
        return waiting.get();
    }

    @Override
    public synchronized void close() {
        for (Slot slot : slots.values()) {
            slot.close();
        }
        slots.clear();
    }

    private Pipeline build(NormKind kind, Shape shape) {
        TensorType type = new TensorType(shape, DType.FLOAT32, Layout.NCHW);
        Pipeline.Builder graph = Pipeline.builder(backend);
        Tensor x = graph.input(type);
        Attributes attributes = Attributes.of(InstanceNorm.EPS, eps);
        if (kind == NormKind.FORWARD) {
            graph.output(graph.ops(InstanceNorm.OP_TYPE, attributes, x).get(0));
        } else {
            Tensor dy = graph.input(type);
            List<Tensor> forward = graph.ops(InstanceNorm.OP_TYPE, attributes, x);
            graph.output(graph.op(InstanceNorm.GRAD_OP_TYPE, attributes, x, dy, forward.get(1), forward.get(2)));
        }
        return graph.build();
    }

    /** The pipelines of one (kind, shape). */
    private final class Slot {
        final Key key;
        final ArrayBlockingQueue<PooledLease> idle = new ArrayBlockingQueue<>(perShape);
        final List<PooledLease> all = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile long lastUsed = System.nanoTime();
        private int created;
        private boolean closed;

        Slot(Key key) {
            this.key = key;
        }

        /** A new pipeline when fewer than {@code perShape} exist, else null. */
        PooledLease tryBuild() {
            synchronized (this) {
                if (closed || created >= perShape) {
                    return null;
                }
                created++;
            }
            try {
                PooledLease lease = new PooledLease(this, build(key.kind(), key.shape()));
                all.add(lease);
                return lease;
            } catch (RuntimeException e) {
                synchronized (this) {
                    created--;
                }
                throw e;
            }
        }

        synchronized boolean isClosed() {
            return closed;
        }

        synchronized boolean isWhollyIdle() {
            return idle.size() == created;
        }

        synchronized void close() {
            closed = true;
            List<PooledLease> drained = new ArrayList<>();
            idle.drainTo(drained);
            for (PooledLease lease : drained) {
                lease.pipeline.close();
            }
        }

        /** Gives a lease back; a pipeline returned to a closed slot is closed instead. */
        void giveBack(PooledLease lease) {
            lastUsed = System.nanoTime();
            synchronized (this) {
                if (!closed) {
                    idle.add(lease);
                    return;
                }
            }
            lease.pipeline.close();
        }
    }

    private final class PooledLease implements Lease {
        private final Slot slot;
        private final Pipeline pipeline;
        private final List<Tensor> inputs;
        private final Tensor output;
        /** The pipeline's dynamic memory as planned; fixed until it is closed, so read without touching it. */
        private final AllocatorStats memory;

        PooledLease(Slot slot, Pipeline pipeline) {
            this.slot = slot;
            this.pipeline = pipeline;
            this.inputs = pipeline.inputs();
            this.output = pipeline.outputs().get(0);
            this.memory = pipeline.dynamicAllocatorStats();
        }

        @Override
        public Tensor input(int i) {
            return inputs.get(i);
        }

        @Override
        public Tensor output() {
            return output;
        }

        @Override
        public void run() {
            pipeline.run();
        }

        @Override
        public void close() {
            inUse.decrementAndGet();
            slot.giveBack(this);
        }
    }
}
