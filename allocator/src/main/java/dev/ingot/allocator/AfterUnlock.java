package dev.ingot.allocator;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * Work that revoking chunks leaves behind: closing checked-mode chunk scopes (a thread handshake each) and telling
 * allocators built on a chunk that its memory is gone. Scopes must close before the memory behind them can be
 * reused or returned; notices must run once the allocator's lock is released, since the listeners take their own
 * locks and could otherwise deadlock with a child that is calling its parent.
 */
final class AfterUnlock {
    private final List<Arena> scopes = new ArrayList<>();
    private final List<Runnable> notices = new ArrayList<>();

    void closeLater(Arena scope) {
        if (scope != null) {
            scopes.add(scope);
        }
    }

    void notifyLater(Runnable notice) {
        if (notice != null) {
            notices.add(notice);
        }
    }

    /** Closes the collected scopes now (before the memory behind them goes back). */
    void closeScopes() {
        for (Arena scope : scopes) {
            scope.close();
        }
        scopes.clear();
    }

    /** Closes any scope left, then runs every notice, even when one fails; rethrows the first failure. */
    void run() {
        closeScopes();
        RuntimeException first = null;
        for (Runnable notice : notices) {
            try {
                notice.run();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        notices.clear();
        if (first != null) {
            throw first;
        }
    }
}
