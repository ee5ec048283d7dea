package dev.ingot.ops.norm.kernel;

/** The plain Java kernels: the fallback when the Vector API is absent, and the reference the vector set is tested against. */
final class ScalarKernelSet extends KernelSet {

    ScalarKernelSet(String reason, CacheSizes caches) {
        super(reason, caches);
    }

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public PlaneKernels plane() {
        return ScalarPlaneKernels.INSTANCE;
    }

    @Override
    public RowKernels rows() {
        return ScalarRowKernels.INSTANCE;
    }

    @Override
    public RunKernels runs() {
        return ScalarRunKernels.INSTANCE;
    }

    @Override
    public boolean fma() {
        return false;
    }

    @Override
    public int vectorBits() {
        return 0;
    }
}
