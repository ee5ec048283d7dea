/**
 * Tensors, the CPU backend and its memory model (MNN's Backend, Execution, Pipeline), the work-stealing executor,
 * the expression layer and zero-copy interop.
 *
 * <p>Ops are found with {@link java.util.ServiceLoader}: a module {@code provides dev.ingot.runtime.OpProvider}
 * (one per op family: its creators, gradient rules and references together).
 */
module dev.ingot.runtime {
    requires transitive dev.ingot.allocator;
    requires jdk.jfr;
    requires jdk.management;

    exports dev.ingot.runtime;
    exports dev.ingot.runtime.io;
    exports dev.ingot.runtime.parallel;
    exports dev.ingot.runtime.express;
    exports dev.ingot.runtime.interop;

    uses dev.ingot.runtime.OpProvider;
    uses dev.ingot.runtime.OpCreator;
    uses dev.ingot.runtime.express.OpGrad;
    uses dev.ingot.runtime.express.ReferenceOp;
}
