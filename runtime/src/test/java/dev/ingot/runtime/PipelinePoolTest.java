package dev.ingot.runtime;

import dev.ingot.allocator.AllocationLimitException;
import dev.ingot.runtime.parallel.Await;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PipelinePoolTest {

    private static final Shape SMALL = Shape.of(2, 3);
    private static final Shape LARGE = Shape.of(4, 5);

    /** x + 1 + 2, for inputs of the asked shape. */
    private static Pipeline addThree(CpuBackend backend, Shape shape) {
        Pipeline.Builder b = Pipeline.builder(backend);
        Tensor x = b.input(TensorType.float32(shape.dims()));
        Tensor t = b.op(new TestOps.AddConstant(backend, 1, false), x);
        b.output(b.op(new TestOps.AddConstant(backend, 2, false), t));
        return b.build();
    }

    @Test
    void aShapeIsPlannedOnFirstUseAndItsPipelineReused() {
        try (CpuBackend backend = CpuBackend.builder().threads(1).build();
             PipelinePool pool = PipelinePool.builder(backend, PipelinePoolTest::addThree).build()) {
            Pipeline first;
            try (PipelinePool.Lease lease = pool.acquire(SMALL)) {
                first = lease.pipeline();
                assertEquals(SMALL, first.inputs().get(0).shape());
                first.inputs().get(0).copyFrom(new float[]{0, 1, 2, 3, 4, 5});
                first.run();
                assertArrayEquals(new float[]{3, 4, 5, 6, 7, 8}, first.outputs().get(0).toFloatArray());
            }
            try (PipelinePool.Lease lease = pool.acquire(SMALL)) {
                assertSame(first, lease.pipeline(), "given back, then lent again");
            }
            try (PipelinePool.Lease lease = pool.acquire(LARGE)) {
                assertEquals(LARGE, lease.pipeline().inputs().get(0).shape());
            }
            PipelinePoolStats stats = pool.stats();
            assertEquals(3, stats.acquires());
            assertEquals(2, stats.planned());
            assertEquals(Map.of(SMALL, 1, LARGE, 1), stats.perShape());
            assertEquals(0, stats.leased());
            assertEquals(0, stats.waits());
        }
    }

    @Test
    void aLeaseBelongsToItsThreadAndEndsAtClose() throws Exception {
        try (CpuBackend backend = CpuBackend.builder().threads(1).build();
             PipelinePool pool = PipelinePool.builder(backend, PipelinePoolTest::addThree).build()) {
            PipelinePool.Lease lease = pool.acquire(SMALL);
            Throwable fromOther = CompletableFuture.supplyAsync(() -> {
                try {
                    lease.pipeline();
                    return null;
                } catch (Throwable t) {
                    return t;
                }
            }).get(60, TimeUnit.SECONDS);
            assertInstanceOf(IllegalStateException.class, fromOther);
            Pipeline pipeline = lease.pipeline();
            assertTrue(pipeline.isHeldByCurrentThread());
            Throwable writeFromOther = CompletableFuture.supplyAsync(() -> {
                try {
                    pipeline.inputs().get(0).copyFrom(new float[6]); // the pipeline is held by the leasing thread
                    return null;
                } catch (Throwable t) {
                    return t;
                }
            }).get(60, TimeUnit.SECONDS);
            assertInstanceOf(IllegalStateException.class, writeFromOther);
            Throwable runFromOther = CompletableFuture.supplyAsync(() -> {
                try {
                    pipeline.run();
                    return null;
                } catch (Throwable t) {
                    return t;
                }
            }).get(60, TimeUnit.SECONDS);
            assertInstanceOf(IllegalStateException.class, runFromOther);
            lease.close();
            assertTrue(!pipeline.isHeldByCurrentThread(), "given back with the lease");
            lease.close(); // idempotent on its thread
            IllegalStateException after = assertThrows(IllegalStateException.class, lease::pipeline);
            assertTrue(after.getMessage().contains("closed"), after.getMessage());
        }
    }

    @Test
    void waitingIsBoundedByTheTimeoutAndEndsInATypedException() {
        try (CpuBackend backend = CpuBackend.builder().threads(1).build();
             PipelinePool pool = PipelinePool.builder(backend, PipelinePoolTest::addThree).maxPerShape(1).build();
             PipelinePool.Lease held = pool.acquire(SMALL)) {
            assertTrue(held.pipeline().inputs().size() == 1);
            PipelinePoolTimeoutException e = assertThrows(PipelinePoolTimeoutException.class,
                    () -> pool.acquire(SMALL, Duration.ofMillis(20)));
            assertTrue(e.getMessage().contains(SMALL.toString()), e.getMessage());
            assertThrows(PipelinePoolTimeoutException.class, () -> pool.acquire(SMALL, Duration.ZERO));
            PipelinePoolStats stats = pool.stats();
            assertEquals(2, stats.timeouts());
            assertEquals(2, stats.waits());
            assertEquals(1, stats.leased());
            assertEquals(Map.of(SMALL, 1), stats.perShape(), "a timeout plans nothing");
        }
    }

    @Test
    void aWaiterGetsThePipelineWhenItComesBack() throws Exception {
        try (CpuBackend backend = CpuBackend.builder().threads(1).build();
             PipelinePool pool = PipelinePool.builder(backend, PipelinePoolTest::addThree).maxPerShape(1)
                     .timeout(Duration.ofSeconds(60)).build()) {
            PipelinePool.Lease held = pool.acquire(SMALL);
            Pipeline pipeline = held.pipeline();
            AtomicReference<Pipeline> got = new AtomicReference<>();
            Thread waiter = Thread.ofPlatform().start(() -> {
                try (PipelinePool.Lease lease = pool.acquire(SMALL)) {
                    got.set(lease.pipeline());
                }
            });
            Await.until(() -> pool.stats().waits() == 1, "the second acquire waits");
            held.close();
            waiter.join(60_000);
            assertSame(pipeline, got.get());
        }
    }

    @Test
    void theBoundOnPipelinesEvictsAnIdleShapeOrWaits() {
        try (CpuBackend backend = CpuBackend.builder().threads(1).build();
             PipelinePool pool = PipelinePool.builder(backend, PipelinePoolTest::addThree).maxPipelines(1)
                     .build()) {
            pool.acquire(SMALL).close();
            try (PipelinePool.Lease large = pool.acquire(LARGE)) {
                assertEquals(Map.of(LARGE, 1), pool.stats().perShape(), "the idle small pipeline made room");
                assertEquals(1, pool.stats().evicted());
                assertThrows(PipelinePoolTimeoutException.class, () -> pool.acquire(SMALL, Duration.ZERO),
                        "nothing idle to evict while the large one is leased");
                assertEquals(LARGE, large.shape());
            }
        }
    }

    @Test
    void shapesIdleForTheIdleTimeoutAreEvicted() {
        try (CpuBackend backend = CpuBackend.builder().threads(1).build();
             PipelinePool pool = PipelinePool.builder(backend, PipelinePoolTest::addThree)
                     .idleTimeout(Duration.ofNanos(1)).build()) {
            PipelinePool.Lease small = pool.acquire(SMALL);
            Pipeline smallPipeline = small.pipeline();
            small.close();
            pool.acquire(LARGE).close(); // the small shape has been idle for longer than 1 ns
            assertTrue(smallPipeline.isClosed());
            assertTrue(!pool.stats().perShape().containsKey(SMALL), pool.stats().toString());
        }
    }

    @Test
    void aMemoryLimitEvictsAnIdlePipelineOfAnotherShapeAndPlansAgain() {
        // a stand-in for the backend's memory limit: room for two pipelines (the one being planned counts)
        AtomicReference<PipelinePool> self = new AtomicReference<>();
        PipelineFactory twoFit = (backend, shape) -> {
            if (self.get().stats().pipelines() > 2) {
                throw new AllocationLimitException(1024, 2048, 2048);
            }
            return addThree(backend, shape);
        };
        try (CpuBackend backend = CpuBackend.builder().threads(1).build();
             PipelinePool pool = PipelinePool.builder(backend, twoFit).build()) {
            self.set(pool);
            PipelinePool.Lease a = pool.acquire(SMALL);
            pool.acquire(LARGE).close();
            try (PipelinePool.Lease b = pool.acquire(Shape.of(7))) { // over the limit: the idle LARGE goes
                assertEquals(Shape.of(7), b.shape());
                assertEquals(Map.of(SMALL, 1, Shape.of(7), 1), pool.stats().perShape());
                // nothing idle and the others leased: waits, then times out with the limit as the cause
                PipelinePoolTimeoutException e = assertThrows(PipelinePoolTimeoutException.class,
                        () -> pool.acquire(Shape.of(9), Duration.ofMillis(20)));
                assertInstanceOf(AllocationLimitException.class, e.getCause());
            }
            a.close();
        }
    }

    @Test
    void aPipelineGivenBackWithAnotherShapeIsDiscarded() {
        try (CpuBackend backend = CpuBackend.builder().threads(1).build();
             PipelinePool pool = PipelinePool.builder(backend, PipelinePoolTest::addThree).build()) {
            Pipeline changed;
            try (PipelinePool.Lease lease = pool.acquire(SMALL)) {
                changed = lease.pipeline();
                changed.setInputShape(changed.inputs().get(0), LARGE);
                changed.resize();
            }
            assertTrue(changed.isClosed());
            try (PipelinePool.Lease lease = pool.acquire(SMALL)) {
                assertNotSame(changed, lease.pipeline());
                assertEquals(SMALL, lease.pipeline().inputs().get(0).shape());
            }
        }
    }

    @Test
    void aClosedPoolRefusesAndClosesWhatComesBack() throws ExecutionException, InterruptedException {
        try (CpuBackend backend = CpuBackend.builder().threads(1).build()) {
            PipelinePool pool = PipelinePool.builder(backend, PipelinePoolTest::addThree).build();
            PipelinePool.Lease lease = pool.acquire(SMALL);
            Pipeline pipeline = lease.pipeline();
            pool.close();
            assertThrows(IllegalStateException.class, () -> pool.acquire(SMALL));
            assertTrue(!pipeline.isClosed(), "a leased pipeline stays usable until given back");
            lease.close();
            assertTrue(pipeline.isClosed());
        }
    }

    @Test
    void aFactoryThatRefusesTheShapeLeavesThePoolUnchanged() {
        try (CpuBackend backend = CpuBackend.builder().threads(1).build();
             PipelinePool pool = PipelinePool.builder(backend, (b, shape) -> {
                 throw new IllegalArgumentException("shape: expected rank 2, got " + shape);
             }).build()) {
            assertThrows(IllegalArgumentException.class, () -> pool.acquire(Shape.of(3)));
            assertEquals(Map.of(), pool.stats().perShape());
            assertThrows(IllegalArgumentException.class, () -> pool.acquire(null));
        }
    }
}
