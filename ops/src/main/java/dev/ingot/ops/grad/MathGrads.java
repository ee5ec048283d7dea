package dev.ingot.ops.grad;

import dev.ingot.ops.math.MathOps;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.express.Expr;
import dev.ingot.runtime.express.OpGrad;
import java.util.Arrays;
import java.util.List;

/** Gradient rules of the math ops, registered through ServiceLoader; each stateless and thread-safe. */
public final class MathGrads {
    private MathGrads() {
    }

    private static List<Expr> grads(Expr... g) {
        return Arrays.asList(g);
    }

    /** d(a + b) = (g, g). */
    public static final class Add implements OpGrad {
        /** Creates the rule; {@link java.util.ServiceLoader} calls this. */
        public Add() {
        }

        @Override
        public String opType() {
            return MathOps.ADD;
        }

        @Override
        public List<Expr> backward(Expr node, List<Expr> outputGrads, boolean[] needed) {
            Expr g = outputGrads.get(0);
            return grads(g, g);
        }
    }

    /** d(a - b) = (g, -g). */
    public static final class Sub implements OpGrad {
        /** Creates the rule; {@link java.util.ServiceLoader} calls this. */
        public Sub() {
        }

        @Override
        public String opType() {
            return MathOps.SUB;
        }

        @Override
        public List<Expr> backward(Expr node, List<Expr> outputGrads, boolean[] needed) {
            Expr g = outputGrads.get(0);
            return grads(g, needed[1] ? MathOps.mulScalar(g, -1) : null);
        }
    }

    /** d(a * b) = (g * b, g * a). */
    public static final class Mul implements OpGrad {
        /** Creates the rule; {@link java.util.ServiceLoader} calls this. */
        public Mul() {
        }

        @Override
        public String opType() {
            return MathOps.MUL;
        }

        @Override
        public List<Expr> backward(Expr node, List<Expr> outputGrads, boolean[] needed) {
            Expr g = outputGrads.get(0);
            Expr a = node.inputs().get(0);
            Expr b = node.inputs().get(1);
            return grads(needed[0] ? MathOps.mul(g, b) : null, needed[1] ? MathOps.mul(g, a) : null);
        }
    }

    /** d(x^2) = g * 2x. */
    public static final class Square implements OpGrad {
        /** Creates the rule; {@link java.util.ServiceLoader} calls this. */
        public Square() {
        }

        @Override
        public String opType() {
            return MathOps.SQUARE;
        }

        @Override
        public List<Expr> backward(Expr node, List<Expr> outputGrads, boolean[] needed) {
            Expr x = node.inputs().get(0);
            return grads(MathOps.mul(outputGrads.get(0), MathOps.mulScalar(x, 2)));
        }
    }

    /** d(f x) = f g. */
    public static final class MulScalar implements OpGrad {
        /** Creates the rule; {@link java.util.ServiceLoader} calls this. */
        public MulScalar() {
        }

        @Override
        public String opType() {
            return MathOps.MUL_SCALAR;
        }

        @Override
        public List<Expr> backward(Expr node, List<Expr> outputGrads, boolean[] needed) {
            return grads(MathOps.mulScalar(outputGrads.get(0), node.attributes().getDouble(MathOps.FACTOR, 1)));
        }
    }

    /** d(sum x) = g broadcast back to x. */
    public static final class Sum implements OpGrad {
        /** Creates the rule; {@link java.util.ServiceLoader} calls this. */
        public Sum() {
        }

        @Override
        public String opType() {
            return MathOps.SUM;
        }

        @Override
        public List<Expr> backward(Expr node, List<Expr> outputGrads, boolean[] needed) {
            return grads(MathOps.broadcastTo(outputGrads.get(0), node.inputs().get(0)));
        }
    }

    /** d(mean x) = g broadcast back to x, divided by the number of elements averaged. */
    public static final class Mean implements OpGrad {
        /** Creates the rule; {@link java.util.ServiceLoader} calls this. */
        public Mean() {
        }

        @Override
        public String opType() {
            return MathOps.MEAN;
        }

        @Override
        public List<Expr> backward(Expr node, List<Expr> outputGrads, boolean[] needed) {
            Expr x = node.inputs().get(0);
            double averaged = (double) x.type().elementCount() / node.type().elementCount();
            return grads(MathOps.mulScalar(MathOps.broadcastTo(outputGrads.get(0), x), 1 / averaged));
        }
    }

    /** d(broadcast x) = g summed over the broadcast axes; like is read only for its shape (no gradient). */
    public static final class BroadcastTo implements OpGrad {
        /** Creates the rule; {@link java.util.ServiceLoader} calls this. */
        public BroadcastTo() {
        }

        @Override
        public String opType() {
            return MathOps.BROADCAST_TO;
        }

        @Override
        public List<Expr> backward(Expr node, List<Expr> outputGrads, boolean[] needed) {
            Expr x = node.inputs().get(0);
            Expr g = outputGrads.get(0);
            Shape xs = x.shape();
            Shape out = node.shape();
            if (xs.rank() != out.rank()) { // x is [1]: one value broadcast everywhere
                return grads(MathOps.sum(g), null);
            }
            for (int i = 0; i < xs.rank(); i++) {
                if (xs.dim(i) == 1 && out.dim(i) != 1) {
                    g = MathOps.sum(g, i);
                }
            }
            return grads(g, null);
        }
    }

    /** d(mean((p - t)^2)) = (MseLossGrad(p, t, g), MseLossGrad(t, p, g)). */
    public static final class MseLoss implements OpGrad {
        /** Creates the rule; {@link java.util.ServiceLoader} calls this. */
        public MseLoss() {
        }

        @Override
        public String opType() {
            return MathOps.MSE_LOSS;
        }

        @Override
        public List<Expr> backward(Expr node, List<Expr> outputGrads, boolean[] needed) {
            Expr g = outputGrads.get(0);
            Expr pred = node.inputs().get(0);
            Expr target = node.inputs().get(1);
            return grads(needed[0] ? MathOps.mseLossGrad(pred, target, g) : null,
                    needed[1] ? MathOps.mseLossGrad(target, pred, g) : null);
        }
    }
}
