package dev.ingot.ops.math;

import dev.ingot.ops.internal.OpChecks;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Set;

/**
 * Sum and Mean over the whole tensor (output [1]) or over one axis (attribute {@value MathOps#AXIS}, negative counts
 * from the end; the axis is kept with size 1). Accumulates in double: a whole-tensor reduction sums fixed chunks
 * into per-chunk partials and adds them in chunk order, so the result does not depend on the thread count.
 */
final class ReduceExecution extends ChunkedExecution {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private final String op;
    private final boolean mean;
    private final boolean whole;
    private final int axisAttribute;
    private double[] partials = new double[0];
    private long outer;
    private long extent;
    private long inner;
    private MemorySegment in;
    private MemorySegment out;

    ReduceExecution(String op, boolean mean, Attributes attributes, CpuBackend backend) {
        super(backend);
        this.op = op;
        this.mean = mean;
        OpChecks.of(op).knownAttributes(attributes, Set.of(MathOps.AXIS));
        this.whole = !attributes.has(MathOps.AXIS);
        this.axisAttribute = attributes.getInt(MathOps.AXIS, 0);
    }

    /** The reduced axis for {@code shape}, or -1 for the whole tensor. */
    private int axis(Shape shape) {
        if (whole) {
            return -1;
        }
        int axis = axisAttribute < 0 ? axisAttribute + shape.rank() : axisAttribute;
        if (axis < 0 || axis >= shape.rank()) {
            throw OpChecks.of(op).fail("attribute " + MathOps.AXIS, "an axis in " + -shape.rank() + ".."
                    + (shape.rank() - 1) + " for input x " + shape, axisAttribute);
        }
        return axis;
    }

    @Override
    public List<TensorType> outputTypes(List<TensorType> inputs) {
        OpChecks.of(op).inputCount(inputs, 1, "x");
        TensorType x = inputs.get(0);
        OpChecks.of(op).denseNchw("input x", x);
        int axis = axis(x.shape());
        if (axis < 0) {
            return List.of(TensorType.float32(1));
        }
        long[] dims = x.shape().dims();
        dims[axis] = 1;
        return List.of(x.withShape(Shape.of(dims)));
    }

    @Override
    void resized(List<TensorType> inputs) {
        Shape shape = inputs.get(0).shape();
        int axis = axis(shape);
        if (axis < 0) {
            outer = 1;
            extent = shape.elementCount();
            inner = 1;
            int chunks = chunks(extent);
            if (partials.length != chunks) {
                partials = new double[chunks];
            }
            return;
        }
        outer = 1;
        inner = 1;
        for (int i = 0; i < axis; i++) {
            outer *= shape.dim(i);
        }
        for (int i = axis + 1; i < shape.rank(); i++) {
            inner *= shape.dim(i);
        }
        extent = shape.dim(axis);
    }

    @Override
    public void onExecute(List<Tensor> inputs, List<Tensor> outputs) {
        in = inputs.get(0).segment();
        out = outputs.get(0).segment();
        try {
            if (whole) {
                forChunks(extent);
                double sum = 0;
                for (double p : partials) {
                    sum += p;
                }
                out.setAtIndex(F, 0, (float) (mean ? sum / extent : sum));
            } else {
                forChunks(outer * inner);
            }
        } finally {
            in = null;
            out = null;
        }
    }

    @Override
    void chunk(int index, long from, long to) {
        MemorySegment x = in;
        if (whole) {
            double sum = 0;
            for (long i = from; i < to; i++) {
                sum += x.getAtIndex(F, i);
            }
            partials[index] = sum;
            return;
        }
        MemorySegment y = out;
        double scale = mean ? 1.0 / extent : 1.0;
        for (long j = from; j < to; j++) {
            long o = j / inner;
            long i = j - o * inner;
            long base = o * extent * inner + i;
            double sum = 0;
            for (long a = 0; a < extent; a++) {
                sum += x.getAtIndex(F, base + a * inner);
            }
            y.setAtIndex(F, j, (float) (sum * scale));
        }
    }

    @Override
    public String name() {
        return op;
    }
}
