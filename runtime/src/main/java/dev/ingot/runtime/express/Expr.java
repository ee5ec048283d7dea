package dev.ingot.runtime.express;

import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.TensorType;
import java.util.List;

/**
 * One value of an expression graph: output {@link #outputIndex()} of a node. A node is a leaf (an input, a
 * trainable parameter, optimizer state or a constant) or an op with a type name, attributes and input expressions;
 * its output types were inferred, and checked, when it was built by its {@link Graph}.
 *
 * <p>An op with several outputs (InstanceNorm gives y, mean and invstd) is one node; {@link #output(int)} refers
 * to each of them, and {@link Graph#op} returns output 0.
 *
 * <p>Identity matters: two expressions are equal only when they are the same output of the same node. Immutable
 * and thread-safe to read; the graph that builds nodes is not thread-safe.
 */
public final class Expr {

    /** What a node is. */
    public enum Kind {
        /** Data fed at each run (pipeline input, STATIC memory the program owns). */
        INPUT,
        /** A trainable parameter: STATIC, differentiated, updated in place by an optimizer. */
        PARAMETER,
        /** Optimizer state (e.g. a momentum buffer): STATIC, updated in place, never differentiated. */
        STATE,
        /** A constant: STATIC, written once when compiled. */
        CONSTANT,
        /** An op over other expressions. */
        OP
    }

    private final Node node;
    private final int index;

    Expr(Node node, int index) {
        this.node = node;
        this.index = index;
    }

    Node node() {
        return node;
    }

    /**
     * The graph that built this expression.
     *
     * @return the graph that built this expression
     */
    public Graph graph() {
        return node.graph;
    }

    /**
     * The kind of the node.
     *
     * @return the kind of the node
     */
    public Kind kind() {
        return node.kind;
    }

    /**
     * The op type (e.g. {@code InstanceNorm}), or the kind's name for a leaf.
     *
     * @return the op type, or null for a leaf
     */
    public String opType() {
        return node.opType;
    }

    /**
     * The node's name: given for leaves, {@code opType#id} for ops.
     *
     * @return the node's name: given for leaves, {@code opType#id} for ops
     */
    public String name() {
        return node.name;
    }

    /**
     * The op's attributes; empty for leaves.
     *
     * @return the op's attributes; empty for leaves
     */
    public Attributes attributes() {
        return node.attributes;
    }

    /**
     * The op's inputs, in order; empty for leaves.
     *
     * @return the op's inputs, in order; empty for leaves
     */
    public List<Expr> inputs() {
        return node.inputs;
    }

    /**
     * Which output of its node this expression is.
     *
     * @return which output of its node this expression is
     */
    public int outputIndex() {
        return index;
    }

    /**
     * How many outputs the node has.
     *
     * @return how many outputs the node has
     */
    public int outputCount() {
        return node.outputTypes.size();
    }

    /**
     * Output {@code k} of the same node.
     *
     * @param k the output's index, 0 to {@link #outputCount()} - 1
     * @return the output
     * @throws IllegalArgumentException when k is outside 0..outputCount()-1
     */
    public Expr output(int k) {
        if (k < 0 || k >= node.outputs.size()) {
            throw new IllegalArgumentException("k: expected 0.." + (node.outputs.size() - 1) + " for " + node.opType
                    + ", got " + k);
        }
        return node.outputs.get(k);
    }

    /**
     * The inferred type of this output.
     *
     * @return the inferred type of this output
     */
    public TensorType type() {
        return node.outputTypes.get(index);
    }

    /**
     * The inferred shape of this output.
     *
     * @return the inferred shape of this output
     */
    public Shape shape() {
        return type().shape();
    }

    /**
     * True for leaves (no op).
     *
     * @return true for leaves (no op)
     */
    public boolean isLeaf() {
        return node.kind != Kind.OP;
    }

    /**
     * The initial values of a leaf (logical order), a copy; null for inputs and ops.
     *
     * @return a copy of the initial values, or null for inputs and ops
     */
    public float[] initialValues() {
        return node.data == null ? null : node.data.clone();
    }

    @Override
    public String toString() {
        return node.name + (node.outputs.size() > 1 ? "[" + index + "]" : "") + " " + type();
    }
}
