package dev.ingot.ops.math;

import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.express.Expr;

/**
 * The math ops training needs: their op type names, attributes, and expression builders over
 * {@link dev.ingot.runtime.express.Graph}. All are float32.
 * <ul>
 *   <li>{@value #ADD}, {@value #SUB}, {@value #MUL}(a, b): elementwise, a and b of one type; output that type.</li>
 *   <li>{@value #SQUARE}(x), {@value #MUL_SCALAR}(x) with attribute {@value #FACTOR} (double): elementwise.</li>
 *   <li>{@value #SUM}, {@value #MEAN}(x): over the whole tensor (output [1]), or over attribute {@value #AXIS}
 *       (int, negative from the end) kept with size 1. NCHW.</li>
 *   <li>{@value #BROADCAST_TO}(x, like): x ([1], or like's rank with dimensions 1 or like's) repeated to like's
 *       shape; like's values are not read. NCHW.</li>
 *   <li>{@value #MSE_LOSS}(pred, target): mean of squared differences, output [1].</li>
 *   <li>{@value #MSE_LOSS_GRAD}(pred, target, dloss): {@code 2 * (pred - target) / count * dloss}.</li>
 *   <li>{@code SgdMomentum}(p, v, g) -> (p, v): see {@link dev.ingot.runtime.express.SgdMomentum}.</li>
 * </ul>
 * Sums accumulate in double in fixed chunks, so results do not depend on the thread count. Bad inputs are an
 * {@link IllegalArgumentException} naming the op, the input, the expected and the given type.
 */
public final class MathOps {
    /** Op type: elementwise a + b. */
    public static final String ADD = "Add";
    /** Op type: elementwise a - b. */
    public static final String SUB = "Sub";
    /** Op type: elementwise a * b. */
    public static final String MUL = "Mul";
    /** Op type: elementwise x * x. */
    public static final String SQUARE = "Square";
    /** Op type: elementwise factor * x. */
    public static final String MUL_SCALAR = "MulScalar";
    /** Op type: sum over the tensor or one axis. */
    public static final String SUM = "Sum";
    /** Op type: mean over the tensor or one axis. */
    public static final String MEAN = "Mean";
    /** Op type: x repeated to the shape of like. */
    public static final String BROADCAST_TO = "BroadcastTo";
    /** Op type: mean squared difference, [1]. */
    public static final String MSE_LOSS = "MseLoss";
    /** Op type: the gradient of MseLoss with respect to its first input. */
    public static final String MSE_LOSS_GRAD = "MseLossGrad";
    /** Attribute of {@value #MUL_SCALAR}: the factor (double). */
    public static final String FACTOR = "factor";
    /** Attribute of {@value #SUM} and {@value #MEAN}: the reduced axis (int); absent for the whole tensor. */
    public static final String AXIS = "axis";

    private MathOps() {
    }

    /**
     * a + b (same type).
     *
     * @param a the first operand
     * @param b the second operand, of the same type
     * @return the node's output
     * @throws IllegalArgumentException when the types differ
     */
    public static Expr add(Expr a, Expr b) {
        return a.graph().op(ADD, Attributes.empty(), a, b);
    }

    /**
     * a - b (same type).
     *
     * @param a the first operand
     * @param b the second operand, of the same type
     * @return the node's output
     * @throws IllegalArgumentException when the types differ
     */
    public static Expr sub(Expr a, Expr b) {
        return a.graph().op(SUB, Attributes.empty(), a, b);
    }

    /**
     * a * b elementwise (same type).
     *
     * @param a the first operand
     * @param b the second operand, of the same type
     * @return the node's output
     * @throws IllegalArgumentException when the types differ
     */
    public static Expr mul(Expr a, Expr b) {
        return a.graph().op(MUL, Attributes.empty(), a, b);
    }

    /**
     * x * x elementwise.
     *
     * @param x the input
     * @return the node's output
     */
    public static Expr square(Expr x) {
        return x.graph().op(SQUARE, Attributes.empty(), x);
    }

    /**
     * factor * x elementwise; factor must be finite.
     *
     * @param x the input
     * @param factor the finite factor
     * @return the node's output
     */
    public static Expr mulScalar(Expr x, double factor) {
        return x.graph().op(MUL_SCALAR, Attributes.of(FACTOR, factor), x);
    }

    /**
     * Sum of every element, shape [1].
     *
     * @param x the input
     * @return the node's output
     */
    public static Expr sum(Expr x) {
        return x.graph().op(SUM, Attributes.empty(), x);
    }

    /**
     * Sum over {@code axis}, kept with size 1.
     *
     * @param x the input
     * @param axis the dimension summed over, 0 to rank - 1
     * @return the node's output
     */
    public static Expr sum(Expr x, int axis) {
        return x.graph().op(SUM, Attributes.of(AXIS, axis), x);
    }

    /**
     * Mean of every element, shape [1].
     *
     * @param x the input
     * @return the node's output
     */
    public static Expr mean(Expr x) {
        return x.graph().op(MEAN, Attributes.empty(), x);
    }

    /**
     * Mean over {@code axis}, kept with size 1.
     *
     * @param x the input
     * @param axis the dimension summed over, 0 to rank - 1
     * @return the node's output
     */
    public static Expr mean(Expr x, int axis) {
        return x.graph().op(MEAN, Attributes.of(AXIS, axis), x);
    }

    /**
     * x repeated to like's shape (x is [1], or like's rank with dimensions 1 or like's).
     *
     * @param x the input
     * @param like the expression whose shape x is repeated to
     * @return the node's output
     */
    public static Expr broadcastTo(Expr x, Expr like) {
        return x.graph().op(BROADCAST_TO, Attributes.empty(), x, like);
    }

    /**
     * mean((pred - target)^2), shape [1]; pred and target of one type.
     *
     * @param pred the prediction
     * @param target the target, of pred's type
     * @return the node's output
     */
    public static Expr mseLoss(Expr pred, Expr target) {
        return pred.graph().op(MSE_LOSS, Attributes.empty(), pred, target);
    }

    /**
     * 2 * (pred - target) / count * dloss, of pred's type; dloss is [1].
     *
     * @param pred the prediction
     * @param target the target, of pred's type
     * @param dloss the gradient flowing into the loss, shape [1]
     * @return the node's output
     */
    public static Expr mseLossGrad(Expr pred, Expr target, Expr dloss) {
        return pred.graph().op(MSE_LOSS_GRAD, Attributes.empty(), pred, target, dloss);
    }
}
