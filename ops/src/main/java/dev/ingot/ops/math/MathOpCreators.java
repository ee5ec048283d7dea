package dev.ingot.ops.math;

import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Execution;
import dev.ingot.runtime.OpCreator;
import dev.ingot.runtime.express.SgdMomentum;
import java.util.function.BiFunction;

/**
 * The {@link OpCreator}s of the math ops, registered through ServiceLoader (which needs one public class with a
 * no-argument constructor per op); each stateless and thread-safe.
 */
public final class MathOpCreators {
    private MathOpCreators() {
    }

    private static BiFunction<Attributes, CpuBackend, Execution> elementwise(ElementwiseExecution.Kind kind,
                                                                       String opType) {
        return (attributes, backend) -> new ElementwiseExecution(kind, opType, attributes, backend);
    }

    /** An op type and the constructor of its execution. */
    private abstract static class Creator implements OpCreator {
        private final String opType;
        private final BiFunction<Attributes, CpuBackend, Execution> factory;

        Creator(String opType, BiFunction<Attributes, CpuBackend, Execution> factory) {
            this.opType = opType;
            this.factory = factory;
        }

        @Override
        public final String opType() {
            return opType;
        }

        @Override
        public final Execution create(Attributes attributes, CpuBackend backend) {
            return factory.apply(attributes, backend);
        }
    }

    /** Creates the {@code Add} execution. */
    public static final class Add extends Creator {
        public Add() {
            super(MathOps.ADD, elementwise(ElementwiseExecution.Kind.ADD, MathOps.ADD));
        }
    }

    /** Creates the {@code Sub} execution. */
    public static final class Sub extends Creator {
        public Sub() {
            super(MathOps.SUB, elementwise(ElementwiseExecution.Kind.SUB, MathOps.SUB));
        }
    }

    /** Creates the {@code Mul} execution. */
    public static final class Mul extends Creator {
        public Mul() {
            super(MathOps.MUL, elementwise(ElementwiseExecution.Kind.MUL, MathOps.MUL));
        }
    }

    /** Creates the {@code Square} execution. */
    public static final class Square extends Creator {
        public Square() {
            super(MathOps.SQUARE, elementwise(ElementwiseExecution.Kind.SQUARE, MathOps.SQUARE));
        }
    }

    /** Creates the {@code MulScalar} execution. */
    public static final class MulScalar extends Creator {
        public MulScalar() {
            super(MathOps.MUL_SCALAR, elementwise(ElementwiseExecution.Kind.MUL_SCALAR, MathOps.MUL_SCALAR));
        }
    }

    /** Creates the {@code Sum} execution. */
    public static final class Sum extends Creator {
        public Sum() {
            super(MathOps.SUM, (attributes, backend) -> new ReduceExecution(MathOps.SUM, false, attributes, backend));
        }
    }

    /** Creates the {@code Mean} execution. */
    public static final class Mean extends Creator {
        public Mean() {
            super(MathOps.MEAN, (attributes, backend) -> new ReduceExecution(MathOps.MEAN, true, attributes, backend));
        }
    }

    /** Creates the {@code BroadcastTo} execution. */
    public static final class BroadcastTo extends Creator {
        public BroadcastTo() {
            super(MathOps.BROADCAST_TO, (attributes, backend) -> new BroadcastExecution(attributes, backend));
        }
    }

    /** Creates the {@code MseLoss} execution. */
    public static final class MseLoss extends Creator {
        public MseLoss() {
            super(MathOps.MSE_LOSS, (attributes, backend) -> new MseLossExecution(attributes, backend));
        }
    }

    /** Creates the {@code MseLossGrad} execution. */
    public static final class MseLossGrad extends Creator {
        public MseLossGrad() {
            super(MathOps.MSE_LOSS_GRAD, (attributes, backend) -> new MseLossGradExecution(attributes, backend));
        }
    }

    /** Creates the {@code SgdMomentum} execution. */
    public static final class Sgd extends Creator {
        public Sgd() {
            super(SgdMomentum.OP_TYPE, (attributes, backend) -> new SgdMomentumExecution(attributes, backend));
        }
    }
}
