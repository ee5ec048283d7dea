package dev.ingot.runtime.parallel;

/**
 * A {@link RangeTask} failed inside {@link ParallelExecutor#parallelFor}; the cause is the original exception.
 * The message names the range that failed first.
 */
public final class ParallelExecutionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int from;
    private final int to;

    public ParallelExecutionException(int from, int to, Throwable cause) {
        super("parallelFor body failed on range [" + from + ", " + to + "): " + cause, cause);
        this.from = from;
        this.to = to;
    }

    /** Start of the failed range (inclusive). */
    public int from() {
        return from;
    }

    /** End of the failed range (exclusive). */
    public int to() {
        return to;
    }
}
