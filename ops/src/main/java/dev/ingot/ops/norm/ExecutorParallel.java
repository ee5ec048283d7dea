package dev.ingot.ops.norm;

import dev.ingot.ops.norm.kernel.Parallel;
import dev.ingot.runtime.parallel.ParallelExecutor;
import dev.ingot.runtime.parallel.RangeTask;

/**
 * Adapts the backend's {@link ParallelExecutor} to the kernels' {@link Parallel} without allocating per call: the
 * adapter is itself the {@link RangeTask} and forwards to the task of the call in progress. One per execution; not
 * for concurrent calls (an execution is used by one thread at a time).
 *
 * <p>The executor's thread count is taken as the number of threads that work on a call, the calling thread
 * included (MNN's thread number): the range is cut into at most that many pieces. The executor would otherwise
 * add up to that many pool workers to the caller, one thread more than asked for. Equal pieces suit these
 * kernels, whose work per index is uniform; the outputs do not depend on the cut.
 */
final class ExecutorParallel implements Parallel, RangeTask {
    private final ParallelExecutor executor;
    private final int threads;
    private Parallel.Task current;

    ExecutorParallel(ParallelExecutor executor) {
        this.executor = executor;
        this.threads = Math.max(1, executor.parallelism());
    }

    @Override
    public void forRange(int count, int grain, Task task) {
        int perThread = count / threads + (count % threads == 0 ? 0 : 1);
        current = task; // published to the workers by the executor's hand-off
        try {
            executor.parallelFor(count, Math.max(grain, perThread), this);
        } finally {
            current = null;
        }
    }

    @Override
    public void run(int from, int to) {
        current.run(from, to);
    }
}
