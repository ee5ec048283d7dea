package dev.ingot.allocator;

import java.util.ArrayList;
import java.util.List;

/**
 * Work collected under an allocator's lock and run once the lock is released: closing checked-mode chunk scopes
 * (a thread handshake each) and telling allocators built on a chunk that its memory is gone (they take their own
 * locks, so running them under ours could deadlock).
 */
final class AfterUnlock {
    private final List<Runnable> tasks = new ArrayList<>();

    void add(Runnable task) {
        if (task != null) {
            tasks.add(task);
        }
    }

    /** Runs every task, even when one fails; rethrows the first failure. */
    void run() {
        RuntimeException first = null;
        for (Runnable task : tasks) {
            try {
                task.run();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        tasks.clear();
        if (first != null) {
            throw first;
        }
    }
}
