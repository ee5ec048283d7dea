package dev.ingot.allocator;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Blocks wholly free for longer than the idle time go back to the source; a fake clock drives the policy. */
class IdleReturnTest {
    private static final long BLOCK = 64 * 1024;

    private static AllocatorOptions options(AtomicLong clock) {
        return AllocatorOptions.defaults().withMinBlockSize(BLOCK)
                .withIdleReturn(Duration.ofSeconds(10), false).withClock(clock::get);
    }

    @Test
    void aBlockFreeLongerThanTheIdleTimeGoesBackOnThePoolsOwnCalls() {
        AtomicLong clock = new AtomicLong();
        try (EagerBufferAllocator pool = new EagerBufferAllocator(SegmentSource.arena(), options(clock))) {
            MemoryChunk keep = pool.alloc(1000);                 // block 1 stays in use
            MemoryChunk big = pool.alloc(BLOCK);                 // block 2, exactly one chunk
            pool.free(big);                                      // block 2 wholly free at t = 0
            assertEquals(2 * BLOCK, pool.totalSize());

            clock.set(TimeUnit.SECONDS.toNanos(9));              // not idle long enough yet
            churn(pool, IdleBlocks.CHECK_EVERY);
            assertEquals(2 * BLOCK, pool.totalSize());

            clock.set(TimeUnit.SECONDS.toNanos(11));
            churn(pool, IdleBlocks.CHECK_EVERY);                 // the pool looks at the clock on its own calls
            assertEquals(BLOCK, pool.totalSize(), "the idle block went back; the one in use stayed");
            pool.checkInvariants();
            pool.free(keep);
        }
    }

    @Test
    void aBlockUsedAgainRestartsItsIdleTime() {
        AtomicLong clock = new AtomicLong();
        try (EagerBufferAllocator pool = new EagerBufferAllocator(SegmentSource.arena(), options(clock))) {
            pool.free(pool.alloc(BLOCK));                        // free since t = 0
            clock.set(TimeUnit.SECONDS.toNanos(8));
            pool.free(pool.alloc(BLOCK));                        // used again, free since t = 8 s
            clock.set(TimeUnit.SECONDS.toNanos(12));
            pool.trimIdle();
            assertEquals(BLOCK, pool.totalSize(), "free for 4 s only");
            clock.set(TimeUnit.SECONDS.toNanos(19));
            pool.trimIdle();
            assertEquals(0, pool.totalSize());
            pool.free(pool.alloc(BLOCK));                        // the pool refills as needed
            assertEquals(BLOCK, pool.totalSize());
        }
    }

    @Test
    void withoutAnIdleTimeNothingGoesBackByItself() {
        AtomicLong clock = new AtomicLong();
        try (EagerBufferAllocator pool = new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withMinBlockSize(BLOCK).withClock(clock::get))) {
            pool.free(pool.alloc(BLOCK));
            clock.set(Long.MAX_VALUE / 2);
            churn(pool, 4 * IdleBlocks.CHECK_EVERY);
            pool.trimIdle();
            assertEquals(BLOCK, pool.totalSize());
            pool.trim();
            assertEquals(0, pool.totalSize(), "trim() returns every wholly free block at once");
        }
    }

    @Test
    void aBackgroundThreadReturnsTheBlocksOfAQuietPool() throws InterruptedException {
        AtomicLong clock = new AtomicLong();
        try (EagerBufferAllocator pool = new EagerBufferAllocator(SegmentSource.arena(), AllocatorOptions.defaults()
                .withMinBlockSize(BLOCK).withIdleReturn(Duration.ofMillis(2), true).withClock(clock::get))) {
            pool.free(pool.alloc(BLOCK));
            clock.set(TimeUnit.SECONDS.toNanos(1));              // long idle by the fake clock; no more pool calls
            for (int i = 0; i < 10_000 && pool.totalSize() != 0; i++) {
                Thread.sleep(1);                                 // bounded wait for the thread's next round
            }
            assertEquals(0, pool.totalSize());
        }
    }

    @Test
    void badIdleTimesAreRejected() {
        AllocatorOptions base = AllocatorOptions.defaults();
        assertThrows(IllegalArgumentException.class, () -> base.withIdleReturn(Duration.ZERO, false));
        assertThrows(IllegalArgumentException.class, () -> base.withIdleReturn(null, false));
        assertThrows(IllegalArgumentException.class, () -> base.withClock(null));
    }

    /** Allocs and frees a small chunk in the block that stays in use (or a new one), {@code calls} calls in all. */
    private static void churn(EagerBufferAllocator pool, int calls) {
        for (int i = 0; i < calls / 2; i++) {
            pool.free(pool.alloc(64));
        }
    }
}
