package dev.ingot.ops.norm;

import dev.ingot.runtime.OpCreator;
import java.util.List;

/**
 * The {@link OpCreator}s of the normalization ops, beside their package-private executions; registered by the ops
 * module's normalization provider. The attributes, inputs and outputs of each op are described on its API class
 * ({@link InstanceNorm}).
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
                OpCreator.of(InstanceNorm.GRAD_OP_TYPE, InstanceNormGradExecution::new));
    }
}
