package dev.ingot.ops.math;

import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Execution;
import dev.ingot.runtime.OpCreator;
import dev.ingot.runtime.express.SgdMomentum;

/** The {@link OpCreator}s of the math ops, registered through ServiceLoader; each stateless and thread-safe. */
public final class MathOpCreators {
    private MathOpCreators() {
    }

    /** Creates the {@code Add} execution. */
    public static final class Add implements OpCreator {
        @Override
        public String opType() {
            return MathOps.ADD;
        }

        @Override
        public Execution create(Attributes attributes, CpuBackend backend) {
            return new ElementwiseExecution(ElementwiseExecution.Kind.ADD, MathOps.ADD, attributes, backend);
        }
    }

    /** Creates the {@code Sub} execution. */
    public static final class Sub implements OpCreator {
        @Override
        public String opType() {
            return MathOps.SUB;
        }

        @Override
        public Execution create(Attributes attributes, CpuBackend backend) {
            return new ElementwiseExecution(ElementwiseExecution.Kind.SUB, MathOps.SUB, attributes, backend);
        }
    }

    /** Creates the {@code Mul} execution. */
    public static final class Mul implements OpCreator {
        @Override
        public String opType() {
            return MathOps.MUL;
        }

        @Override
        public Execution create(Attributes attributes, CpuBackend backend) {
            return new ElementwiseExecution(ElementwiseExecution.Kind.MUL, MathOps.MUL, attributes, backend);
        }
    }

    /** Creates the {@code Square} execution. */
    public static final class Square implements OpCreator {
        @Override
        public String opType() {
            return MathOps.SQUARE;
        }

        @Override
        public Execution create(Attributes attributes, CpuBackend backend) {
            return new ElementwiseExecution(ElementwiseExecution.Kind.SQUARE, MathOps.SQUARE, attributes, backend);
        }
    }

    /** Creates the {@code MulScalar} execution. */
    public static final class MulScalar implements OpCreator {
        @Override
        public String opType() {
            return MathOps.MUL_SCALAR;
        }

        @Override
        public Execution create(Attributes attributes, CpuBackend backend) {
            return new ElementwiseExecution(ElementwiseExecution.Kind.MUL_SCALAR, MathOps.MUL_SCALAR, attributes,
                    backend);
        }
    }

    /** Creates the {@code Sum} execution. */
    public static final class Sum implements OpCreator {
        @Override
        public String opType() {
            return MathOps.SUM;
        }

        @Override
        public Execution create(Attributes attributes, CpuBackend backend) {
            return new ReduceExecution(MathOps.SUM, false, attributes, backend);
        }
    }

    /** Creates the {@code Mean} execution. */
    public static final class Mean implements OpCreator {
        @Override
        public String opType() {
            return MathOps.MEAN;
        }

        @Override
        public Execution create(Attributes attributes, CpuBackend backend) {
            return new ReduceExecution(MathOps.MEAN, true, attributes, backend);
        }
    }

    /** Creates the {@code BroadcastTo} execution. */
    public static final class BroadcastTo implements OpCreator {
        @Override
        public String opType() {
            return MathOps.BROADCAST_TO;
        }

        @Override
        public Execution create(Attributes attributes, CpuBackend backend) {
            return new BroadcastExecution(attributes, backend);
        }
    }

    /** Creates the {@code MseLoss} execution. */
    public static final class MseLoss implements OpCreator {
        @Override
        public String opType() {
            return MathOps.MSE_LOSS;
        }

        @Override
        public Execution create(Attributes attributes, CpuBackend backend) {
            return new MseLossExecution(attributes, backend);
        }
    }

    /** Creates the {@code MseLossGrad} execution. */
    public static final class MseLossGrad implements OpCreator {
        @Override
        public String opType() {
            return MathOps.MSE_LOSS_GRAD;
        }

        @Override
        public Execution create(Attributes attributes, CpuBackend backend) {
            return new MseLossGradExecution(attributes, backend);
        }
    }

    /** Creates the {@code SgdMomentum} execution. */
    public static final class Sgd implements OpCreator {
        @Override
        public String opType() {
            return SgdMomentum.OP_TYPE;
        }

        @Override
        public Execution create(Attributes attributes, CpuBackend backend) {
            return new SgdMomentumExecution(attributes, backend);
        }
    }
}
