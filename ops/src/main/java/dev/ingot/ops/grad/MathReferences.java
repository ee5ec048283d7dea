package dev.ingot.ops.grad;

import dev.ingot.ops.math.MathOps;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.TensorType;
import dev.ingot.runtime.express.ReferenceOp;
import java.util.List;
import java.util.function.DoubleBinaryOperator;

/**
 * Float64 references of the math ops, for {@link dev.ingot.runtime.express.GradientCheck}: plain loops over the
 * logical order, independent of the float32 executions. Stateless and thread-safe.
 */
public final class MathReferences {
    private MathReferences() {
    }

    private static List<double[]> zip(List<double[]> in, DoubleBinaryOperator f) {
        double[] a = in.get(0);
        double[] b = in.get(1);
        double[] out = new double[a.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = f.applyAsDouble(a[i], b[i]);
        }
        return List.of(out);
    }

    /** Float64 {@code Add}. */
    public static final class Add implements ReferenceOp {
        /** Creates the reference; {@link java.util.ServiceLoader} calls this. */
        public Add() {
        }

        @Override
        public String opType() {
            return MathOps.ADD;
        }

        @Override
        public List<double[]> evaluate(Attributes a, List<TensorType> t, List<double[]> in, List<TensorType> o) {
            return zip(in, Double::sum);
        }
    }

    /** Float64 {@code Sub}. */
    public static final class Sub implements ReferenceOp {
        /** Creates the reference; {@link java.util.ServiceLoader} calls this. */
        public Sub() {
        }

        @Override
        public String opType() {
            return MathOps.SUB;
        }

        @Override
        public List<double[]> evaluate(Attributes a, List<TensorType> t, List<double[]> in, List<TensorType> o) {
            return zip(in, (x, y) -> x - y);
        }
    }

    /** Float64 {@code Mul}. */
    public static final class Mul implements ReferenceOp {
        /** Creates the reference; {@link java.util.ServiceLoader} calls this. */
        public Mul() {
        }

        @Override
        public String opType() {
            return MathOps.MUL;
        }

        @Override
        public List<double[]> evaluate(Attributes a, List<TensorType> t, List<double[]> in, List<TensorType> o) {
            return zip(in, (x, y) -> x * y);
        }
    }

    /** Float64 {@code Square}. */
    public static final class Square implements ReferenceOp {
        /** Creates the reference; {@link java.util.ServiceLoader} calls this. */
        public Square() {
        }

        @Override
        public String opType() {
            return MathOps.SQUARE;
        }

        @Override
        public List<double[]> evaluate(Attributes a, List<TensorType> t, List<double[]> in, List<TensorType> o) {
            return zip(List.of(in.get(0), in.get(0)), (x, y) -> x * y);
        }
    }

    /** Float64 {@code MulScalar}. */
    public static final class MulScalar implements ReferenceOp {
        /** Creates the reference; {@link java.util.ServiceLoader} calls this. */
        public MulScalar() {
        }

        @Override
        public String opType() {
            return MathOps.MUL_SCALAR;
        }

        @Override
        public List<double[]> evaluate(Attributes a, List<TensorType> t, List<double[]> in, List<TensorType> o) {
            double f = a.getDouble(MathOps.FACTOR, 1);
            double[] x = in.get(0);
            double[] out = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                out[i] = f * x[i];
            }
            return List.of(out);
        }
    }

    /** Sum over the logical order: each input element adds into the output element of its reduced index. */
    private static double[] reduce(Shape in, Shape out, double[] x) {
        double[] y = new double[Math.toIntExact(out.elementCount())];
        int rank = in.rank();
        for (int j = 0; j < x.length; j++) {
            if (out.rank() != rank) { // whole tensor
                y[0] += x[j];
                continue;
            }
            long rest = j;
            long target = 0;
            long stride = 1;
            for (int d = rank - 1; d >= 0; d--) {
                long idx = rest % in.dim(d);
                rest /= in.dim(d);
                if (out.dim(d) != 1) {
                    target += idx * stride;
                }
                stride *= out.dim(d);
            }
            y[(int) target] += x[j];
        }
        return y;
    }

    /** Float64 {@code Sum}. */
    public static final class Sum implements ReferenceOp {
        /** Creates the reference; {@link java.util.ServiceLoader} calls this. */
        public Sum() {
        }

        @Override
        public String opType() {
            return MathOps.SUM;
        }

        @Override
        public List<double[]> evaluate(Attributes a, List<TensorType> t, List<double[]> in, List<TensorType> o) {
            return List.of(reduce(t.get(0).shape(), o.get(0).shape(), in.get(0)));
        }
    }

    /** Float64 {@code Mean}. */
    public static final class Mean implements ReferenceOp {
        /** Creates the reference; {@link java.util.ServiceLoader} calls this. */
        public Mean() {
        }

        @Override
        public String opType() {
            return MathOps.MEAN;
        }

        @Override
        public List<double[]> evaluate(Attributes a, List<TensorType> t, List<double[]> in, List<TensorType> o) {
            double[] y = reduce(t.get(0).shape(), o.get(0).shape(), in.get(0));
            double averaged = (double) t.get(0).elementCount() / o.get(0).elementCount();
            for (int i = 0; i < y.length; i++) {
                y[i] /= averaged;
            }
            return List.of(y);
        }
    }

    /** Float64 {@code BroadcastTo}. */
    public static final class BroadcastTo implements ReferenceOp {
        /** Creates the reference; {@link java.util.ServiceLoader} calls this. */
        public BroadcastTo() {
        }

        @Override
        public String opType() {
            return MathOps.BROADCAST_TO;
        }

        @Override
        public List<double[]> evaluate(Attributes a, List<TensorType> t, List<double[]> in, List<TensorType> o) {
            Shape xs = t.get(0).shape();
            Shape out = o.get(0).shape();
            double[] x = in.get(0);
            double[] y = new double[Math.toIntExact(out.elementCount())];
            for (int j = 0; j < y.length; j++) {
                if (xs.rank() != out.rank()) {
                    y[j] = x[0];
                    continue;
                }
                long rest = j;
                long source = 0;
                long stride = 1;
                for (int d = out.rank() - 1; d >= 0; d--) {
                    long idx = rest % out.dim(d);
                    rest /= out.dim(d);
                    if (xs.dim(d) != 1) {
                        source += idx * stride;
                    }
                    stride *= xs.dim(d);
                }
                y[j] = x[(int) source];
            }
            return List.of(y);
        }
    }

    /** Float64 {@code MseLoss}. */
    public static final class MseLoss implements ReferenceOp {
        /** Creates the reference; {@link java.util.ServiceLoader} calls this. */
        public MseLoss() {
        }

        @Override
        public String opType() {
            return MathOps.MSE_LOSS;
        }

        @Override
        public List<double[]> evaluate(Attributes a, List<TensorType> t, List<double[]> in, List<TensorType> o) {
            double[] p = in.get(0);
            double[] q = in.get(1);
            double sum = 0;
            for (int i = 0; i < p.length; i++) {
                sum += (p[i] - q[i]) * (p[i] - q[i]);
            }
            return List.of(new double[]{sum / p.length});
        }
    }
}
