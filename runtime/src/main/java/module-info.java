/**
 * Tensors, the CPU backend and its memory model (MNN's Backend, Execution, Pipeline), the work-stealing executor,
 * the expression layer and zero-copy interop.
 */
module dev.ingot.runtime {
    requires transitive dev.ingot.allocator;

    exports dev.ingot.runtime;
}
