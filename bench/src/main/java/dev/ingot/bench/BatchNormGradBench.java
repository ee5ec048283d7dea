package dev.ingot.bench;

import dev.ingot.ops.norm.BatchNorm;
import dev.ingot.runtime.Shape;
import org.openjdk.jmh.annotations.Param;

/** BatchNorm forward in training mode (batch statistics) and BatchNormGrad from them. */
public class BatchNormGradBench extends RowNormBenchBase {
    /** Input shape [N, C, H, W]. */
    @Param({"32x64x56x56", "256x256x7x7"})
    public String shape;

    /** Threads, the caller included. */
    @Param({"1", "2"})
    public int threads;

    @Override
    protected String shapeParam() {
        return shape;
    }

    @Override
    protected int threadsParam() {
        return threads;
    }

    @Override
    protected Op op(Shape x, String suffix) {
        return new Op(BatchNorm.OP_TYPE, BatchNorm.GRAD_OP_TYPE, affine(true, BatchNorm.TRAINING, true),
                affine(true, BatchNorm.TRAINING, true), Shape.of(x.dim(1)), true);
    }
}
