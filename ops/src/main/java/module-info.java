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
    // reads HotSpot's UseFMA flag, to fuse multiply-adds only where the CPU has them
    requires jdk.management;

    exports dev.ingot.ops;
    exports dev.ingot.ops.norm;
    exports dev.ingot.ops.math;
    exports dev.ingot.ops.grad;

    provides dev.ingot.runtime.OpCreator with
            dev.ingot.ops.norm.InstanceNormCreator,
            dev.ingot.ops.norm.InstanceNormGradCreator,
            dev.ingot.ops.math.MathOpCreators.Add,
            dev.ingot.ops.math.MathOpCreators.Sub,
            dev.ingot.ops.math.MathOpCreators.Mul,
            dev.ingot.ops.math.MathOpCreators.Square,
            dev.ingot.ops.math.MathOpCreators.MulScalar,
            dev.ingot.ops.math.MathOpCreators.Sum,
            dev.ingot.ops.math.MathOpCreators.Mean,
            dev.ingot.ops.math.MathOpCreators.BroadcastTo,
            dev.ingot.ops.math.MathOpCreators.MseLoss,
            dev.ingot.ops.math.MathOpCreators.MseLossGrad,
            dev.ingot.ops.math.MathOpCreators.Sgd;
    provides dev.ingot.runtime.express.OpGrad with
            dev.ingot.ops.grad.InstanceNormRule,
            dev.ingot.ops.grad.MathGrads.Add,
            dev.ingot.ops.grad.MathGrads.Sub,
            dev.ingot.ops.grad.MathGrads.Mul,
            dev.ingot.ops.grad.MathGrads.Square,
            dev.ingot.ops.grad.MathGrads.MulScalar,
            dev.ingot.ops.grad.MathGrads.Sum,
            dev.ingot.ops.grad.MathGrads.Mean,
            dev.ingot.ops.grad.MathGrads.BroadcastTo,
            dev.ingot.ops.grad.MathGrads.MseLoss;
    provides dev.ingot.runtime.express.ReferenceOp with
            dev.ingot.ops.grad.InstanceNormReference,
            dev.ingot.ops.grad.MathReferences.Add,
            dev.ingot.ops.grad.MathReferences.Sub,
            dev.ingot.ops.grad.MathReferences.Mul,
            dev.ingot.ops.grad.MathReferences.Square,
            dev.ingot.ops.grad.MathReferences.MulScalar,
            dev.ingot.ops.grad.MathReferences.Sum,
            dev.ingot.ops.grad.MathReferences.Mean,
            dev.ingot.ops.grad.MathReferences.BroadcastTo,
            dev.ingot.ops.grad.MathReferences.MseLoss;
}
