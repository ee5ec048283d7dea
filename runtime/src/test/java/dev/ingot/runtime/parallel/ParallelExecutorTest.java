package dev.ingot.runtime.parallel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParallelExecutorTest {

    private static ParallelExecutor ONE;
    private static ParallelExecutor THREE;

    @BeforeAll
    static void openExecutors() {
        ONE = new ParallelExecutor(1);
        THREE = new ParallelExecutor(3);
    }

    @AfterAll
    static void closeExecutors() {
        ONE.close();
        THREE.close();
    }

    @Test
    void workBelowTheGrainRunsOnTheCaller() {
        Thread caller = Thread.currentThread();
        Thread[] ran = new Thread[1];
        THREE.parallelFor(10, 10, (from, to) -> ran[0] = Thread.currentThread());
        assertSame(caller, ran[0]);
        THREE.parallelFor(0, 1, (from, to) -> {
            throw new AssertionError("nothing to run");
        });
    }

    @Test
    void poolThreadsTakePart() {
        CyclicBarrier both = new CyclicBarrier(2);
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        THREE.parallelFor(2, 1, (from, to) -> {
            threads.add(Thread.currentThread());
            try {
                both.await(60, TimeUnit.SECONDS); // only passes if a second thread runs the other range
            } catch (Exception e) {
                throw new IllegalStateException("no helper joined", e);
            }
        });
        assertEquals(2, threads.size());
        assertTrue(threads.contains(Thread.currentThread()), "the caller takes part");
        assertEquals(0, THREE.backloggedCalls());
    }

    @Test
    void oneThreadRunsEverythingOnTheCaller() {
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        AtomicLong sum = new AtomicLong();
        ONE.parallelFor(500, 3, (from, to) -> {
            threads.add(Thread.currentThread());
            sum.addAndGet(to - from);
        });
        assertEquals(Set.of(Thread.currentThread()), threads, "threads = 1 counts the caller: no helper");
        assertEquals(500, sum.get());
    }

    @Test
    void aCallRunsOnTheCallerAndAtMostThreadsMinusOneWorkers() {
        CyclicBarrier three = new CyclicBarrier(3);
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        THREE.parallelFor(300, 1, (from, to) -> {
            threads.add(Thread.currentThread());
            if (from < 3) {
                awaitOthers(three); // three ranges held at once: three distinct threads take part
            }
        });
        assertEquals(3, threads.size(), "the caller and two workers: " + threads);
        assertTrue(threads.contains(Thread.currentThread()), "the caller takes part");
    }

    @Test
    void aWaitingHelperTakesTheNextCallWithoutAFork() throws Exception {
        ParallelExecutor executor = new ParallelExecutor(2, TimeUnit.SECONDS.toNanos(60));
        Set<Thread> workers = ConcurrentHashMap.newKeySet();
        try {
            for (int call = 0; call < 3; call++) {
                CyclicBarrier both = new CyclicBarrier(2);
                executor.parallelFor(2, 1, (from, to) -> {
                    if (Thread.currentThread().getName().startsWith("ingot-worker-")) {
                        workers.add(Thread.currentThread());
                    }
                    awaitOthers(both); // only passes if a helper runs the other range
                });
                Await.until(() -> executor.idleHelpers() == 1, "the helper waits for the next call");
            }
            assertEquals(1, executor.forkedHelpers(), "later calls were handed to the waiting helper");
        } finally {
            executor.close();
        }
        // close() ends the wait although the spin bound (60 s) is far away
        for (Thread worker : workers) {
            worker.join(30_000);
            assertFalse(worker.isAlive(), worker.getName());
        }
    }

    @Test
    void waitingHelpersGiveTheirThreadBack() {
        try (ParallelExecutor brief = new ParallelExecutor(2, TimeUnit.MILLISECONDS.toNanos(1));
             ParallelExecutor none = new ParallelExecutor(2, 0)) {
            for (ParallelExecutor executor : List.of(brief, none)) {
                for (int call = 0; call < 2; call++) {
                    CyclicBarrier both = new CyclicBarrier(2);
                    executor.parallelFor(2, 1, (from, to) -> awaitOthers(both));
                    Await.until(() -> executor.idleHelpers() == 0, "no helper spins past the bound");
                }
            }
            assertEquals(2, none.forkedHelpers(), "without a spin every call forks its helper");
        }
    }

    @Test
    void spinPropertyIsChecked() {
        String old = System.getProperty(ParallelExecutor.SPIN_PROPERTY);
        try {
            System.setProperty(ParallelExecutor.SPIN_PROPERTY, "-5");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ParallelExecutor(2));
            assertTrue(e.getMessage().contains("-5"), e.getMessage());
            System.setProperty(ParallelExecutor.SPIN_PROPERTY, "0");
            try (ParallelExecutor executor = new ParallelExecutor(2)) {
                CyclicBarrier both = new CyclicBarrier(2);
                executor.parallelFor(2, 1, (from, to) -> awaitOthers(both));
                Await.until(() -> executor.idleHelpers() == 0, "a helper does not wait with a zero spin");
            }
        } finally {
            if (old == null) {
                System.clearProperty(ParallelExecutor.SPIN_PROPERTY);
            } else {
                System.setProperty(ParallelExecutor.SPIN_PROPERTY, old);
            }
        }
    }

    private static void awaitOthers(CyclicBarrier barrier) {
        try {
            barrier.await(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("the other threads did not join", e);
        }
    }

    @Test
    void argumentsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> THREE.parallelFor(-1, 1, (a, b) -> { }));
        assertThrows(IllegalArgumentException.class, () -> THREE.parallelFor(10, 0, (a, b) -> { }));
        assertThrows(IllegalArgumentException.class, () -> THREE.parallelFor(10, 1, null));
        assertThrows(IllegalArgumentException.class, () -> new ParallelExecutor(0));
    }

    @Test
    void exceptionReachesTheCallerAndStopsTheRest() {
        RuntimeException boom = new IllegalStateException("boom");
        int count = 2000;
        AtomicInteger ran = new AtomicInteger();
        CountDownLatch failing = new CountDownLatch(1);
        ParallelExecutionException e = assertThrows(ParallelExecutionException.class,
                () -> THREE.parallelFor(count, 1, (from, to) -> {
                    if (from == 0) {
                        failing.countDown();
                        throw boom;
                    }
                    try {
                        failing.await(30, TimeUnit.SECONDS);
                        Thread.sleep(1);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                    }
                    ran.incrementAndGet();
                }));
        assertSame(boom, e.getCause());
        assertEquals(0, e.from());
        assertEquals(1, e.to());
        assertTrue(ran.get() < count / 2, "ranges after the failure are skipped, ran " + ran.get());
        // the executor stays usable
        AtomicLong sum = new AtomicLong();
        THREE.parallelFor(100, 7, (from, to) -> sum.addAndGet(to - from));
        assertEquals(100, sum.get());
        assertThrows(ParallelExecutionException.class, () -> ONE.parallelFor(10, 2, (from, to) -> {
            throw new IllegalArgumentException("single thread too");
        }));
        ParallelExecutionException single = assertThrows(ParallelExecutionException.class,
                () -> THREE.parallelFor(5, 10, (from, to) -> {
                    throw boom;
                }));
        assertSame(boom, single.getCause(), "work below the grain fails the same way");
    }

    @Test
    void nestedParallelForNeverDeadlocks() {
        for (ParallelExecutor executor : List.of(ONE, THREE)) {
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                AtomicLong total = new AtomicLong();
                executor.parallelFor(24, 1, (from, to) -> executor.parallelFor(300, 7,
                        (a, b) -> executor.parallelFor(b - a, 2, (c, d) -> total.addAndGet(d - c))));
                assertEquals(24L * 300, total.get());
            });
        }
    }

    @Test
    void manyCallersShareOneExecutor() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(6);
        try {
            List<Future<Long>> results = new ArrayList<>();
            for (int c = 0; c < 6; c++) {
                int grain = c + 1;
                results.add(callers.submit(() -> {
                    long sum = 0;
                    for (int round = 0; round < 300; round++) {
                        AtomicLong s = new AtomicLong();
                        THREE.parallelFor(97, grain, (from, to) -> {
                            long local = 0;
                            for (int i = from; i < to; i++) {
                                local += i;
                            }
                            s.addAndGet(local);
                        });
                        sum += s.get();
                    }
                    return sum;
                }));
            }
            for (Future<Long> r : results) {
                assertEquals(300L * (96 * 97 / 2), r.get(120, TimeUnit.SECONDS));
            }
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void closeEndsOwnThreadsButLeavesACallerPoolRunning() throws Exception {
        ParallelExecutor own = new ParallelExecutor(2);
        Set<Thread> workers = ConcurrentHashMap.newKeySet();
        own.parallelFor(64, 1, (from, to) -> {
            if (Thread.currentThread().getName().startsWith("ingot-worker-")) {
                workers.add(Thread.currentThread());
            }
        });
        assertEquals(2, own.parallelism());
        own.close();
        for (Thread worker : workers) {
            worker.join(30_000);
            assertFalse(worker.isAlive(), worker.getName());
        }
        assertThrows(IllegalStateException.class, () -> own.parallelFor(10, 1, (a, b) -> { }));

        ForkJoinPool pool = new ForkJoinPool(2);
        try {
            ParallelExecutor borrowed = new ParallelExecutor(pool);
            AtomicLong sum = new AtomicLong();
            borrowed.parallelFor(50, 3, (from, to) -> sum.addAndGet(to - from));
            borrowed.close();
            assertFalse(pool.isShutdown(), "a caller-owned pool stays the caller's");
            assertEquals(50, sum.get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void defaultThreadsComesFromThePropertyOrTheMachine() {
        String old = System.getProperty(ParallelExecutor.THREADS_PROPERTY);
        try {
            System.clearProperty(ParallelExecutor.THREADS_PROPERTY);
            assertEquals(Runtime.getRuntime().availableProcessors(), ParallelExecutor.defaultThreads());
            System.setProperty(ParallelExecutor.THREADS_PROPERTY, "3");
            assertEquals(3, ParallelExecutor.defaultThreads());
            System.setProperty(ParallelExecutor.THREADS_PROPERTY, "zero");
            assertThrows(IllegalArgumentException.class, ParallelExecutor::defaultThreads);
        } finally {
            if (old == null) {
                System.clearProperty(ParallelExecutor.THREADS_PROPERTY);
            } else {
                System.setProperty(ParallelExecutor.THREADS_PROPERTY, old);
            }
        }
    }
}
