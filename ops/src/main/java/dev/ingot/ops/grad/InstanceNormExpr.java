package dev.ingot.ops.grad;

import dev.ingot.ops.norm.InstanceNorm;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.express.Expr;
import java.util.ArrayList;
import java.util.List;

/** Builds {@value InstanceNorm#OP_TYPE} expressions; conventions as documented on {@link InstanceNorm}. */
public final class InstanceNormExpr {
    private InstanceNormExpr() {
    }

    /**
     * An InstanceNorm node; returns y (output 0). {@code y.output(1)} is the mean [N, C], {@code y.output(2)} the
     * invstd [N, C].
     *
     * @param gamma per-channel scale [C], or null for 1
     * @param beta  per-channel shift [C], or null for 0
     * @param x the input, [N, C, ...] of rank 3 to 5
     * @param eps added to the variance, finite and positive
     * @return y, output 0 of the node
     * @throws IllegalArgumentException for bad shapes or eps, naming the op and the shapes
     */
    public static Expr of(Expr x, Expr gamma, Expr beta, double eps) {
        List<Expr> inputs = new ArrayList<>(3);
        inputs.add(x);
        if (gamma != null) {
            inputs.add(gamma);
        }
        if (beta != null) {
            inputs.add(beta);
        }
        Attributes attributes = Attributes.of(InstanceNorm.EPS, eps, InstanceNorm.GAMMA, gamma != null,
                InstanceNorm.BETA, beta != null);
        return x.graph().op(InstanceNorm.OP_TYPE, attributes, inputs.toArray(new Expr[0]));
    }
}
