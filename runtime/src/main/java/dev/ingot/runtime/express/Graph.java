package dev.ingot.runtime.express;

import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.DType;
import dev.ingot.runtime.Execution;
import dev.ingot.runtime.OpRegistry;
import dev.ingot.runtime.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds expressions: leaves (inputs, parameters, state, constants) and ops. Every op is defined once, by its
 * {@link Execution}: building a node creates an execution of its type through the {@link OpRegistry} and asks it
 * for {@link Execution#outputTypes}, so a shape error is reported here, when the expression is built, naming the op
 * and the input types — not later when a pipeline is planned.
 *
 * <p>The backend is used only to create those executions for shape inference (no memory is taken); programs
 * compiled from the graph ({@link Program}, {@link Trainer}) may use any backend. Not thread-safe: one thread builds
 * a graph; the built expressions are immutable.
 */
public final class Graph {
    private final CpuBackend backend;
    private final OpRegistry registry;
    private final List<Node> nodes = new ArrayList<>();

    /**
     * A graph whose ops come from {@link OpRegistry#standard()}.
     *
     * @param backend the backend that runs the ops and owns their memory
     */
    public Graph(CpuBackend backend) {
        this(backend, OpRegistry.standard());
    }

    /**
     * A graph whose ops come from {@code registry}.
     *
     * @param backend the backend that runs the ops and owns their memory
     * @param registry where op types are looked up
     */
    public Graph(CpuBackend backend, OpRegistry registry) {
        if (backend == null || registry == null) {
            throw new IllegalArgumentException("backend, registry: expected non-null, got " + backend + ", "
                    + registry);
        }
        this.backend = backend;
        this.registry = registry;
    }

    /**
     * The backend executions for shape inference are created on.
     *
     * @return the backend executions for shape inference are created on
     */
    public CpuBackend backend() {
        return backend;
    }

    /**
     * Where op types are looked up.
     *
     * @return the registry
     */
    public OpRegistry registry() {
        return registry;
    }

    /**
     * An input: data the caller writes before each run. Its type is fixed.
     *
     * @param name the leaf's name, for messages
     * @param type its type
     * @return the input
     */
    public Expr input(String name, TensorType type) {
        return leaf(Expr.Kind.INPUT, name, type, null);
    }

    /**
     * A trainable parameter with initial values (logical order, copied).
     *
     * @param name the leaf's name, for messages
     * @param type its type
     * @param initial initial values in logical order (copied)
     * @return the parameter
     * @throws IllegalArgumentException when the values do not match the type's element count
     */
    public Expr parameter(String name, TensorType type, float[] initial) {
        return leaf(Expr.Kind.PARAMETER, name, type, checkData(name, type, initial));
    }

    /**
     * Optimizer state, starting at {@code initial} (logical order, copied) or zeros when null.
     *
     * @param name the leaf's name, for messages
     * @param type its type
     * @param initial initial values in logical order (copied)
     * @return the state
     */
    public Expr state(String name, TensorType type, float[] initial) {
        return leaf(Expr.Kind.STATE, name, type, initial == null
                ? new float[Math.toIntExact(type.elementCount())] : checkData(name, type, initial));
    }

    /**
     * A constant of the given values (logical order, copied).
     *
     * @param name the leaf's name, for messages
     * @param type its type
     * @param values the values in logical order (copied)
     * @return the constant
     */
    public Expr constant(String name, TensorType type, float[] values) {
        return leaf(Expr.Kind.CONSTANT, name, type, checkData(name, type, values));
    }

    /**
     * A float32 constant of shape [1].
     *
     * @param value the value
     * @return the constant
     */
    public Expr scalar(float value) {
        return constant("scalar " + value, TensorType.float32(1), new float[]{value});
    }

    /**
     * An op node; returns its output 0 (see {@link Expr#output(int)} for the others).
     *
     * @param opType the op type name, e.g. {@code InstanceNorm}
     * @param attributes the op's attributes
     * @param inputs the op's inputs
     * @return the op's output 0
     * @throws IllegalArgumentException when the op type is unknown, an attribute is invalid, an input belongs to
     *                                  another graph, or the op refuses the input types (the message names the op
     *                                  and every input type)
     */
    public Expr op(String opType, Attributes attributes, Expr... inputs) {
        Attributes attrs = attributes == null ? Attributes.empty() : attributes;
        List<TensorType> types = new ArrayList<>(inputs.length);
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i] == null || inputs[i].graph() != this) {
                throw new IllegalArgumentException(opType + ": input " + i + ": expected an expression of this graph,"
                        + " got " + (inputs[i] == null ? "null" : "one of another graph"));
            }
            types.add(inputs[i].type());
        }
        List<TensorType> outputs;
        try {
            Execution execution = registry.create(opType, attrs, backend);
            outputs = execution.outputTypes(types);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot build " + opType + attrs + " over " + types + ": "
                    + e.getMessage(), e);
        }
        Node node = new Node(this, nodes.size(), Expr.Kind.OP, opType, opType + "#" + nodes.size(), attrs,
                Arrays.asList(inputs), outputs, null);
        nodes.add(node);
        return node.outputs.get(0);
    }

    private Expr leaf(Expr.Kind kind, String name, TensorType type, float[] data) {
        if (name == null || type == null) {
            throw new IllegalArgumentException("name, type: expected non-null, got " + name + ", " + type);
        }
        if (type.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException(name + ": expected a float32 type, got " + type);
        }
        Node node = new Node(this, nodes.size(), kind, kind.name(), name, Attributes.empty(), List.of(),
                List.of(type), data);
        nodes.add(node);
        return node.outputs.get(0);
    }

    private static float[] checkData(String name, TensorType type, float[] data) {
        if (data == null || data.length != type.elementCount()) {
            throw new IllegalArgumentException(name + ": expected " + type.elementCount() + " values for " + type
                    + ", got " + (data == null ? "null" : data.length));
        }
        return data.clone();
    }
}
