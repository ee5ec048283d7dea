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
 * BroadcastTo(x, like): repeats x to the shape of {@code like}, whose values are not read. x is [1] (one value
 * everywhere) or has like's rank with every dimension 1 or equal to like's. The backward of Sum and Mean.
 */
final class BroadcastExecution extends ChunkedExecution {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private final long[] outDims = new long[Shape.MAX_RANK];
    private final long[] inStrides = new long[Shape.MAX_RANK];
    private int rank;
    private MemorySegment in;
    private MemorySegment out;

    BroadcastExecution(Attributes attributes, CpuBackend backend) {
        super(backend);
        OpChecks.of(MathOps.BROADCAST_TO).knownAttributes(attributes, Set.of());
    }

    @Override
    public List<TensorType> outputTypes(List<TensorType> inputs) {
        String op = MathOps.BROADCAST_TO;
        OpChecks.of(op).inputCount(inputs, 2, "x, like");
        TensorType x = inputs.get(0);
        TensorType like = inputs.get(1);
        OpChecks.of(op).denseNchw("input x", x);
        OpChecks.of(op).denseNchw("input like", like);
        if (x.elementCount() != 1 || x.shape().rank() != 1) {
            if (x.shape().rank() != like.shape().rank()) {
                throw OpChecks.of(op).fail("input x", "shape [1] or rank " + like.shape().rank() + " (the rank of like "
                        + like.shape() + ")", x.shape());
            }
            for (int i = 0; i < x.shape().rank(); i++) {
                long d = x.shape().dim(i);
                if (d != 1 && d != like.shape().dim(i)) {
                    throw OpChecks.of(op).fail("input x", "dimension " + i + " of 1 or " + like.shape().dim(i)
                            + " to broadcast to " + like.shape(), x.shape());
                }
            }
        }
        return List.of(like);
    }

    @Override
    void resized(List<TensorType> inputs) {
        Shape x = inputs.get(0).shape();
        Shape like = inputs.get(1).shape();
        rank = like.rank();
        boolean scalar = x.rank() == 1 && x.elementCount() == 1;
        long stride = 1;
        for (int i = rank - 1; i >= 0; i--) {
            outDims[i] = like.dim(i);
            long d = scalar ? 1 : x.dim(i);
            inStrides[i] = d == 1 ? 0 : stride;
            stride *= d;
        }
    }

    @Override
    public void onExecute(List<Tensor> inputs, List<Tensor> outputs) {
        in = inputs.get(0).segment();
        out = outputs.get(0).segment();
        try {
            forChunks(outputs.get(0).elementCount());
        } finally {
            in = null;
            out = null;
        }
    }

    @Override
    void chunk(int index, long from, long to) {
        for (long j = from; j < to; j++) {
            long rest = j;
            long offset = 0;
            for (int i = rank - 1; i >= 0; i--) {
                long d = outDims[i];
                long q = rest / d;
                offset += (rest - q * d) * inStrides[i];
                rest = q;
            }
            out.setAtIndex(F, j, in.getAtIndex(F, offset));
        }
    }

    @Override
    public String name() {
        return MathOps.BROADCAST_TO;
    }
}
