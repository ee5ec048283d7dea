/**
 * The CPU op set: InstanceNorm, InstanceNormGrad and the ops training needs, registered through ServiceLoader.
 *
 * <p>{@code dev.ingot.ops.norm} is the API (op type names, attribute convention, a direct Java API, the creators);
 * the executions (package-private beside their creators), the shared checks and slots ({@code dev.ingot.ops.internal})
 * and the kernels (scalar and Vector API) stay internal. Each op family registers once, through one
 * {@link dev.ingot.runtime.OpProvider}; {@link dev.ingot.ops.KernelInfo} says which kernels run. The Vector API module is optional: its
 * kernels are used when the JVM runs with {@code --add-modules jdk.incubator.vector}.
 */
module dev.ingot.ops {
    requires transitive dev.ingot.runtime;
    requires static jdk.incubator.vector;
    // reads HotSpot's UseFMA flag, to fuse multiply-adds only where the CPU has them
    requires jdk.management;

    exports dev.ingot.ops;
    exports dev.ingot.ops.norm;
    exports dev.ingot.ops.math;
    exports dev.ingot.ops.grad;

    // one provider per op family: its creators, gradient rules and references together
    provides dev.ingot.runtime.OpProvider with
            dev.ingot.ops.NormOpProvider,
            dev.ingot.ops.MathOpProvider;
}
