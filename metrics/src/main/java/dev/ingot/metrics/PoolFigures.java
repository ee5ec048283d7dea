package dev.ingot.metrics;

/**
 * What a pool of pipelines (or any bounded pool of workers) reports for metrics. Implementations read counters
 * that other threads update, so every method must be safe to call from any thread at any time and must not block.
 */
public interface PoolFigures {

    /**
     * Acquisitions that succeeded since the pool was created.
     *
     * @return a count that never decreases
     */
    long acquisitions();

    /**
     * Acquisitions that found no free member and had to wait, since the pool was created.
     *
     * @return a count that never decreases
     */
    long waits();

    /**
     * Acquisitions that gave up after waiting their whole timeout, since the pool was created.
     *
     * @return a count that never decreases
     */
    long timeouts();

    /**
     * Members handed out now.
     *
     * @return a number between 0 and the pool's capacity
     */
    int inUse();

    /**
     * Callers waiting for a member now.
     *
     * @return a number, 0 or more
     */
    int waiting();
}
