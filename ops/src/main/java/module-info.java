/**
 * The CPU op set: InstanceNorm, InstanceNormGrad and the ops training needs, registered through ServiceLoader.
 *
 * <p>{@code dev.ingot.ops.norm} is the API (op type names, attribute convention, a direct Java API, the creators);
 * the executions and the kernels (scalar and Vector API) stay internal. The Vector API module is optional: its
 * kernels are used when the JVM runs with {@code --add-modules jdk.incubator.vector}.
 */
module dev.ingot.ops {
    requires transitive dev.ingot.runtime;
    requires static jdk.incubator.vector;

    exports dev.ingot.ops.norm;

    provides dev.ingot.runtime.OpCreator with
            dev.ingot.ops.norm.InstanceNormCreator,
            dev.ingot.ops.norm.InstanceNormGradCreator;
}
