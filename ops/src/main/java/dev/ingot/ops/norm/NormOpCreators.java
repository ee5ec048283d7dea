package dev.ingot.ops.norm;

import dev.ingot.runtime.OpCreator;
import java.util.List;

/**
 * The {@link OpCreator}s of the normalization ops, beside their package-private executions; registered by the ops
 * module's normalization provider. The attributes, inputs and outputs of each op are described on its API class
 * ({@link InstanceNorm}, {@link GroupNorm}, {@link LayerNorm}, {@link RmsNorm},
 * {@link BatchNorm}).
 */
public final class NormOpCreators {
    private NormOpCreators() {
    }

    /**
     * The creators of every normalization op.
     *
     * @return one stateless, thread-safe creator per op type
     */
    public static List<OpCreator> all() {
        return List.of(
                OpCreator.of(InstanceNorm.OP_TYPE, InstanceNormExecution::new),
                OpCreator.of(InstanceNorm.GRAD_OP_TYPE, InstanceNormGradExecution::new),
                rows(RowNormKind.GROUP), grads(RowNormKind.GROUP),
                rows(RowNormKind.LAYER), grads(RowNormKind.LAYER),
                rows(RowNormKind.RMS), grads(RowNormKind.RMS),
                rows(RowNormKind.BATCH), grads(RowNormKind.BATCH));
    }

    private static OpCreator rows(RowNormKind kind) {
        return OpCreator.of(kind.op, (attributes, backend) -> new RowNormExecution(kind, attributes, backend));
    }

    private static OpCreator grads(RowNormKind kind) {
        return OpCreator.of(kind.gradOp, (attributes, backend) -> new RowNormGradExecution(kind, attributes,
                backend));
    }
}
