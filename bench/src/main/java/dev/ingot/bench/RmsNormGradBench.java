package dev.ingot.bench;

import dev.ingot.ops.norm.LayerNorm;
import dev.ingot.ops.norm.RmsNorm;
import dev.ingot.runtime.Shape;
import org.openjdk.jmh.annotations.Param;

/** RMSNorm forward and RMSNormGrad over the last dimension, with a weight. */
public class RmsNormGradBench extends RowNormBenchBase {
    /** Input shape; the last dimension is normalized. */
    @Param({"4096x4096"})
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
        return new Op(RmsNorm.OP_TYPE, RmsNorm.GRAD_OP_TYPE, affine(false, LayerNorm.AXIS, -1),
                affine(false, LayerNorm.AXIS, -1), Shape.of(x.dim(x.rank() - 1)), false);
    }
}
