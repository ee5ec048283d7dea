package dev.ingot.runtime;

import dev.ingot.allocator.AllocationLimitException;
import dev.ingot.allocator.MemoryBudget;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A pool over a backend whose real memory limit ({@link CpuBackend.Builder#memoryLimit}) admits two pipelines: a
 * third shape evicts an idle one, or times out typed when both are leased; everything goes back at close.
 */
class PipelinePoolMemoryLimitTest {

    /** Three shapes of the same size (64 Ki floats: 256 KiB per tensor). */
    private static final Shape A = Shape.of(64, 1024);
    private static final Shape B = Shape.of(128, 512);
    private static final Shape C = Shape.of(256, 256);
    private static final Shape D = Shape.of(512, 128);

    /** Three AddConstant ops: input and output static, two intermediates dynamic. */
    private static Pipeline chain(CpuBackend backend, Shape shape) {
        Pipeline.Builder b = Pipeline.builder(backend);
        Tensor t = b.input(TensorType.float32(shape.dims()));
        for (int i = 0; i < 3; i++) {
            t = b.op(new TestOps.AddConstant(backend, 1, false), t);
        }
        b.output(t);
        return b.build();
    }

    /**
     * Bytes an unlimited backend reserves in the test's own sequence: after an idle A and a leased B, and after
     * C is added.
     */
    private static long[] footprint(MemoryMode mode) {
        try (CpuBackend backend = CpuBackend.builder().memoryMode(mode).threads(1).build();
             PipelinePool pool = PipelinePool.builder(backend, PipelinePoolMemoryLimitTest::chain).maxPerShape(4)
                     .build()) {
            pool.acquire(A).close();
            try (PipelinePool.Lease b = pool.acquire(B)) {
                long two = backend.memoryBudget().reserved();
                try (PipelinePool.Lease c = pool.acquire(C)) {
                    return new long[]{two, backend.memoryBudget().reserved()};
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(MemoryMode.class)
    void theLimitEvictsAnIdleShapeOrTimesOutTypedAndNothingLeaks(MemoryMode mode) {
        long[] footprint = footprint(mode);
        assertTrue(footprint[1] > footprint[0], "a third pipeline reserves more: " + footprint[0] + ", "
                + footprint[1]);
        long limit = footprint[0]; // what two pipelines reserve: a third does not fit beside them
        MemoryBudget budget;
        try (CpuBackend backend = CpuBackend.builder().memoryMode(mode).threads(1).name("limited")
                .memoryLimit(limit).build()) {
            budget = backend.memoryBudget();
            try (PipelinePool pool = PipelinePool.builder(backend, PipelinePoolMemoryLimitTest::chain)
                    .maxPerShape(4).maxPipelines(16).build()) {
                pool.acquire(A).close(); // planned, then idle
                try (PipelinePool.Lease b = pool.acquire(B)) {
                    // the third shape does not fit: the idle A is evicted and C planned in its place
                    try (PipelinePool.Lease c = pool.acquire(C)) {
                        assertEquals(Map.of(B, 1, C, 1), pool.stats().perShape());
                        assertEquals(1, pool.stats().evicted());
                        runAndCheck(b.pipeline());
                        runAndCheck(c.pipeline());
                        assertTrue(budget.reserved() <= limit, budget.reserved() + " > " + limit);
                        // both leased, nothing idle: a fourth shape waits, then times out with the limit as cause
                        PipelinePoolTimeoutException e = assertThrows(PipelinePoolTimeoutException.class,
                                () -> pool.acquire(D, Duration.ofMillis(20)));
                        AllocationLimitException limitHit = assertInstanceOf(AllocationLimitException.class,
                                e.getCause());
                        assertEquals("limited", limitHit.tenant());
                        assertEquals(Map.of(B, 1, C, 1), pool.stats().perShape(), "the failed plan left nothing");
                    }
                }
                // once one is given back, the fourth shape fits by evicting it
                try (PipelinePool.Lease d = pool.acquire(D)) {
                    runAndCheck(d.pipeline());
                    assertEquals(2, pool.stats().perShape().size());
                }
                assertTrue(budget.refusals() >= 2, "the limit refused: " + budget.refusals());
            }
            assertEquals(0, backend.staticBytesInUse(), "the pool's pipelines gave their static memory back");
        }
        assertEquals(0, budget.reserved(), "the backend gave every block back");
    }

    private static void runAndCheck(Pipeline pipeline) {
        Tensor x = pipeline.inputs().get(0);
        float[] in = new float[(int) x.elementCount()];
        for (int i = 0; i < in.length; i++) {
            in[i] = i % 7;
        }
        x.copyFrom(in);
        pipeline.run();
        float[] out = pipeline.outputs().get(0).toFloatArray();
        for (int i = 0; i < in.length; i++) {
            if (out[i] != in[i] + 3) {
                throw new AssertionError("element " + i + ": " + out[i] + " != " + (in[i] + 3));
            }
        }
    }
}
