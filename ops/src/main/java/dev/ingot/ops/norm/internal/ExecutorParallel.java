package dev.ingot.ops.norm.internal;

import dev.ingot.ops.norm.kernel.Parallel;
import dev.ingot.runtime.parallel.ParallelExecutor;
import dev.ingot.runtime.parallel.RangeTask;

/**
 * Adapts the backend's {@link ParallelExecutor} to the kernels' {@link Parallel} without allocating per call: the
 * adapter is itself the {@link RangeTask} and forwards to the task of the call in progress. One per execution; not
 * for concurrent calls (an execution is used by one thread at a time).
 */
final class ExecutorParallel implements Parallel, RangeTask {
    private final ParallelExecutor executor;
    private Parallel.Task current;

    ExecutorParallel(ParallelExecutor executor) {
        this.executor = executor;
    }

    @Override
    public void forRange(int count, int grain, Task task) {
        current = task; // published to the workers by the executor's hand-off
        try {
            executor.parallelFor(count, grain, this);
        } finally {
            current = null;
        }
    }

    @Override
    public void run(int from, int to) {
        current.run(from, to);
    }
}
