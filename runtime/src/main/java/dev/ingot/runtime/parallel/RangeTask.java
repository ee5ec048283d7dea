package dev.ingot.runtime.parallel;

/**
 * A body for {@link ParallelExecutor#parallelFor}: processes the indices {@code [from, to)}. It may be called from
 * several threads at once, each time with a different range.
 */
@FunctionalInterface
public interface RangeTask {
    /**
     * Does the work of one range.
     *
     * @param from start of the range (inclusive)
     * @param to   end of the range (exclusive)
     */
    void run(int from, int to);
}
