package dev.ingot.allocator;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The idle-return policy of an {@link EagerBufferAllocator}: blocks that became wholly free are remembered with the
 * time they did, and those still wholly free after the idle time go back to the source. The pool checks on its own
 * calls, reading the clock once every {@value #CHECK_EVERY} allocs and frees, so a busy pool pays nothing measurable
 * and a pool that goes quiet returns its memory on its next calls (or through {@code trimIdle()}, which a background
 * thread may call). Guarded by the allocator's lock.
 */
final class IdleBlocks {
    /** Allocs and frees between two looks at the clock; a power of two. */
    static final int CHECK_EVERY = 64;

    private final long idleNanos;
    private final LongSupplier clock;
    private final ArrayList<Block> candidates = new ArrayList<>();
    private int calls;

    IdleBlocks(long idleNanos, LongSupplier clock) {
        this.idleNanos = idleNanos;
        this.clock = clock;
    }

    boolean enabled() {
        return idleNanos != Long.MAX_VALUE;
    }

    /** The block is now wholly free in the shared list: its idle time starts now. */
    void becameFree(Block block) {
        if (!enabled()) {
            return;
        }
        block.freeSince = clock.getAsLong();
        if (!block.idleCandidate) {
            block.idleCandidate = true;
            candidates.add(block);
        }
    }

    /** Counts a call; true once every {@link #CHECK_EVERY} calls when the policy is on. */
    boolean due() {
        return enabled() && (++calls & (CHECK_EVERY - 1)) == 0;
    }

    /** A block that {@link #collect} may return: still wholly free in the shared list, not pinned, not returned. */
    interface Returner {
        /** True when the block is still wholly free and may go back. */
        boolean isIdle(Block block);

        /** Gives the block back to the source. */
        void giveBack(Block block);
    }

    /** Returns every candidate wholly free for at least the idle time; forgets candidates that are in use again. */
    void collect(Returner returner) {
        if (!enabled() || candidates.isEmpty()) {
            return;
        }
        long now = clock.getAsLong();
        for (int i = candidates.size() - 1; i >= 0; i--) {
            Block block = candidates.get(i);
            boolean idle = !block.returned && returner.isIdle(block);
            if (idle && now - block.freeSince < idleNanos) {
                continue; // free, but not for long enough yet
            }
            Block last = candidates.removeLast();
            if (i < candidates.size()) {
                candidates.set(i, last);
            }
            block.idleCandidate = false;
            if (idle) {
                returner.giveBack(block);
            }
        }
    }

    /** Forgets every candidate (the blocks are going away). */
    void clear() {
        for (Block block : candidates) {
            block.idleCandidate = false;
        }
        candidates.clear();
    }

    /** One daemon thread for every pool that asked for background idle checks, made on first use. */
    private static final class Background {
        static final ScheduledExecutorService SCHEDULER = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "ingot-allocator-idle-return");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Runs {@code check} on {@code pool} every {@code periodNanos} from the background thread, holding the pool only
     * weakly (a pool dropped without close does not stay reachable through the task). Cancel the result at close.
     */
    static <T> ScheduledFuture<?> scheduleChecks(T pool, Consumer<T> check, long periodNanos) {
        WeakReference<T> ref = new WeakReference<>(pool);
        ScheduledFuture<?>[] self = new ScheduledFuture<?>[1];
        Runnable task = () -> {
            T target = ref.get();
            if (target == null) {
                self[0].cancel(false);
                return;
            }
            check.accept(target);
        };
        long period = Math.max(periodNanos, TimeUnit.MILLISECONDS.toNanos(1));
        self[0] = Background.SCHEDULER.scheduleAtFixedRate(task, period, period, TimeUnit.NANOSECONDS);
        return self[0];
    }
}
