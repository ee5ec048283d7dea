package dev.ingot.runtime;

import dev.ingot.runtime.parallel.Await;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Waiters of one shape are served in arrival order: a pipeline given back goes to the longest waiter, never to a
 * later caller. Each waiter is known to be queued (the pool's wait count) before the next one starts, so the order
 * is fixed by the test, not by timing.
 */
class PipelinePoolFairnessTest {

    private static final Shape SHAPE = Shape.of(2, 3);

    private static Pipeline addOne(CpuBackend backend, Shape shape) {
        Pipeline.Builder b = Pipeline.builder(backend);
        Tensor x = b.input(TensorType.float32(shape.dims()));
        b.output(b.op(new TestOps.AddConstant(backend, 1, false), x));
        return b.build();
    }

    @Test
    void aPipelineGivenBackGoesToTheLongestWaiterNotToALaterCaller() throws Exception {
        ExecutorService threads = Executors.newSingleThreadExecutor();
        try (CpuBackend backend = CpuBackend.builder().threads(1).build();
             PipelinePool pool = PipelinePool.builder(backend, PipelinePoolFairnessTest::addOne).maxPerShape(1)
                     .timeout(Duration.ofSeconds(60)).build()) {
            PipelinePool.Lease mine = pool.acquire(SHAPE);
            Pipeline pipeline = mine.pipeline();
            CountDownLatch release = new CountDownLatch(1);
            Future<Pipeline> waiter = threads.submit(() -> {
                try (PipelinePool.Lease lease = pool.acquire(SHAPE)) {
                    release.await(60, TimeUnit.SECONDS);
                    return lease.pipeline();
                }
            });
            Await.until(() -> pool.stats().waits() == 1, "the other thread waits");
            mine.close();
            // handed over inside close(): it is leased again before the waiter has even woken up
            assertEquals(1, pool.stats().leased(), "given straight to the waiter");
            PipelinePoolTimeoutException barging = assertThrows(PipelinePoolTimeoutException.class,
                    () -> pool.acquire(SHAPE, Duration.ZERO), "a later caller cannot take it first");
            assertInstanceOf(PipelinePoolTimeoutException.class, barging);
            release.countDown();
            assertSame(pipeline, waiter.get(60, TimeUnit.SECONDS));
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void waitersOfAShapeAreServedInArrivalOrder() throws Exception {
        int waiters = 5;
        ExecutorService threads = Executors.newFixedThreadPool(waiters);
        try (CpuBackend backend = CpuBackend.builder().threads(1).build();
             PipelinePool pool = PipelinePool.builder(backend, PipelinePoolFairnessTest::addOne).maxPerShape(1)
                     .timeout(Duration.ofSeconds(60)).build()) {
            PipelinePool.Lease held = pool.acquire(SHAPE);
            List<Integer> served = new CopyOnWriteArrayList<>();
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < waiters; i++) {
                int id = i;
                done.add(threads.submit(() -> {
                    try (PipelinePool.Lease lease = pool.acquire(SHAPE)) {
                        served.add(id);
                        lease.pipeline().run();
                    }
                    return null;
                }));
                long queued = i + 1;
                Await.until(() -> pool.stats().waits() == queued, "waiter " + id + " is queued");
            }
            held.close();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            assertEquals(List.of(0, 1, 2, 3, 4), served);
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aWaiterThatTimesOutLeavesTheQueueAndTheNextIsServed() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (CpuBackend backend = CpuBackend.builder().threads(1).build();
             PipelinePool pool = PipelinePool.builder(backend, PipelinePoolFairnessTest::addOne).maxPerShape(1)
                     .timeout(Duration.ofSeconds(60)).build()) {
            PipelinePool.Lease held = pool.acquire(SHAPE);
            Future<?> impatient = threads.submit(() -> pool.acquire(SHAPE, Duration.ofMillis(1)));
            java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> impatient.get(60, TimeUnit.SECONDS));
            assertInstanceOf(PipelinePoolTimeoutException.class, e.getCause());
            Future<Boolean> patient = threads.submit(() -> {
                try (PipelinePool.Lease lease = pool.acquire(SHAPE)) {
                    return lease.pipeline() != null;
                }
            });
            Await.until(() -> pool.stats().waits() == 2, "the patient waiter is queued");
            held.close();
            assertEquals(true, patient.get(60, TimeUnit.SECONDS));
            assertEquals(1, pool.stats().timeouts());
            assertEquals(0, pool.stats().leased());
        } finally {
            threads.shutdownNow();
        }
    }
}
