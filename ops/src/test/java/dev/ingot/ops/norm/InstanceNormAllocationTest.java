package dev.ingot.ops.norm;

import static org.junit.jupiter.api.Assertions.fail;

import dev.ingot.ops.norm.kernel.BackwardPass;
import dev.ingot.ops.norm.kernel.ForwardPass;
import dev.ingot.ops.norm.kernel.Kernels;
import dev.ingot.ops.norm.kernel.NormGeometry;
import dev.ingot.ops.norm.kernel.Parallel;
import dev.ingot.ops.norm.testing.PassHarness;
import dev.ingot.ops.norm.testing.Problem;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.DType;
import dev.ingot.runtime.Execution;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.OpRegistry;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ops allocate nothing per run once the JIT has compiled them (interpreted Vector API and FFM code boxes, so
 * each check repeats batches of runs until one allocates zero bytes, giving up after a minute).
 *
 * <p>Two levels: the forward and backward passes on every path (whole planes, planes split into units, both
 * layouts, saved and recomputed statistics) on the calling thread; and the full {@code onExecute} through the
 * backend's executor on shapes whose work fits one range, which the executor runs on the caller. When work is
 * handed to worker threads, the executor itself may allocate while the caller waits for them; that is the
 * executor's behaviour, outside these ops.
 */
class InstanceNormAllocationTest {
    private static final int BATCH = 100;
    /** Give-up bound for the JIT to compile the kernels (they run in microseconds, compiling takes far longer). */
    private static final long MAX_WAIT_NANOS = 60_000_000_000L;
    private static CpuBackend backend;
    private static MethodHandle allocatedBytes;

