package dev.ingot.ops.norm.kernel;

import jdk.incubator.vector.FloatVector;

/**
 * The Vector API kernels. {@link Kernels} creates this class reflectively, and only when {@code jdk.incubator.vector}
 * is in the boot layer, so that nothing else in the module links against the incubator classes.
 */
final class VectorKernelSet extends KernelSet {
    private final PlaneKernels plane;
    private final RowKernels rows;
    private final RunKernels runs;

    /** Throws {@link UnsupportedOperationException} when the platform has no usable vector shape. */
    VectorKernelSet(String reason, CacheSizes caches) {
        super(reason, caches);
        this.plane = new VectorPlaneKernels();
        this.rows = new VectorRowKernels();
        this.runs = new VectorRunKernels();
    }

    /** Bits of the preferred float species, read without creating the kernels. */
    static int preferredBits() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize();
    }

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public PlaneKernels plane() {
        return plane;
    }

    @Override
    public RowKernels rows() {
        return rows;
    }

    @Override
    public RunKernels runs() {
        return runs;
    }

    @Override
    public boolean fma() {
        return FusedMultiplyAdd.ENABLED;
    }

    @Override
    public int vectorBits() {
        return preferredBits();
    }
}
