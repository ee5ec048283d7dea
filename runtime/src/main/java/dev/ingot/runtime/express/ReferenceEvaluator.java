package dev.ingot.runtime.express;

import dev.ingot.runtime.OpProvider;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Evaluates an expression graph in float64 with the {@link ReferenceOp}s of its op types: the reference path of
 * {@link GradientCheck}. Immutable and thread-safe.
 */
public final class ReferenceEvaluator {

    private static final class Standard {
        static final ReferenceEvaluator INSTANCE = of(Stream.concat(OpProvider.loaded(ReferenceOp.class).stream(),
                ServiceLoader.load(ReferenceOp.class, ReferenceEvaluator.class.getClassLoader()).stream()
                        .map(ServiceLoader.Provider::get)).toList());
    }

    private final TreeMap<String, ReferenceOp> ops;

    private ReferenceEvaluator(TreeMap<String, ReferenceOp> ops) {
        this.ops = ops;
    }

    /**
     * The references found through {@link ServiceLoader}; loaded at first use.
     *
     * @return the standard evaluator
     */
    public static ReferenceEvaluator standard() {
        return Standard.INSTANCE;
    }

    /**
     * An evaluator of exactly these references.
     *
     * @param list the references, one per op type
     * @return the evaluator
     * @throws IllegalArgumentException when two claim the same op type
     */
    public static ReferenceEvaluator of(List<? extends ReferenceOp> list) {
        TreeMap<String, ReferenceOp> map = new TreeMap<>();
        for (ReferenceOp op : list) {
            if (map.putIfAbsent(op.opType(), op) != null) {
                throw new IllegalArgumentException("op type '" + op.opType() + "': expected one reference, got two");
            }
        }
        return new ReferenceEvaluator(map);
    }

    /**
     * The op types with a reference, sorted.
     *
     * @return the op types with a reference, sorted
     */
    public Set<String> opTypes() {
        return Collections.unmodifiableSet(ops.keySet());
    }

    /**
     * The value of {@code output} in logical order.
     *
     * @param leaves values of leaves by expression (logical order); leaves not given use their initial values
     * @param output the expression to evaluate
     * @return its values, in logical order
     * @throws IllegalArgumentException when an input leaf has no value or a value of the wrong length
     * @throws IllegalStateException    when an op on the way has no reference
     */
    public double[] evaluate(Expr output, Map<Expr, double[]> leaves) {
        Map<Node, List<double[]>> values = new IdentityHashMap<>();
        for (Node n : Grad.reachable(output.node()).reversed()) {
            values.put(n, n.kind == Expr.Kind.OP ? apply(n, values) : List.of(leafValue(n, leaves)));
        }
        return values.get(output.node()).get(output.outputIndex());
    }

    private List<double[]> apply(Node n, Map<Node, List<double[]>> values) {
        ReferenceOp op = ops.get(n.opType);
        if (op == null) {
            throw new IllegalStateException("no float64 reference for op type '" + n.opType + "'; references exist"
                    + " for " + ops.keySet());
        }
        List<double[]> in = new ArrayList<>(n.inputs.size());
        List<dev.ingot.runtime.TensorType> types = new ArrayList<>(n.inputs.size());
        for (Expr e : n.inputs) {
            in.add(values.get(e.node()).get(e.outputIndex()));
            types.add(e.type());
        }
        return op.evaluate(n.attributes, types, in, n.outputTypes);
    }

    private static double[] leafValue(Node n, Map<Expr, double[]> leaves) {
        Expr e = n.outputs.get(0);
        double[] given = leaves.get(e);
        if (given != null) {
            if (given.length != e.type().elementCount()) {
                throw new IllegalArgumentException("leaves: " + e + " needs " + e.type().elementCount()
                        + " values, got " + given.length);
            }
            return given;
        }
        if (n.data == null) {
            throw new IllegalArgumentException("leaves: expected a value for input " + e + ", got none");
        }
        double[] widened = new double[n.data.length];
        for (int i = 0; i < widened.length; i++) {
            widened[i] = n.data[i];
        }
        return widened;
    }
}
