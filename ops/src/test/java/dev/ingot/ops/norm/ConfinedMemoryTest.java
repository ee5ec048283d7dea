package dev.ingot.ops.norm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Pipeline;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Memory only one thread may touch (a confined arena's segments) is refused up front, naming the argument, when
 * a backend would run ops on it from several threads; on a one-thread backend it works on its owner thread.
 */
class ConfinedMemoryTest {

    private static final Shape SHAPE = Shape.of(4, 16, 32, 32);

    private static MemorySegment filled(Arena arena, long elements, float scale) {
        MemorySegment segment = arena.allocate(elements * Float.BYTES, 64);
        for (long i = 0; i < elements; i++) {
            segment.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) Math.sin(i * 0.37) * scale + 0.1f * (i % 7));
        }
        return segment;
    }

    @Test
    void aConfinedInputOfAMultiThreadedBackendIsRefusedBeforeAnythingRuns() {
        try (CpuBackend backend = CpuBackend.builder().threads(2).build();
             Arena confined = Arena.ofConfined()) {
            Tensor x = Tensor.wrap(filled(confined, SHAPE.elementCount(), 3f), TensorType.float32(SHAPE.dims()));
            long before = backend.staticBytesInUse();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> InstanceNorm.forward(backend, x, null, null, 1e-5));
            assertTrue(e.getMessage().startsWith("x: ") && e.getMessage().contains("confined")
                    && e.getMessage().contains("2 threads"), e.getMessage());
            assertEquals(before, backend.staticBytesInUse(), "no output left allocated");

            try (Tensor xShared = Tensor.copyOf(x.toFloatArray(), SHAPE)) {
                Tensor gamma = Tensor.wrap(filled(confined, 16, 1f), TensorType.float32(16));
                IllegalArgumentException g = assertThrows(IllegalArgumentException.class,
                        () -> InstanceNorm.forward(backend, xShared, gamma, null, 1e-5));
                assertTrue(g.getMessage().startsWith("gamma: "), g.getMessage());
                try (InstanceNorm.Forward f = InstanceNorm.forward(backend, xShared, null, null, 1e-5)) {
                    Tensor dy = Tensor.wrap(filled(confined, SHAPE.elementCount(), 1f), x.type());
                    IllegalArgumentException d = assertThrows(IllegalArgumentException.class,
                            () -> InstanceNorm.backward(backend, xShared, dy, f.mean(), f.invstd(), null, true,
                                    1e-5));
                    assertTrue(d.getMessage().startsWith("dy: "), d.getMessage());
                }
            }
        }
    }

    @Test
    void onAOneThreadBackendConfinedMemoryWorksOnItsOwnerThread() {
        try (CpuBackend one = CpuBackend.builder().threads(1).build();
             CpuBackend two = CpuBackend.builder().threads(2).build();
             Arena confined = Arena.ofConfined()) {
            Tensor x = Tensor.wrap(filled(confined, SHAPE.elementCount(), 3f), TensorType.float32(SHAPE.dims()));
            try (Tensor shared = Tensor.copyOf(x.toFloatArray(), SHAPE);
                 InstanceNorm.Forward fromConfined = InstanceNorm.forward(one, x, null, null, 1e-5);
                 InstanceNorm.Forward fromShared = InstanceNorm.forward(two, shared, null, null, 1e-5)) {
                assertArrayEquals(fromShared.y().toFloatArray(), fromConfined.y().toFloatArray());
            }
        }
    }

    @Test
    void aConfinedParameterOfAPipelineIsRefusedOrPinnedToItsOwnerThread() throws Exception {
        try (CpuBackend two = CpuBackend.builder().threads(2).build();
             Arena confined = Arena.ofConfined()) {
            Tensor gamma = Tensor.wrap(filled(confined, 16, 1f), TensorType.float32(16));
            Pipeline.Builder b = Pipeline.builder(two);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.parameter(gamma));
            assertTrue(e.getMessage().startsWith("external: ") && e.getMessage().contains("confined"),
                    e.getMessage());
        }
        ExecutorService other = Executors.newSingleThreadExecutor();
        try (CpuBackend one = CpuBackend.builder().threads(1).build();
             Arena confined = Arena.ofConfined()) {
            Tensor gamma = Tensor.wrap(filled(confined, 16, 1f), TensorType.float32(16));
            Pipeline.Builder b = Pipeline.builder(one);
            Tensor x = b.input(TensorType.float32(SHAPE.dims()));
            List<Tensor> out = b.ops(InstanceNorm.OP_TYPE, Attributes.of(InstanceNorm.GAMMA, true), x,
                    b.parameter(gamma));
            b.output(out.get(0));
            try (Pipeline pipeline = b.build()) {
                pipeline.run();
                ExecutionException refused = assertThrows(ExecutionException.class,
                        () -> other.submit(pipeline::run).get(30, TimeUnit.SECONDS));
                assertTrue(refused.getCause() instanceof IllegalStateException
                        && refused.getCause().getMessage().contains("confined"), refused.getCause().toString());
                pipeline.run();
            }
        } finally {
            other.shutdownNow();
        }
    }
}
