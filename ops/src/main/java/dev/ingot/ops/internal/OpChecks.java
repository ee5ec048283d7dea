package dev.ingot.ops.internal;

import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.DType;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.util.List;
import java.util.Set;

/**
 * Argument checks every op shares. Each failure is an {@link IllegalArgumentException} with a one-line message
 * naming the op, the argument, what was expected and what came. Op families extend it with their own checks.
 * Immutable and thread-safe.
 */
public class OpChecks {
    private final String op;

    /**
     * Checks whose messages name {@code op}.
     *
     * @param op the op type, the first word of every message
     */
    public OpChecks(String op) {
        this.op = op;
    }

    /**
     * The checks of {@code op}.
     *
     * @param op the op type
     * @return its checks
     */
    public static OpChecks of(String op) {
        return new OpChecks(op);
    }

    /**
     * The exception for a bad argument, in one line: the op, the argument, what was expected, what came.
     *
     * @param argument the argument's name, e.g. {@code input x}
     * @param expected what it should have been
     * @param got      what came
     * @return the exception to throw
     */
    public final IllegalArgumentException fail(String argument, String expected, Object got) {
        return new IllegalArgumentException(op + ": " + argument + ": expected " + expected + ", got " + got);
    }

    /**
     * Rejects attribute names the op does not know (a typo would otherwise silently take the default).
     *
     * @param attributes the node's attributes
     * @param known      the names the op reads
     */
    public final void knownAttributes(Attributes attributes, Set<String> known) {
        for (String name : attributes.names()) {
            if (!known.contains(name)) {
                throw fail("attribute '" + name + "'", known.isEmpty() ? "no attributes"
                        : "one of " + known.stream().sorted().toList(), "unknown name");
            }
        }
    }

    /**
     * A double attribute that must be finite and positive.
     *
     * @param attributes   the node's attributes
     * @param name         the attribute
     * @param defaultValue its value when absent
     * @return the attribute, checked finite and positive
     */
    public final double positive(Attributes attributes, String name, double defaultValue) {
        double v = attributes.getDouble(name, defaultValue);
        if (!(v > 0) || Double.isInfinite(v)) {
            throw fail("attribute " + name, "a finite value > 0", v);
        }
        return v;
    }

    /**
     * Attribute {@code eps}, which must be finite and positive.
     *
     * @param attributes the node's attributes
     * @param defaultEps eps when absent
     * @return attribute {@code eps}, finite and positive
     */
    public final double eps(Attributes attributes, double defaultEps) {
        return positive(attributes, "eps", defaultEps);
    }

    /**
     * Refuses a node with another number of inputs than its slots.
     *
     * @param inputs the inputs (or their types)
     * @param slots  the inputs the op expects
     */
    public final void inputCount(List<?> inputs, Slots slots) {
        inputCount(inputs, slots.count(), slots.names());
    }

    /**
     * Refuses a node with another number of inputs.
     *
     * @param inputs   the inputs (or their types)
     * @param expected how many there should be
     * @param names    their names, for the message
     */
    public final void inputCount(List<?> inputs, int expected, String names) {
        if (inputs.size() != expected) {
            throw fail("inputs", expected + " (" + names + ")", inputs.size());
        }
    }

    /**
     * Refuses a type other than float32.
     *
     * @param name the argument
     * @param t    its type, which must be float32
     */
    public final void float32(String name, TensorType t) {
        if (t.dtype() != DType.FLOAT32) {
            throw fail(name, "dtype float32", t);
        }
    }

    /**
     * float32 in NCHW: for ops that index the logical order.
     *
     * @param name the argument
     * @param t    its type
     */
    public final void denseNchw(String name, TensorType t) {
        float32(name, t);
        if (t.layout() != Layout.NCHW) {
            throw fail(name, "layout NCHW", t);
        }
    }

    /**
     * {@code t} has exactly the type of {@code reference} (shape, dtype and layout).
     *
     * @param name          the argument
     * @param t             its type
     * @param referenceName the argument it must match
     * @param reference     that argument's type
     */
    public final void sameType(String name, TensorType t, String referenceName, TensorType reference) {
        if (!t.equals(reference)) {
            throw fail(name, "type " + reference + " (the type of " + referenceName + ")", t);
        }
    }

    /**
     * Each output tensor is writable and has exactly the type the op declared for it.
     *
     * @param outputs  the output tensors
     * @param expected the declared types
     * @param names    the outputs' names
     */
    public final void outputs(List<Tensor> outputs, List<TensorType> expected, List<String> names) {
        if (outputs.size() != expected.size()) {
            throw fail("outputs", expected.size() + " (" + String.join(", ", names) + ")", outputs.size());
        }
        for (int i = 0; i < expected.size(); i++) {
            String name = i < names.size() ? names.get(i) : String.valueOf(i);
            TensorType got = outputs.get(i).type();
            if (!got.equals(expected.get(i))) {
                throw fail("output " + name, "type " + expected.get(i), got);
            }
            if (outputs.get(i).isReadOnly()) {
                throw fail("output " + name, "a writable tensor", "a read-only tensor");
            }
        }
    }

    /**
     * Each output tensor is writable and has exactly the type the op declared for it; outputs named by index.
     *
     * @param outputs  the output tensors
     * @param expected the declared types
     */
    public final void outputs(List<Tensor> outputs, List<TensorType> expected) {
        String[] names = new String[expected.size()];
        for (int i = 0; i < names.length; i++) {
            names[i] = String.valueOf(i);
        }
        outputs(outputs, expected, List.of(names));
    }

    /**
     * A gradient written in place: output dx (index 0) is the dy tensor (input index 1) itself, and dy is writable.
     *
     * @param inputs  the op's inputs, dy at index 1
     * @param outputs the op's outputs, dx at index 0
     * @throws IllegalArgumentException naming output dx or input dy when either does not hold
     */
    public final void dxOverDy(List<Tensor> inputs, List<Tensor> outputs) {
        if (outputs.get(0) != inputs.get(1)) {
            throw fail("output dx", "the dy tensor itself (attribute inPlace=true)", "another tensor");
        }
        if (inputs.get(1).isReadOnly()) {
            throw fail("input dy", "a writable tensor (attribute inPlace=true)", "a read-only tensor");
        }
    }

    /**
     * The types of tensors, for re-checking at planning time what {@code outputTypes} checked.
     *
     * @param tensors the tensors
     * @return their types, in order
     */
    public static List<TensorType> types(List<Tensor> tensors) {
        TensorType[] types = new TensorType[tensors.size()];
        for (int i = 0; i < types.length; i++) {
            types[i] = tensors.get(i).type();
        }
        return List.of(types);
    }
}
