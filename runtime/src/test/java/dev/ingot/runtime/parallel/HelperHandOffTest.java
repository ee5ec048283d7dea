package dev.ingot.runtime.parallel;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The hand-off of helpers to calls when none is free: a call that starts while every helper is queued or running
 * elsewhere must still get one as soon as one frees up (a lost wake-up here made a call run on its caller alone, and
 * a body that waits for a second thread never returned).
 */
class HelperHandOffTest {

    @Test
    void aCallStartedWhileEveryHelperIsBusyGetsOneWhenAHelperFreesUp() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(4);
        AtomicBoolean release = new AtomicBoolean();
        try (ParallelExecutor executor = new ParallelExecutor(2, TimeUnit.MICROSECONDS.toNanos(50))) {
            AtomicInteger inside = new AtomicInteger();
            // Bodies that hold their thread by polling, not by a blocking primitive the pool would compensate for
            // with an extra worker: the pool keeps exactly its two workers.
            RangeTask hold = (from, to) -> {
                inside.incrementAndGet();
                while (!release.get()) {
                    LockSupport.parkNanos(100_000);
                }
            };
            // Two calls hold both pool workers (their helpers) and their callers.
            Future<?> first = callers.submit(() -> executor.parallelFor(2, 1, hold));
            awaitUntil(() -> inside.get() == 2, "the first call and its helper are inside");
            Future<?> second = callers.submit(() -> executor.parallelFor(2, 1, hold));
            awaitUntil(() -> inside.get() == 4, "the second call and its helper are inside");
            // Quick calls fork the remaining helpers: they queue behind the busy workers and point at a call that
            // has ended by the time they run.
            while (executor.busyHelpers() < executor.helperCount() - 1) {
                executor.parallelFor(2, 1, (from, to) -> { });
            }
            // A third holding call takes the job those helpers point at, and the last helper.
            Future<?> third = callers.submit(() -> executor.parallelFor(2, 1, hold));
            awaitUntil(() -> inside.get() == 5, "the third call is inside");
            assertEquals(executor.helperCount(), executor.busyHelpers(), "every helper is queued or running");

            // The call under test needs a second thread to finish: it starts with no helper free.
            CyclicBarrier both = new CyclicBarrier(2);
            AtomicBoolean started = new AtomicBoolean();
            Future<?> needsHelper = callers.submit(() -> executor.parallelFor(2, 1, (from, to) -> {
                started.set(true);
                try {
                    both.await(20, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException("no helper joined", e);
                }
            }));
            awaitUntil(started::get, "the call under test is inside");
            release.set(true);
            needsHelper.get(60, TimeUnit.SECONDS); // fails (no helper joined) when the freed helpers miss it
            first.get(60, TimeUnit.SECONDS);
            second.get(60, TimeUnit.SECONDS);
            third.get(60, TimeUnit.SECONDS);
        } finally {
            release.set(true);
            callers.shutdownNow();
        }
    }

    /** Polls {@code condition}; the 60 s limit is only a hang guard. */
    private static void awaitUntil(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out: " + what);
            }
            LockSupport.parkNanos(100_000);
        }
    }
}
