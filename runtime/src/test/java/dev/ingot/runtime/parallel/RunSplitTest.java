package dev.ingot.runtime.parallel;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-run split of the cores: the rule, and the admission honouring each run's choice. */
class RunSplitTest {

    @Test
    void aWorkingSetThatFitsL2RunsOnOneThreadWhileBusyALargerOneOnAllCores() {
        long l2 = 2L << 20;
        assertEquals(1, RunSplit.threadsWhenBusy(0, 4, l2));
        assertEquals(1, RunSplit.threadsWhenBusy(l2, 4, l2));
        assertEquals(4, RunSplit.threadsWhenBusy(l2 + 1, 4, l2));
        assertEquals(1, RunSplit.threadsWhenBusy(l2 + 1, 1, l2), "one core: one thread either way");
        assertTrue(RunSplit.l2Bytes() > 0);
        assertThrows(IllegalArgumentException.class, () -> RunSplit.threadsWhenBusy(-1, 2, l2));
        assertThrows(IllegalArgumentException.class, () -> RunSplit.threadsWhenBusy(1, 0, l2));
    }

    @Test
    void runsThatAskForAllCoresWhileBusyTakeTurnsAndSmallOnesRunSideBySide() throws Exception {
        try (ParallelExecutor executor = new ParallelExecutor(2)) {
            RunAdmission admission = executor.admission();
            assertTrue(admission.splitPerRun());
            assertEquals(List.of(1, 1), twoQueuedRuns(admission, 1), "small: one core each, side by side");
            assertEquals(List.of(2, 2), twoQueuedRuns(admission, 2), "large: both cores each, in turn");
        }
    }

    /**
     * Queues two runs asking for {@code whenBusy} behind a run holding every core, frees it, and returns what the
     * two were granted, in order; checks that runs of one thread each were in at once and runs of two in turn.
     */
    private static List<Integer> twoQueuedRuns(RunAdmission admission, int whenBusy) throws Exception {
        assertEquals(2, admission.enter(2, whenBusy), "alone: every core");
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger inAtOnce = new AtomicInteger();
        AtomicInteger inMax = new AtomicInteger();
        List<Integer> granted = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                int got = admission.enter(2, whenBusy);
                synchronized (granted) {
                    granted.add(got);
                }
                inMax.accumulateAndGet(inAtOnce.incrementAndGet(), Math::max);
                if (whenBusy == 1) {
                    await(release); // both are in: held until the test saw it
                }
                inAtOnce.decrementAndGet();
                admission.exit();
            }));
            int queued = i + 1;
            Await.until(() -> admission.stats().waiting() == queued, "run " + queued + " queued");
        }
        admission.exit();
        if (whenBusy == 1) {
            Await.until(() -> inAtOnce.get() == 2, "both small runs in at once");
            release.countDown();
        }
        for (Thread t : threads) {
            t.join(60_000);
        }
        assertEquals(whenBusy == 1 ? 2 : 1, inMax.get());
        return granted;
    }

    @Test
    void aFixedSplitIgnoresTheRunsChoice() throws Exception {
        try (ParallelExecutor executor = ParallelExecutor.withThreadsWhenBusy(2, 1)) {
            RunAdmission admission = executor.admission();
            assertFalse(admission.splitPerRun());
            CountDownLatch hold = new CountDownLatch(1);
            CountDownLatch in = new CountDownLatch(1);
            Thread first = Thread.ofPlatform().start(() -> {
                admission.enter(2, 2);
                in.countDown();
                await(hold);
                admission.exit();
            });
            await(in);
            AtomicInteger second = new AtomicInteger();
            Thread other = Thread.ofPlatform().start(() -> {
                second.set(admission.enter(2, 2));
                admission.exit();
            });
            Await.until(() -> admission.stats().waiting() == 1, "the second run waits: the first has both cores");
            hold.countDown();
            first.join(60_000);
            other.join(60_000);
            assertEquals(2, second.get());
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(60, TimeUnit.SECONDS), "latch");
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
