package dev.ingot.ops.norm;

import static org.junit.jupiter.api.Assertions.fail;

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
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * onExecute allocates nothing on the calling thread once the JIT has compiled it (interpreted Vector API and FFM
 * code boxes, so the check waits for a batch of runs that allocates zero bytes, giving up after many batches).
 */
class InstanceNormAllocationTest {
    private static final int BATCH = 100;
    private static final int MAX_BATCHES = 150;
    private static CpuBackend backend;
    private static MethodHandle allocatedBytes;

    @BeforeAll
    static void open() throws Throwable {
        backend = CpuBackend.builder().threads(2).build();
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
    void forwardAndBackwardAllocateNothingPerRun() throws Throwable {
        for (Layout layout : new Layout[] {Layout.NCHW, Layout.CHANNELS_LAST}) {
            check(layout, Shape.of(2, 3, 8, 8));     // whole planes per task
            check(layout, Shape.of(1, 2, 20_000));   // planes split into units
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
            Execution fwd = OpRegistry.standard().create("InstanceNorm",
                    Attributes.of("gamma", true, "beta", true), backend);
            assertNoAllocation("forward " + layout + " " + shape, fwd, List.of(x, gamma, beta), List.of(y, mean, invstd));
            Execution saved = OpRegistry.standard().create("InstanceNormGrad",
                    Attributes.of("gamma", true, "beta", true), backend);
            assertNoAllocation("backward " + layout + " " + shape, saved, List.of(x, dy, mean, invstd, gamma),
                    List.of(dx, dgamma, dbeta));
            Execution recomputed = OpRegistry.standard().create("InstanceNormGrad",
                    Attributes.of("savedStats", false, "gamma", true, "beta", true), backend);
            assertNoAllocation("backward, recomputed stats, " + layout + " " + shape, recomputed,
                    List.of(x, dy, gamma), List.of(dx, dgamma, dbeta));
        } finally {
            for (Tensor t : owned) {
                t.close();
            }
        }
    }

    private static Tensor keep(List<Tensor> owned, Tensor t) {
        owned.add(t);
        return t;
    }

    private static void assertNoAllocation(String what, Execution e, List<Tensor> in, List<Tensor> out)
            throws Throwable {
        e.onResize(in, out);
        long last = -1;
        for (int batch = 0; batch < MAX_BATCHES; batch++) {
            long before = (long) allocatedBytes.invokeExact();
            for (int i = 0; i < BATCH; i++) {
                e.onExecute(in, out);
            }
            last = (long) allocatedBytes.invokeExact() - before;
            if (last == 0) {
                return;
            }
        }
        fail(what + ": still allocating after " + MAX_BATCHES * BATCH + " runs: " + last + " bytes in the last "
                + BATCH);
    }
}
