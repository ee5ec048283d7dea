package dev.ingot.ops.math;

import dev.ingot.runtime.OpCreator;
import dev.ingot.runtime.express.SgdMomentum;
import java.util.List;

/** The {@link OpCreator}s of the math ops, registered by the ops module's math provider. */
public final class MathOpCreators {
    private MathOpCreators() {
    }

    private static OpCreator elementwise(ElementwiseExecution.Kind kind, String opType) {
        return OpCreator.of(opType, (attributes, backend) -> new ElementwiseExecution(kind, opType, attributes,
                backend));
    }

    /**
     * The creators of every math op.
     *
     * @return one stateless, thread-safe creator per op type
     */
    public static List<OpCreator> all() {
        return List.of(
                elementwise(ElementwiseExecution.Kind.ADD, MathOps.ADD),
                elementwise(ElementwiseExecution.Kind.SUB, MathOps.SUB),
                elementwise(ElementwiseExecution.Kind.MUL, MathOps.MUL),
                elementwise(ElementwiseExecution.Kind.SQUARE, MathOps.SQUARE),
                elementwise(ElementwiseExecution.Kind.MUL_SCALAR, MathOps.MUL_SCALAR),
                OpCreator.of(MathOps.SUM, (a, b) -> new ReduceExecution(MathOps.SUM, false, a, b)),
                OpCreator.of(MathOps.MEAN, (a, b) -> new ReduceExecution(MathOps.MEAN, true, a, b)),
                OpCreator.of(MathOps.BROADCAST_TO, BroadcastExecution::new),
                OpCreator.of(MathOps.MSE_LOSS, MseLossExecution::new),
                OpCreator.of(MathOps.MSE_LOSS_GRAD, MseLossGradExecution::new),
                OpCreator.of(SgdMomentum.OP_TYPE, SgdMomentumExecution::new));
    }
}
