package dev.ingot.runtime.parallel;

/**
 * A {@link RangeTask} failed inside {@link ParallelExecutor#parallelFor}; the cause is the original exception.
 * The message names the range that failed first.
 */
public final class ParallelExecutionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Start of the failed range (inclusive). */
    private final int from;
    /** End of the failed range (exclusive). */
    private final int to;

    /**
     * The failure of one range of a {@code parallelFor}.
     *
     * @param from  start of the failed range (inclusive)
     * @param to    end of the failed range (exclusive)
     * @param cause what the body threw
     */
    public ParallelExecutionException(int from, int to, Throwable cause) {
        super("parallelFor body failed on range [" + from + ", " + to + "): " + cause, cause);
        this.from = from;
        this.to = to;
    }

    /**
     * Start of the failed range (inclusive).
     *
     * @return the start of the range
     */
    public int from() {
        return from;
    }

    /**
     * End of the failed range (exclusive).
     *
     * @return the end of the range
     */
    public int to() {
        return to;
    }
}
