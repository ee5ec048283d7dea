package dev.ingot.ops.norm.testing;

import dev.ingot.ops.norm.kernel.Parallel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A test {@link Parallel} that cuts every range into pieces of a fixed size (ignoring the grain) and runs them on a
 * pool of the given number of threads, to check that results do not depend on threads or splits.
 */
public final class ThreadedParallel implements Parallel, AutoCloseable {
    private final ExecutorService pool;
    private final int piece;

    public ThreadedParallel(int threads, int piece) {
        this.pool = Executors.newFixedThreadPool(threads);
        this.piece = piece;
    }

    @Override
    public void forRange(int count, int grain, Task task) {
        List<Future<?>> futures = new ArrayList<>();
        for (int from = 0; from < count; from += piece) {
            int start = from;
            int end = Math.min(count, from + piece);
            futures.add(pool.submit(() -> task.run(start, end)));
        }
        try {
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS); // hang guard only
            }
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError("parallel piece failed", e);
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
