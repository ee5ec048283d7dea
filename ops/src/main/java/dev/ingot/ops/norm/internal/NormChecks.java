package dev.ingot.ops.norm.internal;

import dev.ingot.ops.norm.kernel.NormGeometry;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.DType;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Argument checks shared by the two ops. Every failure is an {@link IllegalArgumentException} with a one-line
 * message naming the op, the argument, what was expected and what came.
 */
final class NormChecks {
    /** Largest N*C: the per-instance scratch holds five doubles per instance in one array. */
    static final long MAX_INSTANCES = Integer.MAX_VALUE / 8;

    private final String op;

    NormChecks(String op) {
        this.op = op;
    }

    IllegalArgumentException fail(String argument, String expected, Object got) {
        return new IllegalArgumentException(op + ": " + argument + ": expected " + expected + ", got " + got);
    }

    /** Rejects attribute names the op does not know (a typo would otherwise silently take the default). */
    void knownAttributes(Attributes attributes, Set<String> known) {
        for (String name : attributes.names()) {
            if (!known.contains(name)) {
                throw fail("attribute '" + name + "'", "one of " + known.stream().sorted().toList(), "unknown name");
            }
        }
    }

    double eps(Attributes attributes, double defaultEps) {
        double eps = attributes.getDouble("eps", defaultEps);
        if (!(eps > 0) || Double.isInfinite(eps)) {
            throw fail("attribute eps", "a finite value > 0", eps);
        }
        return eps;
    }

    void inputCount(List<?> inputs, int expected, String names) {
        if (inputs.size() != expected) {
            throw fail("inputs", expected + " (" + names + ")", inputs.size());
        }
    }

    void outputCount(List<?> outputs, int expected, String names) {
        if (outputs.size() != expected) {
            throw fail("outputs", expected + " (" + names + ")", outputs.size());
        }
    }

    /** x (or dy): float32, rank 3 to 5, NCHW or channels-last, no zero-size dimension, N*C within bounds. */
    void data(String name, TensorType t) {
        dtype(name, t);
        Shape s = t.shape();
        if (s.rank() < 3 || s.rank() > 5) {
            throw fail(name, "rank 3, 4 or 5 ([N, C, L], [N, C, H, W] or [N, C, D, H, W])",
                    "rank " + s.rank() + " " + s);
        }
        if (t.layout() != Layout.NCHW && t.layout() != Layout.CHANNELS_LAST) {
            throw fail(name, "layout NCHW or CHANNELS_LAST", t.layout());
        }
        if (Arrays.stream(s.dims()).anyMatch(d -> d == 0)) {
            throw fail(name, "every dimension > 0", s);
        }
        if (s.dim(0) * s.dim(1) > MAX_INSTANCES) {
            throw fail(name, "N * C <= " + MAX_INSTANCES, s.dim(0) * s.dim(1) + " for " + s);
        }
    }

    /** dy: the shape, dtype and layout of x. */
    void sameAsX(String name, TensorType t, TensorType x) {
        dtype(name, t);
        if (!t.shape().equals(x.shape())) {
            throw fail(name, "shape " + x.shape() + " (the shape of x)", t.shape());
        }
        if (t.layout() != x.layout()) {
            throw fail(name, "layout " + x.layout() + " (the layout of x)", t.layout());
        }
    }

    /** gamma / beta: float32 [C]. */
    void perChannel(String name, TensorType t, TensorType x) {
        dtype(name, t);
        Shape expected = Shape.of(x.shape().dim(1));
        if (!t.shape().equals(expected)) {
            throw fail(name, "shape " + expected + " (C of x " + x.shape() + ")", t.shape());
        }
        dense(name, t);
    }

    /** Saved mean / invstd: float32 [N, C]. */
    void perInstance(String name, TensorType t, TensorType x) {
        dtype(name, t);
        Shape expected = statsShape(x);
        if (!t.shape().equals(expected)) {
            throw fail(name, "shape " + expected + " ([N, C] of x " + x.shape() + ")", t.shape());
        }
        dense(name, t);
    }

    static Shape statsShape(TensorType x) {
        return Shape.of(x.shape().dim(0), x.shape().dim(1));
    }

    /** Each output tensor is writable and has exactly the type the op declared for it. */
    void outputs(List<Tensor> outputs, List<TensorType> expected, List<String> names) {
        outputCount(outputs, expected.size(), String.join(", ", names));
        for (int i = 0; i < expected.size(); i++) {
            TensorType got = outputs.get(i).type();
            if (!got.equals(expected.get(i))) {
                throw fail("output " + names.get(i), "type " + expected.get(i), got);
            }
            if (outputs.get(i).isReadOnly()) {
                throw fail("output " + names.get(i), "a writable tensor", "a read-only tensor");
            }
        }
    }

    private void dtype(String name, TensorType t) {
        if (t.dtype() != DType.FLOAT32) {
            throw fail(name, "dtype float32", t.dtype());
        }
    }

    private void dense(String name, TensorType t) {
        if (t.layout() == Layout.NC4HW4) {
            throw fail(name, "a dense layout (NCHW)", t.layout());
        }
    }

    /** The work geometry of a validated x; refused when its scratch would not fit in arrays. */
    NormGeometry geometry(TensorType x) {
        try {
            NormGeometry g = NormGeometry.of(Math.toIntExact(x.shape().dim(0)), Math.toIntExact(x.shape().dim(1)),
                    x.spatialSize(), x.layout() == Layout.CHANNELS_LAST, NormGeometry.DEFAULT_CHUNK_ELEMENTS);
            g.statsLength(); // throws now, not during a run, when the scratch would not fit an array
            return g;
        } catch (ArithmeticException | IllegalArgumentException e) {
            throw fail("input x", "a shape whose work units fit the scratch arrays (N*C <= "
                    + NormGeometry.MAX_INSTANCES + ")", x.shape());
        }
    }

    static TensorType float32(Shape shape) {
        return new TensorType(shape, DType.FLOAT32, Layout.NCHW);
    }
}