    @BeforeAll
    static void open() throws Throwable {
        backend = CpuBackend.builder().threads(1).build();
        // Through method handles: this module does not read jdk.management, and invokeExact does not box.
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        Class<?> factory = Class.forName("java.lang.management.ManagementFactory");
        Class<?> beanType = Class.forName("com.sun.management.ThreadMXBean");
        Object bean = lookup.findStatic(factory, "getThreadMXBean",
                MethodType.methodType(Class.forName("java.lang.management.ThreadMXBean"))).invoke();
        allocatedBytes = lookup.findVirtual(beanType, "getCurrentThreadAllocatedBytes", MethodType.methodType(long.class))
                .bindTo(bean).asType(MethodType.methodType(long.class));
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    @Test
    void passesAllocateNothingPerRun() throws Throwable {
        for (boolean channelsLast : new boolean[] {false, true}) {
            for (int[] s : new int[][] {{2, 3, 64}, {1, 2, 20_000}}) {
                Problem p = Problem.random(3, s[0], s[1], s[2], true, true, 1e-5);
                NormGeometry geo = NormGeometry.of(s[0], s[1], s[2], channelsLast, NormGeometry.DEFAULT_CHUNK_ELEMENTS);
                Arena arena = Arena.ofAuto();
                MemorySegment x = PassHarness.segment(arena, p.x());
                MemorySegment dy = PassHarness.segment(arena, p.dy());
                MemorySegment gamma = PassHarness.segment(arena, p.gamma());
                MemorySegment beta = PassHarness.segment(arena, p.beta());
                MemorySegment y = arena.allocate(x.byteSize(), 64);
                MemorySegment dx = arena.allocate(x.byteSize(), 64);
                MemorySegment mean = arena.allocate(4L * s[0] * s[1], 64);
                MemorySegment invstd = arena.allocate(4L * s[0] * s[1], 64);
                MemorySegment dgamma = arena.allocate(4L * s[1], 64);
                MemorySegment dbeta = arena.allocate(4L * s[1], 64);
                ForwardPass forward = new ForwardPass(geo, p.eps(), Kernels.selected());
                BackwardPass backward = new BackwardPass(geo, p.eps(), Kernels.selected());
                String where = (channelsLast ? "channels-last " : "NCHW ") + java.util.Arrays.toString(s);
                assertNoAllocation("forward pass " + where,
                        () -> forward.run(x, gamma, beta, y, mean, invstd, Parallel.SERIAL));
                assertNoAllocation("backward pass, saved stats, " + where,
                        () -> backward.run(x, dy, mean, invstd, gamma, dx, dgamma, dbeta, Parallel.SERIAL));
                assertNoAllocation("backward pass, recomputed stats, " + where,
                        () -> backward.run(x, dy, null, null, gamma, dx, dgamma, dbeta, Parallel.SERIAL));
            }
        }
    }

    @Test
    void onExecuteAllocatesNothingPerRun() throws Throwable {
        for (Layout layout : new Layout[] {Layout.NCHW, Layout.CHANNELS_LAST}) {
            check(layout, Shape.of(2, 3, 8, 8));
            check(layout, Shape.of(1, 4, 3, 5, 7));
        }
    }

    private static void check(Layout layout, Shape shape) throws Throwable {
        int n = (int) shape.dim(0);
        int c = (int) shape.dim(1);
        Problem p = Problem.random(3, n, c, (int) (shape.elementCount() / n / c), true, true, 1e-5);
        TensorType xType = new TensorType(shape, DType.FLOAT32, layout);
        List<Tensor> owned = new ArrayList<>();
        try {
            Tensor x = keep(owned, Tensor.copyOf(p.x(), shape, layout));
            Tensor dy = keep(owned, Tensor.copyOf(p.dy(), shape, layout));
            Tensor gamma = keep(owned, Tensor.copyOf(p.gamma(), Shape.of(c)));
            Tensor beta = keep(owned, Tensor.copyOf(p.beta(), Shape.of(c)));
            Tensor y = keep(owned, Tensor.allocate(xType));
            Tensor mean = keep(owned, Tensor.allocate(TensorType.float32(n, c)));
            Tensor invstd = keep(owned, Tensor.allocate(TensorType.float32(n, c)));
            Tensor dx = keep(owned, Tensor.allocate(xType));
            Tensor dgamma = keep(owned, Tensor.allocate(TensorType.float32(c)));
            Tensor dbeta = keep(owned, Tensor.allocate(TensorType.float32(c)));
            String where = layout + " " + shape;
            checkExecution("forward " + where, OpRegistry.standard().create("InstanceNorm",
                    Attributes.of("gamma", true, "beta", true), backend),
                    List.of(x, gamma, beta), List.of(y, mean, invstd));
            checkExecution("backward " + where, OpRegistry.standard().create("InstanceNormGrad",
                    Attributes.of("gamma", true, "beta", true), backend),
                    List.of(x, dy, mean, invstd, gamma), List.of(dx, dgamma, dbeta));
            checkExecution("backward, recomputed stats, " + where, OpRegistry.standard().create("InstanceNormGrad",
                    Attributes.of("savedStats", false, "gamma", true, "beta", true), backend),
                    List.of(x, dy, gamma), List.of(dx, dgamma, dbeta));
        } finally {
            for (Tensor t : owned) {
                t.close();
            }
        }
    }

    private static void checkExecution(String what, Execution e, List<Tensor> in, List<Tensor> out)
            throws Throwable {
        e.onResize(in, out);
        assertNoAllocation(what, () -> e.onExecute(in, out));
    }

    private static Tensor keep(List<Tensor> owned, Tensor t) {
        owned.add(t);
        return t;
    }

    private static void assertNoAllocation(String what, Runnable run) throws Throwable {
        long last = -1;
        long runs = 0;
        long start = System.nanoTime();
        while (System.nanoTime() - start < MAX_WAIT_NANOS) {
            long before = (long) allocatedBytes.invokeExact();
            for (int i = 0; i < BATCH; i++) {
                run.run();
            }
            last = (long) allocatedBytes.invokeExact() - before;
            runs += BATCH;
            if (last == 0) {
                return;
            }
        }
        fail(what + ": still allocating after " + runs + " runs: " + last + " bytes in the last " + BATCH);
    }
}
