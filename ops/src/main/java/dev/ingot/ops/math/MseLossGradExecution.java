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
 * MseLossGrad(pred, target, dloss) = 2 * (pred - target) / count * dloss: the gradient of MseLoss with respect to
 * pred (swap pred and target for the target's). dloss is [1]; the output has pred's type.
 */
final class MseLossGradExecution extends ChunkedExecution {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private long count;
    private float scale;
    private MemorySegment pred;
    private MemorySegment target;
    private MemorySegment out;

    MseLossGradExecution(Attributes attributes, CpuBackend backend) {
        super(backend);
        OpChecks.of(MathOps.MSE_LOSS_GRAD).knownAttributes(attributes, Set.of());
    }

    @Override
    public List<TensorType> outputTypes(List<TensorType> inputs) {
        String op = MathOps.MSE_LOSS_GRAD;
        OpChecks.of(op).inputCount(inputs, 3, "pred, target, dloss");
        OpChecks.of(op).float32("input pred", inputs.get(0));
        OpChecks.of(op).sameType("input target", inputs.get(1), "pred", inputs.get(0));
        OpChecks.of(op).float32("input dloss", inputs.get(2));
        if (!inputs.get(2).shape().equals(Shape.of(1))) {
            throw OpChecks.of(op).fail("input dloss", "shape [1]", inputs.get(2).shape());
        }
        return List.of(inputs.get(0));
    }

    @Override
    void resized(List<TensorType> inputs) {
        count = inputs.get(0).elementCount();
    }

    @Override
    public void onExecute(List<Tensor> inputs, List<Tensor> outputs) {
        pred = inputs.get(0).segment();
        target = inputs.get(1).segment();
        out = outputs.get(0).segment();
        scale = (float) (2.0 * inputs.get(2).segment().getAtIndex(F, 0) / count);
        try {
            forChunks(out.byteSize() / Float.BYTES);
        } finally {
            pred = null;
            target = null;
            out = null;
        }
    }

    @Override
    void chunk(int index, long from, long to) {
        MemorySegment p = pred;
        MemorySegment t = target;
        MemorySegment o = out;
        float s = scale;
        for (long i = from; i < to; i++) {
            o.setAtIndex(F, i, s * (p.getAtIndex(F, i) - t.getAtIndex(F, i)));
        }
    }

    @Override
    public String name() {
        return MathOps.MSE_LOSS_GRAD;
    }
}
