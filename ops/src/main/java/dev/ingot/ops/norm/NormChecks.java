package dev.ingot.ops.norm;

import dev.ingot.ops.internal.OpChecks;
import dev.ingot.ops.norm.kernel.NormGeometry;
import dev.ingot.runtime.DType;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.TensorType;
import java.util.Arrays;
import java.util.function.ToLongFunction;

/**
 * Argument checks of the normalization ops, beside the shared ones of {@link OpChecks}. Every failure is an {@link IllegalArgumentException} with a one-line
 * message naming the op, the argument, what was expected and what came.
 */
final class NormChecks extends OpChecks {

    NormChecks(String op) {
        super(op);
    }

    /** x (or dy): float32, rank 3 to 5, NCHW or channels-last, no zero-size dimension, N*C within bounds. */
    void data(String name, TensorType t) {
        float32(name, t);
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
        if (s.dim(0) * s.dim(1) > NormGeometry.MAX_INSTANCES) {
            throw fail(name, "N * C <= " + NormGeometry.MAX_INSTANCES, s.dim(0) * s.dim(1) + " for " + s);
        }
    }

    /** dy: the shape, dtype and layout of x. */
    void sameAsX(String name, TensorType t, TensorType x) {
        float32(name, t);
        if (!t.shape().equals(x.shape())) {
            throw fail(name, "shape " + x.shape() + " (the shape of x)", t.shape());
        }
        if (t.layout() != x.layout()) {
            throw fail(name, "layout " + x.layout() + " (the layout of x)", t.layout());
        }
    }

    /** gamma / beta: float32 [C]. */
    void perChannel(String name, TensorType t, TensorType x) {
        float32(name, t);
        Shape expected = Shape.of(x.shape().dim(1));
        if (!t.shape().equals(expected)) {
            throw fail(name, "shape " + expected + " (C of x " + x.shape() + ")", t.shape());
        }
        dense(name, t);
    }

    /** Saved mean / invstd: float32 [N, C]. */
    void perInstance(String name, TensorType t, TensorType x) {
        float32(name, t);
        Shape expected = statsShape(x);
        if (!t.shape().equals(expected)) {
            throw fail(name, "shape " + expected + " ([N, C] of x " + x.shape() + ")", t.shape());
        }
        dense(name, t);
    }

    static Shape statsShape(TensorType x) {
        return Shape.of(x.shape().dim(0), x.shape().dim(1));
    }

    private void dense(String name, TensorType t) {
        if (t.layout() == Layout.NC4HW4) {
            throw fail(name, "a dense layout (NCHW)", t.layout());
        }
    }

    /**
     * The work geometry of a validated x; refused when its scratch would not fit in arrays, or when the heap
     * scratch a pass needs ({@code scratchBytes} of the geometry) exceeds the most the Java heap can ever hold
     * ({@link Runtime#maxMemory()}): sized from the shape, before anything is allocated.
     */
    NormGeometry geometry(TensorType x, ToLongFunction<NormGeometry> scratchBytes) {
        NormGeometry g;
        try {
            g = NormGeometry.of(Math.toIntExact(x.shape().dim(0)), Math.toIntExact(x.shape().dim(1)),
                    x.spatialSize(), x.layout() == Layout.CHANNELS_LAST, NormGeometry.DEFAULT_CHUNK_ELEMENTS);
            g.statsLength(); // throws now, not during a run, when the scratch would not fit an array
        } catch (ArithmeticException | IllegalArgumentException e) {
            throw fail("input x", "a shape whose work units fit the scratch arrays (N*C <= "
                    + NormGeometry.MAX_INSTANCES + ")", x.shape());
        }
        long needed = scratchBytes.applyAsLong(g);
        long heap = Runtime.getRuntime().maxMemory();
        if (needed > heap) {
            throw fail("input x", "a shape whose heap scratch fits the Java heap (" + needed + " bytes needed, at"
                    + " most " + heap + " bytes)", x.shape());
        }
        return g;
    }

    static TensorType float32Nchw(Shape shape) {
        return new TensorType(shape, DType.FLOAT32, Layout.NCHW);
    }
}
