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
 * MseLoss(pred, target) = mean((pred - target)^2), output [1]; pred and target of one type (any layout; NC4HW4
 * padding lanes are zero in both and add nothing, the mean divides by the logical count). Differences are squared
 * and summed in double, per fixed chunk, and the partials added in chunk order: the same bits for any thread count.
 */
final class MseLossExecution extends ChunkedExecution {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private double[] partials = new double[0];
    private long count;
    private MemorySegment pred;
    private MemorySegment target;

    MseLossExecution(Attributes attributes, CpuBackend backend) {
        super(backend);
        OpChecks.of(MathOps.MSE_LOSS).knownAttributes(attributes, Set.of());
    }

    @Override
    public List<TensorType> outputTypes(List<TensorType> inputs) {
        OpChecks.of(MathOps.MSE_LOSS).inputCount(inputs, 2, "pred, target");
        OpChecks.of(MathOps.MSE_LOSS).float32("input pred", inputs.get(0));
        OpChecks.of(MathOps.MSE_LOSS).sameType("input target", inputs.get(1), "pred", inputs.get(0));
        if (inputs.get(0).elementCount() == 0) {
            throw OpChecks.of(MathOps.MSE_LOSS).fail("input pred", "at least one element", inputs.get(0));
        }
        return List.of(TensorType.float32(1));
    }

    @Override
    void resized(List<TensorType> inputs) {
        count = inputs.get(0).elementCount();
        int chunks = chunks(inputs.get(0).storageElementCount());
        if (partials.length != chunks) {
            partials = new double[chunks];
        }
    }

    @Override
    public void onExecute(List<Tensor> inputs, List<Tensor> outputs) {
        pred = inputs.get(0).segment();
        target = inputs.get(1).segment();
        try {
            forChunks(pred.byteSize() / Float.BYTES);
        } finally {
            pred = null;
            target = null;
        }
        double sum = 0;
        for (double p : partials) {
            sum += p;
        }
        outputs.get(0).segment().setAtIndex(F, 0, (float) (sum / count));
    }

    @Override
    void chunk(int index, long from, long to) {
        MemorySegment p = pred;
        MemorySegment t = target;
        double sum = 0;
        for (long i = from; i < to; i++) {
            double d = (double) p.getAtIndex(F, i) - t.getAtIndex(F, i);
            sum += d * d;
        }
        partials[index] = sum;
    }

    @Override
    public String name() {
        return MathOps.MSE_LOSS;
    }
}
