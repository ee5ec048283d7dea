package dev.ingot.runtime;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Four threads open views, read them, close views (their own or another thread's) and the creator's hold in
 * random orders: the release runs exactly once, only when nothing holds the memory, and nothing reads freed bytes.
 */
class ForeignMemoryPropertiesTest {

    private static final int THREADS = 4;
    private static final int FLOATS = 16;
    private static final ExecutorService POOL = Executors.newFixedThreadPool(THREADS);

    @AfterContainer
    static void stopPool() {
        POOL.shutdownNow();
    }

    enum Action { OPEN_VIEW, READ, CLOSE_VIEW, CLOSE_CREATOR, HOLD_AND_DROP }

    @Provide
    Arbitrary<List<List<Action>>> scripts() {
        return Arbitraries.of(Action.class).list().ofMinSize(0).ofMaxSize(30).list().ofSize(THREADS);
    }

    @Property(tries = 60)
    void releaseRunsOnceAfterTheLastHolderUnderAnyInterleaving(@ForAll("scripts") List<List<Action>> scripts)
            throws Exception {
        ForeignMemoryTest.Block block = new ForeignMemoryTest.Block(FLOATS * 4L);
        for (int i = 0; i < FLOATS; i++) {
            block.segment.setAtIndex(ValueLayout.JAVA_FLOAT, i, i);
        }
        AtomicInteger openViews = new AtomicInteger();
        AtomicBoolean creatorOpen = new AtomicBoolean(true);
        AtomicInteger releasedWhileHeld = new AtomicInteger();
        ForeignMemory memory = ForeignMemory.of(block.segment, () -> {
            if (openViews.get() != 0 || creatorOpen.get()) {
                releasedWhileHeld.incrementAndGet();
            }
            block.free();
        });
        ConcurrentLinkedQueue<Tensor> views = new ConcurrentLinkedQueue<>();
        AtomicInteger wrongReads = new AtomicInteger();
        CyclicBarrier start = new CyclicBarrier(THREADS);
        List<Future<?>> runs = new ArrayList<>();
        for (List<Action> script : scripts) {
            runs.add(POOL.submit(() -> {
                start.await(10, TimeUnit.SECONDS);
                for (Action action : script) {
                    switch (action) {
                        case OPEN_VIEW -> {
                            // Counted once open and before anyone can close it: an open view holds the
                            // memory, so the release cannot run in between.
                            try {
                                Tensor view = memory.tensor(4, TensorType.float32(FLOATS - 1));
                                openViews.incrementAndGet();
                                views.add(view);
                            } catch (IllegalStateException released) {
                                // allowed only once nothing held the memory
                            }
                        }
                        case READ -> {
                            Tensor view = views.poll();
                            if (view != null) {
                                float[] values = view.toFloatArray(); // open view: must read, must be right
                                for (int i = 0; i < values.length; i++) {
                                    if (values[i] != i + 1) {
                                        wrongReads.incrementAndGet();
                                    }
                                }
                                views.add(view);
                            }
                        }
                        case CLOSE_VIEW -> {
                            Tensor view = views.poll();
                            if (view != null) {
                                MemorySegment kept = view.segment();
                                openViews.decrementAndGet();
                                view.close();
                                view.close();
                                if (memory.isReleased()) {
                                    assertThrows(IllegalStateException.class,
                                            () -> kept.get(ValueLayout.JAVA_FLOAT, 0));
                                }
                            }
                        }
                        case CLOSE_CREATOR -> {
                            if (creatorOpen.compareAndSet(true, false)) {
                                memory.close();
                            }
                        }
                        case HOLD_AND_DROP -> {
                            try {
                                ForeignMemory.Hold hold = memory.hold();
                                openViews.incrementAndGet();
                                assertTrue(hold.memory() == memory);
                                openViews.decrementAndGet();
                                hold.close();
                            } catch (IllegalStateException released) {
                                // nothing held it any more
                            }
                        }
                    }
                }
                return null;
            }));
        }
        for (Future<?> run : runs) {
            run.get(30, TimeUnit.SECONDS);
        }
        boolean anythingLeft = !views.isEmpty() || creatorOpen.get();
        assertEquals(anythingLeft ? 0 : 1, block.releases.get(), "released only when nothing holds it");
        for (Tensor view; (view = views.poll()) != null; ) {
            openViews.decrementAndGet();
            view.close();
        }
        if (creatorOpen.compareAndSet(true, false)) {
            memory.close();
        }
        assertEquals(1, block.releases.get(), "released exactly once");
        assertEquals(0, releasedWhileHeld.get(), "never released while held");
        assertEquals(0, wrongReads.get());
        assertThrows(IllegalStateException.class, () -> memory.tensor(TensorType.float32(1)));
    }
}
