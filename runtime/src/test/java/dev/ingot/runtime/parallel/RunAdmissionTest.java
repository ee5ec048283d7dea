package dev.ingot.runtime.parallel;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunAdmissionTest {

    @Test
    void runsAreAdmittedInArrivalOrder() throws Exception {
        try (ParallelExecutor executor = new ParallelExecutor(1)) {
            RunAdmission admission = executor.admission();
            List<Integer> order = new CopyOnWriteArrayList<>();
            admission.enter(); // hold the only core while the others queue up
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int index = i;
                Thread t = Thread.ofPlatform().start(() -> {
                    admission.enter();
                    order.add(index);
                    admission.exit();
                });
                threads.add(t);
                int queued = i + 1;
                Await.until(() -> admission.stats().waiting() == queued, "run " + index + " queued");
            }
            assertEquals(List.of(), order, "nobody passes the holder");
            admission.exit();
            for (Thread t : threads) {
                t.join(60_000);
            }
            assertEquals(List.of(0, 1, 2, 3, 4, 5), order);
            assertEquals(7, admission.stats().admitted());
            assertEquals(6, admission.stats().waited());
        }
    }

    @Test
    void freedCoresGoToTheHeadOfTheQueueOneThreadEachWhileRunsCompete() throws Exception {
        try (ParallelExecutor executor = ParallelExecutor.withThreadsWhenBusy(3, 1)) {
            RunAdmission admission = executor.admission();
            assertEquals(3, admission.enter(), "a run alone gets every core");
            Set<Integer> admitted = ConcurrentHashMap.newKeySet();
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger grantedSum = new AtomicInteger();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int index = i;
                CountDownLatch gate = index < 3 ? release : new CountDownLatch(0);
                threads.add(Thread.ofPlatform().start(() -> {
                    grantedSum.addAndGet(admission.enter());
                    admitted.add(index);
                    await(gate);
                    admission.exit();
                }));
                int queued = i + 1;
                Await.until(() -> admission.stats().waiting() == queued, "run " + index + " queued");
            }
            admission.exit();
            Await.until(() -> admitted.size() == 3, "the first three admitted");
            assertEquals(Set.of(0, 1, 2), admitted, "the first three in line, on one core each");
            assertEquals(3, grantedSum.get());
            assertEquals(3, admission.stats().waiting());
            release.countDown();
            for (Thread t : threads) {
                t.join(60_000);
            }
            assertEquals(Set.of(0, 1, 2, 3, 4, 5), admitted);
            assertEquals(0, admission.stats().threadsBusy());
        }
    }

    @Test
    void threadsOfAdmittedRunsNeverExceedTheCores() throws Exception {
        int cores = 2;
        try (ParallelExecutor executor = ParallelExecutor.withThreadsWhenBusy(cores, 1)) {
            RunAdmission admission = executor.admission();
            AtomicInteger grantedNow = new AtomicInteger();
            AtomicInteger grantedMax = new AtomicInteger();
            AtomicInteger inBodies = new AtomicInteger();
            AtomicInteger inBodiesMax = new AtomicInteger();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            int callers = 8;
            CyclicBarrier start = new CyclicBarrier(callers);
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < callers; c++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await(60, TimeUnit.SECONDS);
                        for (int run = 0; run < 200; run++) {
                            int granted = admission.enter();
                            try {
                                grantedMax.accumulateAndGet(grantedNow.addAndGet(granted), Math::max);
                                executor.parallelFor(64, 1, (from, to) -> {
                                    inBodiesMax.accumulateAndGet(inBodies.incrementAndGet(), Math::max);
                                    double x = 0;
                                    for (int k = 0; k < 2000; k++) {
                                        x += Math.sqrt(k + from);
                                    }
                                    if (x < 0) {
                                        throw new AssertionError();
                                    }
                                    inBodies.decrementAndGet();
                                });
                                grantedNow.addAndGet(-granted);
                            } finally {
                                admission.exit();
                            }
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join(120_000);
            }
            assertNull(failure.get());
            assertTrue(grantedMax.get() <= cores, "threads granted at once: " + grantedMax.get());
            assertTrue(inBodiesMax.get() <= cores, "loop bodies running at once: " + inBodiesMax.get());
            assertEquals(callers * 200, admission.stats().admitted());
            assertEquals(0, admission.stats().running());
        }
    }

    @Test
    void aRunInsideARunIsAdmittedAtOnceWithItsThreads() {
        try (ParallelExecutor executor = new ParallelExecutor(2)) {
            RunAdmission admission = executor.admission();
            assertEquals(0, admission.currentThreads());
            assertEquals(2, admission.enter());
            assertEquals(2, admission.enter());
            admission.exit();
            assertEquals(2, admission.currentThreads());
            admission.exit();
            assertEquals(0, admission.currentThreads());
            assertThrows(IllegalStateException.class, admission::exit);
        }
    }

    @Test
    void aRunMayAskForFewerThreads() {
        try (ParallelExecutor executor = new ParallelExecutor(3)) {
            RunAdmission admission = executor.admission();
            assertEquals(1, admission.enter(1), "alone, but capped at one thread");
            assertEquals(1, admission.enter(), "a nested run keeps the outer run's threads");
            Set<Thread> ran = ConcurrentHashMap.newKeySet();
            executor.parallelFor(300, 1, (from, to) -> ran.add(Thread.currentThread()));
            assertEquals(Set.of(Thread.currentThread()), ran);
            assertEquals(1, admission.stats().threadsBusy(), "the other two cores stay free for other runs");
            admission.exit();
            admission.exit();
            assertThrows(IllegalArgumentException.class, () -> admission.enter(0));
        }
    }

    @Test
    void aRunOnOneThreadGetsNoHelpers() {
        try (ParallelExecutor executor = ParallelExecutor.withThreadsWhenBusy(3, 1)) {
            RunAdmission admission = executor.admission();
            admission.enter(); // alone: all three cores
            CountDownLatch release = new CountDownLatch(1);
            Set<Thread> ran = ConcurrentHashMap.newKeySet();
            Thread caller = Thread.ofPlatform().start(() -> {
                int granted = admission.enter(); // queued behind the holder, then granted one thread
                try {
                    assertEquals(1, granted);
                    executor.parallelFor(300, 1, (from, to) -> ran.add(Thread.currentThread()));
                } finally {
                    admission.exit();
                }
            });
            Await.until(() -> admission.stats().waiting() == 1, "the caller queued");
            Thread other = Thread.ofPlatform().start(() -> {
                admission.enter();
                await(release);
                admission.exit();
            });
            Await.until(() -> admission.stats().waiting() == 2, "both queued");
            admission.exit();
            try {
                caller.join(60_000);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            release.countDown();
            try {
                other.join(60_000);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            assertEquals(Set.of(caller), ran, "a one-thread run runs all its ranges on its caller");
        }
    }

    @Test
    void helpersStopWaitingWhenTheLastRunLeaves() {
        // helpers would wait 60 s for a next call; the end of the last run sends them away at once
        try (ParallelExecutor executor = new ParallelExecutor(2, TimeUnit.SECONDS.toNanos(60))) {
            RunAdmission admission = executor.admission();
            for (int run = 0; run < 3; run++) {
                admission.enter();
                CyclicBarrier both = new CyclicBarrier(2);
                executor.parallelFor(2, 1, (from, to) -> await(both)); // a helper takes the other range
                Await.until(() -> executor.idleHelpers() == 1, "the helper waits for the run's next call");
                admission.exit();
                Await.until(() -> executor.idleHelpers() == 0, "the helper left when the run ended");
            }
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(60, TimeUnit.SECONDS)) {
                throw new AssertionError("latch not released");
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("the other thread did not join", e);
        }
    }
}
