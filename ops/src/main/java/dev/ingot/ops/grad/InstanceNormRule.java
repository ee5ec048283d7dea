package dev.ingot.ops.grad;

import dev.ingot.ops.norm.InstanceNorm;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.express.Expr;
import dev.ingot.runtime.express.OpGrad;
import java.util.ArrayList;
import java.util.List;

/**
 * The gradient rule of {@value InstanceNorm#OP_TYPE}: one {@value InstanceNorm#GRAD_OP_TYPE} node over x, dy and the
 * forward's saved mean and invstd (outputs 1 and 2 of the forward node), never an elementwise decomposition. Its
 * outputs dx, dgamma, dbeta line up with the forward's inputs x, gamma, beta. Gradients flowing into the mean or
 * invstd outputs are refused: the fused backward does not take them.
 */
public final class InstanceNormRule implements OpGrad {

    /** Creates the rule; {@link java.util.ServiceLoader} calls this. */
    public InstanceNormRule() {
    }

    @Override
    public String opType() {
        return InstanceNorm.OP_TYPE;
    }

    @Override
    public List<Expr> backward(Expr node, List<Expr> outputGrads, boolean[] needed) {
        if (outputGrads.get(1) != null || outputGrads.get(2) != null) {
            throw new IllegalStateException(InstanceNorm.OP_TYPE + ": a gradient flows into the mean or invstd"
                    + " output; the rule differentiates only through y");
        }
        Attributes forward = node.attributes();
        boolean gamma = forward.getBoolean(InstanceNorm.GAMMA, false);
        boolean beta = forward.getBoolean(InstanceNorm.BETA, false);
        Expr x = node.inputs().get(0);
        List<Expr> inputs = new ArrayList<>(List.of(x, outputGrads.get(0), node.output(1), node.output(2)));
        if (gamma) {
            inputs.add(node.inputs().get(1));
        }
        Attributes attributes = Attributes.of(InstanceNorm.EPS,
                forward.getDouble(InstanceNorm.EPS, InstanceNorm.DEFAULT_EPS), InstanceNorm.SAVED_STATS, true,
                InstanceNorm.GAMMA, gamma, InstanceNorm.BETA, beta,
                // may write dx over dy: the program does so where dy is read by this node alone
                InstanceNorm.IN_PLACE, false);
        Expr dx = x.graph().op(InstanceNorm.GRAD_OP_TYPE, attributes, inputs.toArray(new Expr[0]));
        List<Expr> grads = new ArrayList<>(3);
        grads.add(dx.output(0));
        if (gamma) {
            grads.add(dx.output(1));
        }
        if (beta) {
            grads.add(dx.output(gamma ? 2 : 1));
        }
        return grads;
    }
}
