package dev.ingot.runtime.interop;

import dev.ingot.runtime.ForeignMemory;
import dev.ingot.runtime.Tensor;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A tensor imported from the C peer is held, re-exported to the peer, read and closed by 4 threads in random
 * orders: the producer's deleter runs exactly once, after everything that held the memory let go, and the peer
 * always reads the right values from ingot's exports.
 */
class DLPackOwnershipPropertiesTest {

    private static final int THREADS = 4;
    private static final long[] SHAPE = {3, 4};
    private static ExecutorService pool;
    private static NativePeer peer;
    private static MethodHandle makeVersioned;
    private static MethodHandle deleterCalls;
    private static MethodHandle weightedSum;
    private static MethodHandle delete;

    @BeforeContainer
    static void start() {
        pool = Executors.newFixedThreadPool(THREADS);
        peer = NativePeer.dlpack();
        if (peer.skipReason() == null) {
            makeVersioned = peer.function("peer_make_versioned", FunctionDescriptor.of(ADDRESS, JAVA_INT, JAVA_INT,
                    JAVA_BYTE, JAVA_BYTE, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG));
            deleterCalls = peer.function("peer_deleter_calls", FunctionDescriptor.of(JAVA_INT));
            weightedSum = peer.function("peer_weighted_sum", FunctionDescriptor.of(JAVA_DOUBLE, ADDRESS));
            delete = peer.function("peer_delete", FunctionDescriptor.ofVoid(ADDRESS));
        }
    }

    @AfterContainer
    static void stop() {
        pool.shutdownNow();
    }

    enum Action { HOLD, DROP_HOLD, EXPORT, CONSUME_EXPORT, READ, CLOSE_TENSOR }

    @Provide
    Arbitrary<List<List<Action>>> scripts() {
        return Arbitraries.of(Action.class).list().ofMaxSize(24).list().ofSize(THREADS);
    }

    /** sum over i of (i * 0.5) * (i + 1): what the peer computes over its own values. */
    private static double expectedSum() {
        double sum = 0;
        for (int i = 0; i < SHAPE[0] * SHAPE[1]; i++) {
            sum += i * 0.5 * (i + 1);
        }
        return sum;
    }

    /** Skips the property, with the reason, where the peer cannot be compiled. */
    static final class NeedsPeer implements SkipExecutionHook {
        @Override
        public SkipResult shouldBeSkipped(LifecycleContext context) {
            String reason = NativePeer.dlpack().skipReason();
            return reason == null ? SkipResult.doNotSkip() : SkipResult.skip(reason);
        }
    }

    @Property(tries = 40)
    @AddLifecycleHook(NeedsPeer.class)
    void theProducersDeleterRunsOnceAfterEveryHolder(@ForAll("scripts") List<List<Action>> scripts) throws Throwable {
        MemorySegment managed;
        try (Arena arena = Arena.ofConfined()) {
            managed = (MemorySegment) makeVersioned.invokeExact(1, 1, (byte) 2, (byte) 32, SHAPE.length,
                    arena.allocateFrom(JAVA_LONG, SHAPE), MemorySegment.NULL, 0L, 0L);
        }
        int before = (int) deleterCalls.invokeExact();
        Tensor imported = DLPack.importVersioned(managed);
        AtomicBoolean tensorClosing = new AtomicBoolean();
        ConcurrentLinkedQueue<ForeignMemory.Hold> holds = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<MemorySegment> exports = new ConcurrentLinkedQueue<>();
        AtomicInteger wrong = new AtomicInteger();
        CyclicBarrier start = new CyclicBarrier(THREADS);
        double expected = expectedSum();
        List<Future<?>> runs = new ArrayList<>();
        for (List<Action> script : scripts) {
            runs.add(pool.submit(() -> {
                start.await(10, TimeUnit.SECONDS);
                for (Action action : script) {
                    switch (action) {
                        case HOLD -> {
                            try {
                                holds.add(ForeignMemory.hold(imported));
                            } catch (IllegalStateException closed) {
                                expectClosing(tensorClosing, wrong);
                            }
                        }
                        case DROP_HOLD -> {
                            ForeignMemory.Hold hold = holds.poll();
                            if (hold != null) {
                                hold.close();
                            }
                        }
                        case EXPORT -> {
                            try {
                                exports.add(DLPack.export(imported));
                            } catch (IllegalStateException closed) {
                                expectClosing(tensorClosing, wrong);
                            }
                        }
                        case CONSUME_EXPORT -> {
                            MemorySegment export = exports.poll();
                            if (export != null) {
                                if (peerSum(export) != expected) {
                                    wrong.incrementAndGet();
                                }
                                peerDelete(export);
                            }
                        }
                        case READ -> {
                            try {
                                float[] values = imported.toFloatArray();
                                for (int i = 0; i < values.length; i++) {
                                    if (values[i] != i * 0.5f) {
                                        wrong.incrementAndGet();
                                    }
                                }
                            } catch (IllegalStateException closed) {
                                expectClosing(tensorClosing, wrong);
                            }
                        }
                        case CLOSE_TENSOR -> {
                            if (tensorClosing.compareAndSet(false, true)) {
                                imported.close();
                            }
                        }
                    }
                }
                return null;
            }));
        }
        for (Future<?> run : runs) {
            run.get(30, TimeUnit.SECONDS);
        }
        boolean held = !holds.isEmpty() || !exports.isEmpty() || !tensorClosing.get();
        assertEquals(before + (held ? 0 : 1), (int) deleterCalls.invokeExact(), "released only when nothing holds");
        for (ForeignMemory.Hold hold; (hold = holds.poll()) != null; ) {
            hold.close();
        }
        for (MemorySegment export; (export = exports.poll()) != null; ) {
            delete.invokeExact(export);
        }
        imported.close();
        assertEquals(before + 1, (int) deleterCalls.invokeExact(), "the producer's deleter ran exactly once");
        assertEquals(0, wrong.get(), "wrong values, or a closed-tensor error before the tensor was closed");
    }

    private static double peerSum(MemorySegment export) {
        try {
            return (double) weightedSum.invokeExact(export);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static void peerDelete(MemorySegment export) {
        try {
            delete.invokeExact(export);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** A closed-tensor error is right only once some thread started closing the tensor. */
    private static void expectClosing(AtomicBoolean tensorClosing, AtomicInteger wrong) {
        if (!tensorClosing.get()) {
            wrong.incrementAndGet();
        }
    }
}
