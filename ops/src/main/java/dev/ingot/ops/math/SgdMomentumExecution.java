package dev.ingot.ops.math;

import dev.ingot.ops.internal.OpChecks;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import dev.ingot.runtime.express.SgdMomentum;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Set;

/**
 * {@value SgdMomentum#OP_TYPE}(p, v, g) -> (p, v): {@code v = momentum * v + g; p = p - lr * v}, meant to run in
 * place (outputs are the p and v tensors themselves); out of place it reads p and v and writes the outputs.
 */
final class SgdMomentumExecution extends ChunkedExecution {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private final float lr;
    private final float momentum;
    private MemorySegment p;
    private MemorySegment v;
    private MemorySegment g;
    private MemorySegment pOut;
    private MemorySegment vOut;

    SgdMomentumExecution(Attributes attributes, CpuBackend backend) {
        super(backend);
        OpChecks.of(SgdMomentum.OP_TYPE).knownAttributes(attributes,
                Set.of(SgdMomentum.LEARNING_RATE, SgdMomentum.MOMENTUM));
        if (!attributes.has(SgdMomentum.LEARNING_RATE)) {
            throw OpChecks.of(SgdMomentum.OP_TYPE).fail("attribute " + SgdMomentum.LEARNING_RATE, "a value", "none");
        }
        // the record checks the ranges and names the bad value
        SgdMomentum checked = new SgdMomentum(attributes.getDouble(SgdMomentum.LEARNING_RATE, 0),
                attributes.getDouble(SgdMomentum.MOMENTUM, 0));
        this.lr = (float) checked.learningRate();
        this.momentum = (float) checked.momentum();
    }

    @Override
    public List<TensorType> outputTypes(List<TensorType> inputs) {
        String op = SgdMomentum.OP_TYPE;
        OpChecks.of(op).inputCount(inputs, 3, "p, v, g");
        OpChecks.of(op).float32("input p", inputs.get(0));
        OpChecks.of(op).sameType("input v", inputs.get(1), "p", inputs.get(0));
        OpChecks.of(op).sameType("input g", inputs.get(2), "p", inputs.get(0));
        return List.of(inputs.get(0), inputs.get(1));
    }

    @Override
    public void onExecute(List<Tensor> inputs, List<Tensor> outputs) {
        p = inputs.get(0).segment();
        v = inputs.get(1).segment();
        g = inputs.get(2).segment();
        pOut = outputs.get(0).segment();
        vOut = outputs.get(1).segment();
        try {
            forChunks(p.byteSize() / Float.BYTES);
        } finally {
            p = null;
            v = null;
            g = null;
            pOut = null;
            vOut = null;
        }
    }

    @Override
    void chunk(int index, long from, long to) {
        for (long i = from; i < to; i++) {
            float velocity = momentum * v.getAtIndex(F, i) + g.getAtIndex(F, i);
            vOut.setAtIndex(F, i, velocity);
            pOut.setAtIndex(F, i, p.getAtIndex(F, i) - lr * velocity);
        }
    }

    @Override
    public String name() {
        return SgdMomentum.OP_TYPE;
    }
}
