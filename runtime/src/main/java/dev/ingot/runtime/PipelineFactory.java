package dev.ingot.runtime;

/**
 * Builds the pipeline of one graph planned for one input shape: how a {@link PipelinePool} makes its pipelines
 * (MNN: the Interpreter, from which each Session is created). Called by the pool, outside its lock, possibly from
 * several threads at once: an implementation must be thread-safe (usually it only declares ops on the builder).
 */
@FunctionalInterface
public interface PipelineFactory {

    /**
     * Builds (and so plans) a pipeline on {@code backend} for inputs of {@code inputShape}.
     *
     * @param backend    the pool's backend
     * @param inputShape the shape the caller asked for; the factory decides how the pipeline's inputs derive
     *                   from it (all of that shape, typically)
     * @return a new pipeline, which the pool owns and closes
     * @throws IllegalArgumentException when the graph refuses the shape
     */
    Pipeline build(CpuBackend backend, Shape inputShape);
}
