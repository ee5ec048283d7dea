package dev.ingot.ops.math;

import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.DType;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.util.List;
import java.util.Set;

/** Argument checks of the math ops: one-line {@link IllegalArgumentException}s naming op, argument, expected, got. */
final class MathChecks {
    private MathChecks() {
    }

    static IllegalArgumentException fail(String op, String argument, String expected, Object got) {
        return new IllegalArgumentException(op + ": " + argument + ": expected " + expected + ", got " + got);
    }

    static void knownAttributes(String op, Attributes attributes, Set<String> known) {
        for (String name : attributes.names()) {
            if (!known.contains(name)) {
                throw fail(op, "attribute '" + name + "'", known.isEmpty() ? "no attributes"
                        : "one of " + known.stream().sorted().toList(), "unknown name");
            }
        }
    }

    static void count(String op, List<TensorType> inputs, int expected, String names) {
        if (inputs.size() != expected) {
            throw fail(op, "inputs", expected + " (" + names + ")", inputs.size());
        }
    }

    static void float32(String op, String name, TensorType t) {
        if (t.dtype() != DType.FLOAT32) {
            throw fail(op, name, "dtype float32", t);
        }
    }

    /** float32 in NCHW: the reductions and broadcasts index the logical order. */
    static void denseNchw(String op, String name, TensorType t) {
        float32(op, name, t);
        if (t.layout() != Layout.NCHW) {
            throw fail(op, name, "layout NCHW", t);
        }
    }

    /** {@code t} has exactly the type of {@code reference} (shape, dtype and layout). */
    static void sameType(String op, String name, TensorType t, String referenceName, TensorType reference) {
        if (!t.equals(reference)) {
            throw fail(op, name, "type " + reference + " (the type of " + referenceName + ")", t);
        }
    }

    static void outputs(String op, List<Tensor> outputs, List<TensorType> expected) {
        if (outputs.size() != expected.size()) {
            throw fail(op, "outputs", String.valueOf(expected.size()), outputs.size());
        }
        for (int i = 0; i < expected.size(); i++) {
            if (!outputs.get(i).type().equals(expected.get(i))) {
                throw fail(op, "output " + i, "type " + expected.get(i), outputs.get(i).type());
            }
        }
    }
}
