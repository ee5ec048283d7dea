package dev.ingot.ops.math;

import dev.ingot.ops.internal.OpChecks;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Set;

/**
 * Add, Sub, Mul (two inputs of one type), Square and MulScalar (one input): elementwise over the storage, any
 * layout (NC4HW4 padding lanes hold zeros in, zeros out). The output has the type of the first input.
 */
final class ElementwiseExecution extends ChunkedExecution {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    /** The operation. */
    enum Kind { ADD, SUB, MUL, SQUARE, MUL_SCALAR }

    private final Kind kind;
    private final String op;
    private final float factor;
    private MemorySegment a;
    private MemorySegment b;
    private MemorySegment out;

    ElementwiseExecution(Kind kind, String op, Attributes attributes, CpuBackend backend) {
        super(backend);
        this.kind = kind;
        this.op = op;
        OpChecks.of(op).knownAttributes(attributes, kind == Kind.MUL_SCALAR ? Set.of(MathOps.FACTOR) : Set.of());
        double f = attributes.getDouble(MathOps.FACTOR, 1.0);
        if (kind == Kind.MUL_SCALAR && (!attributes.has(MathOps.FACTOR) || !Double.isFinite(f))) {
            throw OpChecks.of(op).fail("attribute " + MathOps.FACTOR, "a finite number",
                    attributes.has(MathOps.FACTOR) ? f : "none");
        }
        this.factor = (float) f;
    }

    private boolean binary() {
        return kind == Kind.ADD || kind == Kind.SUB || kind == Kind.MUL;
    }

    @Override
    public List<TensorType> outputTypes(List<TensorType> inputs) {
        OpChecks.of(op).inputCount(inputs, binary() ? 2 : 1, binary() ? "a, b" : "x");
        OpChecks.of(op).float32(binary() ? "input a" : "input x", inputs.get(0));
        if (binary()) {
            OpChecks.of(op).sameType("input b", inputs.get(1), "a", inputs.get(0));
        }
        return List.of(inputs.get(0));
    }

    @Override
    public void onExecute(List<Tensor> inputs, List<Tensor> outputs) {
        a = inputs.get(0).segment();
        b = binary() ? inputs.get(1).segment() : null;
        out = outputs.get(0).segment();
        try {
            forChunks(out.byteSize() / Float.BYTES);
        } finally {
            a = null;
            b = null;
            out = null;
        }
    }

    @Override
    void chunk(int index, long from, long to) {
        MemorySegment x = a;
        MemorySegment y = b;
        MemorySegment z = out;
        switch (kind) {
            case ADD -> {
                for (long i = from; i < to; i++) {
                    z.setAtIndex(F, i, x.getAtIndex(F, i) + y.getAtIndex(F, i));
                }
            }
            case SUB -> {
                for (long i = from; i < to; i++) {
                    z.setAtIndex(F, i, x.getAtIndex(F, i) - y.getAtIndex(F, i));
                }
            }
            case MUL -> {
                for (long i = from; i < to; i++) {
                    z.setAtIndex(F, i, x.getAtIndex(F, i) * y.getAtIndex(F, i));
                }
            }
            case SQUARE -> {
                for (long i = from; i < to; i++) {
                    float v = x.getAtIndex(F, i);
                    z.setAtIndex(F, i, v * v);
                }
            }
            case MUL_SCALAR -> {
                float f = factor;
                for (long i = from; i < to; i++) {
                    z.setAtIndex(F, i, x.getAtIndex(F, i) * f);
                }
            }
        }
    }

    @Override
    public String name() {
        return op;
    }
}
