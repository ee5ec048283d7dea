package dev.ingot.allocator;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Closes the scopes of full, wholly freed {@link ScopeBatch}es on one daemon thread shared by every allocator, so
 * that the free that empties a batch does not wait for the close's thread handshake (tens of microseconds on a
 * busy machine): it only queues the batch. The batch's memory stays quarantined until the close is done; an
 * allocator that needs it sooner ({@code flushChecks()}, a limit refusal, {@code close()}) closes the batch itself,
 * which is idempotent and waits for a close in flight.
 */
final class BatchCloser {
    private BatchCloser() {
    }

    /** The thread, made on first use. */
    private static final class Worker {
        static final ExecutorService EXECUTOR = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "ingot-allocator-scope-close");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Runs {@code close} (a batch's close and the release of its quarantine) on the closing thread. */
    static void submit(Runnable close) {
        Worker.EXECUTOR.execute(close);
    }

    /** Waits until every close queued so far is done (for tests: the thread runs its tasks in order). */
    static void awaitQueued() throws Exception {
        Worker.EXECUTOR.submit(() -> { }).get();
    }
}
