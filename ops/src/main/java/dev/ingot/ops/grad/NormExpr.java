package dev.ingot.ops.grad;

import dev.ingot.ops.norm.BatchNorm;
import dev.ingot.ops.norm.GroupNorm;
import dev.ingot.ops.norm.InstanceNorm;
import dev.ingot.ops.norm.LayerNorm;
import dev.ingot.ops.norm.RmsNorm;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.express.Expr;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds GroupNorm, LayerNorm, RMSNorm and BatchNorm expressions (conventions on the op's API class). Each returns
 * y (output 0); the statistics are the node's further outputs. Bad shapes or attributes throw
 * {@link IllegalArgumentException} naming the op. Stateless.
 */
public final class NormExpr {
    private NormExpr() {
    }

    private static Expr op(String type, Attributes attributes, Expr x, Expr... optional) {
        List<Expr> inputs = new ArrayList<>();
        inputs.add(x);
        for (Expr e : optional) {
            if (e != null) {
                inputs.add(e);
            }
        }
        return x.graph().op(type, attributes, inputs.toArray(new Expr[0]));
    }

    /**
     * GroupNorm; {@code y.output(1)} is the mean [N, G], {@code y.output(2)} the invstd [N, G].
     *
     * @param x      [N, C, *]
     * @param groups G, dividing C
     * @param gamma  [C] or null
     * @param beta   [C] or null
     * @param eps    added to the variance
     * @return y
     */
    public static Expr groupNorm(Expr x, int groups, Expr gamma, Expr beta, double eps) {
        return op(GroupNorm.OP_TYPE, Attributes.of(GroupNorm.GROUPS, groups, InstanceNorm.EPS, eps,
                InstanceNorm.GAMMA, gamma != null, InstanceNorm.BETA, beta != null), x, gamma, beta);
    }

    /**
     * LayerNorm over the dimensions from {@code axis} on; outputs 1 and 2 are the mean and invstd.
     *
     * @param x     any rank
     * @param axis  first normalized dimension (negative counts from the end)
     * @param gamma of the normalized shape, or null
     * @param beta  of the normalized shape, or null
     * @param eps   added to the variance
     * @return y
     */
    public static Expr layerNorm(Expr x, int axis, Expr gamma, Expr beta, double eps) {
        return op(LayerNorm.OP_TYPE, Attributes.of(LayerNorm.AXIS, axis, InstanceNorm.EPS, eps,
                InstanceNorm.GAMMA, gamma != null, InstanceNorm.BETA, beta != null), x, gamma, beta);
    }

    /**
     * RMSNorm over the dimensions from {@code axis} on; output 1 is the invrms.
     *
     * @param x     any rank
     * @param axis  first normalized dimension
     * @param gamma of the normalized shape, or null
     * @param eps   added to the mean square
     * @return y
     */
    public static Expr rmsNorm(Expr x, int axis, Expr gamma, double eps) {
        return op(RmsNorm.OP_TYPE, Attributes.of(LayerNorm.AXIS, axis, InstanceNorm.EPS, eps,
                InstanceNorm.GAMMA, gamma != null), x, gamma);
    }

    /**
     * BatchNorm in training mode (batch statistics; outputs 1 and 2 are the mean and invstd [C]; with running
     * statistics, outputs 3 and 4 are their updates).
     *
     * @param x           [N, C, *]
     * @param gamma       [C] or null
     * @param beta        [C] or null
     * @param runningMean [C] or null (then runningVar is null too)
     * @param runningVar  [C] or null
     * @param momentum    weight of the batch statistics in the update
     * @param eps         added to the variance
     * @return y
     */
    public static Expr batchNormTraining(Expr x, Expr gamma, Expr beta, Expr runningMean, Expr runningVar,
                                         double momentum, double eps) {
        return op(BatchNorm.OP_TYPE, Attributes.of(BatchNorm.TRAINING, true, BatchNorm.MOMENTUM, momentum,
                InstanceNorm.EPS, eps, InstanceNorm.GAMMA, gamma != null, InstanceNorm.BETA, beta != null,
                BatchNorm.RUNNING_STATS, runningMean != null), x, gamma, beta, runningMean, runningVar);
    }

    /**
     * BatchNorm in inference mode (running statistics).
     *
     * @param x           [N, C, *]
     * @param gamma       [C] or null
     * @param beta        [C] or null
     * @param runningMean [C]
     * @param runningVar  [C]
     * @param eps         added to the variance
     * @return y
     */
    public static Expr batchNormInference(Expr x, Expr gamma, Expr beta, Expr runningMean, Expr runningVar,
                                          double eps) {
        return op(BatchNorm.OP_TYPE, Attributes.of(BatchNorm.TRAINING, false, InstanceNorm.EPS, eps,
                InstanceNorm.GAMMA, gamma != null, InstanceNorm.BETA, beta != null), x, gamma, beta, runningMean,
                runningVar);
    }
}
