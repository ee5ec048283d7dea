package dev.ingot.runtime;

import java.util.List;

/**
 * One op instance over tensors, as MNN's {@code Execution}: created by an {@link OpCreator} for a
 * {@link CpuBackend}, planned by {@link #onResize} whenever shapes change, run by {@link #onExecute} as often as
 * needed.
 *
 * <p>Contract (what {@link Pipeline} relies on):
 * <ul>
 *   <li>{@link #outputTypes} is pure: output types for given input types, or an {@link IllegalArgumentException}
 *       that names the op, the bad input and the expected shape.</li>
 *   <li>{@link #onResize} runs with the tensors' types final but their segments not yet bound (DYNAMIC memory is
 *       placed when the resize ends). It validates, and acquires scratch from the backend: acquire DYNAMIC and
 *       release it before returning, as MNN does — the memory stays this op's during {@link #onExecute}, because
 *       ops later in the pipeline run after it. It must not cache segments.</li>
 *   <li>{@link #onExecute} computes. It reads {@link Tensor#segment()} and allocates nothing, on or off the heap.
 *       It may use the backend's {@link CpuBackend#executor() executor}: take the segments on the calling thread
 *       (which holds the pipeline) and hand them to the workers, since a pipeline's tensors refuse
 *       {@link Tensor#segment()} to threads that do not hold it.</li>
 * </ul>
 * An execution is used by one thread at a time; it is not required to be thread-safe.
 */
public interface Execution {

    /**
     * Output types for these input types; IAE naming op, input and expected shape on bad input.
     *
     * @param inputs the op's inputs, in order
     * @return one type per output
     */
    List<TensorType> outputTypes(List<TensorType> inputs);

    /**
     * Validates, acquires scratch through the backend (acquire DYNAMIC, and release it at the end of onResize, as
     * MNN: the memory stays valid for this op's onExecute). Must not cache segments: they are bound after resize
     * ends.
     *
     * @param inputs the op's inputs, in order
     * @param outputs the op's outputs, in order
     */
    void onResize(List<Tensor> inputs, List<Tensor> outputs);

    /**
     * Computes; allocates nothing on or off heap. Reads tensor.segment() here.
     *
     * @param inputs the op's inputs, in order
     * @param outputs the op's outputs, in order
     */
    void onExecute(List<Tensor> inputs, List<Tensor> outputs);

    /**
     * A short name for messages and plans; by default the class's simple name.
     *
     * @return the name
     */
    default String name() {
        return getClass().getSimpleName();
    }
}
