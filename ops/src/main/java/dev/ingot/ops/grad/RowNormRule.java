package dev.ingot.ops.grad;

import dev.ingot.ops.norm.BatchNorm;
import dev.ingot.ops.norm.GroupNorm;
import dev.ingot.ops.norm.InstanceNorm;
import dev.ingot.ops.norm.LayerNorm;
import dev.ingot.ops.norm.RmsNorm;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.express.Expr;
import dev.ingot.runtime.express.OpGrad;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The gradient rule of GroupNorm, LayerNorm, RMSNorm or BatchNorm: one fused gradient node over x, dy, the
 * forward's saved statistics (its outputs 1 and 2; BatchNorm inference: the running statistics it read) and gamma.
 * Its outputs dx, dgamma, dbeta line up with the forward's inputs x, gamma, beta; the running statistics get no
 * gradient. Gradients flowing into a statistics output are refused. Stateless and thread-safe.
 */
public final class RowNormRule implements OpGrad {
    private final String opType;
    private final String gradOpType;

    /**
     * The rule of one op type.
     *
     * @param opType one of {@link GroupNorm#OP_TYPE}, {@link LayerNorm#OP_TYPE}, {@link RmsNorm#OP_TYPE},
     *               {@link BatchNorm#OP_TYPE}
     * @throws IllegalArgumentException for another op type
     */
    public RowNormRule(String opType) {
        this.opType = opType;
        this.gradOpType = switch (opType) {
            case GroupNorm.OP_TYPE -> GroupNorm.GRAD_OP_TYPE;
            case LayerNorm.OP_TYPE -> LayerNorm.GRAD_OP_TYPE;
            case RmsNorm.OP_TYPE -> RmsNorm.GRAD_OP_TYPE;
            case BatchNorm.OP_TYPE -> BatchNorm.GRAD_OP_TYPE;
            default -> throw new IllegalArgumentException("opType: expected GroupNorm, LayerNorm, RMSNorm or"
                    + " BatchNorm, got " + opType);
        };
    }

    @Override
    public String opType() {
        return opType;
    }

    @Override
    public List<Expr> backward(Expr node, List<Expr> outputGrads, boolean[] needed) {
        for (int i = 1; i < outputGrads.size(); i++) {
            if (outputGrads.get(i) != null) {
                throw new IllegalStateException(opType + ": a gradient flows into output " + i
                        + " (statistics); the rule differentiates only through y");
            }
        }
        Attributes f = node.attributes();
        boolean rms = opType.equals(RmsNorm.OP_TYPE);
        boolean batch = opType.equals(BatchNorm.OP_TYPE);
        boolean gamma = f.getBoolean(InstanceNorm.GAMMA, false);
        boolean beta = !rms && f.getBoolean(InstanceNorm.BETA, false);
        boolean training = !batch || f.getBoolean(BatchNorm.TRAINING, true);
        boolean running = batch && (!training || f.getBoolean(BatchNorm.RUNNING_STATS, false));
        List<Expr> forwardIn = node.inputs();
        Expr x = forwardIn.get(0);
        int gammaAt = gamma ? 1 : -1;
        int runningAt = 1 + (gamma ? 1 : 0) + (beta ? 1 : 0);
        List<Expr> inputs = new ArrayList<>(List.of(x, outputGrads.get(0)));
        if (!training) {
            inputs.add(forwardIn.get(runningAt));
            inputs.add(forwardIn.get(runningAt + 1));
        } else if (rms) {
            inputs.add(node.output(1));
        } else {
            inputs.add(node.output(1));
            inputs.add(node.output(2));
        }
        if (gamma) {
            inputs.add(forwardIn.get(gammaAt));
        }
        List<Object> attributes = new ArrayList<>(Arrays.asList(InstanceNorm.EPS, f.getDouble(InstanceNorm.EPS,
                batch ? BatchNorm.DEFAULT_EPS : rms ? RmsNorm.DEFAULT_EPS : GroupNorm.DEFAULT_EPS),
                InstanceNorm.GAMMA, gamma,
                // may write dx over dy: the program does so where dy is read by this node alone
                InstanceNorm.IN_PLACE, false));
        if (!rms) {
            attributes.addAll(List.of(InstanceNorm.BETA, beta));
        }
        if (!rms && !batch && !opType.equals(LayerNorm.OP_TYPE)) {
            attributes.addAll(List.of(GroupNorm.GROUPS, f.getLong(GroupNorm.GROUPS, 1)));
        }
        if (rms || opType.equals(LayerNorm.OP_TYPE)) {
            attributes.addAll(List.of(LayerNorm.AXIS, f.getLong(LayerNorm.AXIS, -1)));
        }
        if (batch) {
            attributes.addAll(List.of(BatchNorm.TRAINING, training));
        }
        Expr grad = x.graph().op(gradOpType, Attributes.of(attributes.toArray()), inputs.toArray(new Expr[0]));
        List<Expr> grads = new ArrayList<>(forwardIn.size());
        grads.add(grad.output(0));
        if (gamma) {
            grads.add(grad.output(1));
        }
        if (beta) {
            grads.add(grad.output(gamma ? 2 : 1));
        }
        if (running) {
            grads.add(null);
            grads.add(null);
        }
        return grads;
    }
}
