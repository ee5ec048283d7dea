package dev.ingot.ops.norm;

import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.DType;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Pipeline;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import dev.ingot.runtime.WarmUpReport;
import org.junit.jupiter.api.Test;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * After {@link Pipeline#warmUp()}, the first request's {@code run()} allocates nothing: InstanceNorm forward and
 * backward planned for one shape, on one and on two threads. (Its latency, the other half of the goal, is measured
 * by {@code WarmUpHarness}, not here.)
 */
class PipelineWarmUpTest {

    @Test
    void theFirstRunAfterTheWarmUpAllocatesNothing() throws Throwable {
        MethodHandle allocated = allocatedBytesOfThisThread();
        for (int threads = 1; threads <= 2; threads++) {
            try (CpuBackend backend = CpuBackend.builder().threads(threads).build();
                 Pipeline pipeline = forwardAndBackward(backend, Shape.of(2, 8, 24, 24))) {
                WarmUpReport report = pipeline.warmUp(Duration.ofSeconds(120)); // a hang guard, not a time goal
                assertTrue(report.allocationFree(), report.toString());
                Tensor x = pipeline.inputs().get(0);
                x.copyFrom(request((int) x.elementCount()));
                long before = (long) allocated.invokeExact();
                pipeline.run();
                long bytes = (long) allocated.invokeExact() - before;
                assertEquals(0, bytes, "heap bytes allocated by the first run after the warm-up, " + threads
                        + " threads");
            }
        }
    }

    @Test
    void aBadBudgetIsRefused() {
        try (CpuBackend backend = CpuBackend.builder().threads(1).build();
             Pipeline pipeline = forwardAndBackward(backend, Shape.of(1, 2, 4))) {
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> pipeline.warmUp(Duration.ofSeconds(-1)));
        }
    }

    static Pipeline forwardAndBackward(CpuBackend backend, Shape shape) {
        Pipeline.Builder graph = Pipeline.builder(backend);
        TensorType type = new TensorType(shape, DType.FLOAT32, Layout.NCHW);
        Tensor x = graph.input(type);
        Tensor dy = graph.input(type);
        List<Tensor> forward = graph.ops(InstanceNorm.OP_TYPE, Attributes.of(InstanceNorm.EPS, 1e-5), x);
        Tensor dx = graph.op(InstanceNorm.GRAD_OP_TYPE, Attributes.of(InstanceNorm.EPS, 1e-5), x, dy,
                forward.get(1), forward.get(2));
        graph.output(forward.get(0), dx);
        return graph.build();
    }

    private static float[] request(int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) Math.sin(i * 0.37) * 3 + 1;
        }
        return values;
    }

    /** Through method handles: this module does not read jdk.management, and invokeExact does not box. */
    private static MethodHandle allocatedBytesOfThisThread() throws Throwable {
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        Class<?> factory = Class.forName("java.lang.management.ManagementFactory");
        Class<?> beanType = Class.forName("com.sun.management.ThreadMXBean");
        Object bean = lookup.findStatic(factory, "getThreadMXBean",
                MethodType.methodType(Class.forName("java.lang.management.ThreadMXBean"))).invoke();
        return lookup.findVirtual(beanType, "getCurrentThreadAllocatedBytes", MethodType.methodType(long.class))
                .bindTo(bean).asType(MethodType.methodType(long.class));
    }
}
