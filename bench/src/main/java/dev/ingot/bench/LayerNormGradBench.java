package dev.ingot.bench;

import dev.ingot.ops.norm.LayerNorm;
import dev.ingot.runtime.Shape;
import org.openjdk.jmh.annotations.Param;

/** LayerNorm forward and LayerNormGrad over the last dimension. */
public class LayerNormGradBench extends RowNormBenchBase {
    /** Input shape; the last dimension is normalized. */
    @Param({"4096x1024", "64x197x768"})
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
        return new Op(LayerNorm.OP_TYPE, LayerNorm.GRAD_OP_TYPE, affine(true, LayerNorm.AXIS, -1),
                affine(true, LayerNorm.AXIS, -1), Shape.of(x.dim(x.rank() - 1)), true);
    }
}
