package dev.ingot.runtime;

import java.util.Map;

/**
 * A {@link PipelinePool}'s figures at one moment, for metrics.
 *
 * @param acquires  leases handed out since creation
 * @param waits     acquires that had to wait for a pipeline to be given back
 * @param timeouts  acquires that ended in {@link PipelinePoolTimeoutException}
 * @param planned   pipelines planned since creation
 * @param evicted   pipelines closed since creation to make room (idle shapes, other shapes, memory limits)
 * @param leased    pipelines leased now
 * @param perShape  pipelines planned now, by input shape (leased and idle)
 */
public record PipelinePoolStats(long acquires, long waits, long timeouts, long planned, long evicted, int leased,
                                Map<Shape, Integer> perShape) {

    /**
     * Copies the map.
     *
     * @param acquires leases handed out since creation
     * @param waits    acquires that waited
     * @param timeouts acquires that timed out
     * @param planned  pipelines planned since creation
     * @param evicted  pipelines evicted since creation
     * @param leased   pipelines leased now
     * @param perShape pipelines now, by input shape
     */
    public PipelinePoolStats {
        perShape = Map.copyOf(perShape);
    }

    /**
     * Pipelines planned now, all shapes together.
     *
     * @return the sum of {@link #perShape()}
     */
    public int pipelines() {
        return perShape.values().stream().mapToInt(Integer::intValue).sum();
    }
}
