package dev.ingot.runtime.parallel;

/**
 * A body for {@link ParallelExecutor#parallelFor}: processes the indices {@code [from, to)}. It may be called from
 * several threads at once, each time with a different range.
 */
@FunctionalInterface
public interface RangeTask {
    void run(int from, int to);
}
