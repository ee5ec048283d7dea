package dev.ingot.bench;

import dev.ingot.ops.norm.GroupNorm;
import dev.ingot.runtime.Shape;
import org.openjdk.jmh.annotations.Param;

/** GroupNorm forward and GroupNormGrad; shapes "NxCxHxW:gG" (G groups). */
public class GroupNormGradBench extends RowNormBenchBase {
    /** Input shape and group count. */
    @Param({"8x256x32x32:g32", "2x512x64x64:g32"})
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
        if (!suffix.startsWith("g")) {
            throw new IllegalArgumentException("shape: expected a group count suffix like ':g32', got '" + shape + "'");
        }
        long groups = Long.parseLong(suffix.substring(1));
        return new Op(GroupNorm.OP_TYPE, GroupNorm.GRAD_OP_TYPE, affine(true, GroupNorm.GROUPS, groups),
                affine(true, GroupNorm.GROUPS, groups), Shape.of(x.dim(1)), true);
    }
}
