package dev.ingot.ops.norm.kernel;

/**
 * The kernel provider: one object that holds everything the passes take from the platform — the NCHW plane
 * kernels, the channels-last row kernels, whether the vector sums fuse multiply-adds, and the cache sizes the
 * schedules fit their waves to — and says why it was chosen.
 *
 * <p>Two implementations, both package-private: {@link ScalarKernelSet} (plain Java, always available) and
 * {@link VectorKernelSet} (Vector API; its class is only loaded when {@code jdk.incubator.vector} is in the boot
 * layer). {@link Kernels} looks one up once per JVM, as Lucene's {@code VectorizationProvider} does.
 * Immutable and thread-safe.
 */
public abstract sealed class KernelSet permits ScalarKernelSet, VectorKernelSet {
    private final String reason;
    private final CacheSizes caches;

    KernelSet(String reason, CacheSizes caches) {
        if (reason == null || reason.isBlank() || caches == null) {
            throw new IllegalArgumentException("kernel set: expected a reason and cache sizes, got " + reason + ", "
                    + caches);
        }
        this.reason = reason;
        this.caches = caches;
    }

    /** {@code "vector"} or {@code "scalar"}. */
    public abstract String name();

    /** Kernels over contiguous runs (NCHW planes). */
    public abstract PlaneKernels plane();

    /** Kernels over blocks of channels-last rows. */
    public abstract RowKernels rows();

    /** Kernels over contiguous runs of the row norms (GroupNorm, LayerNorm, RMSNorm, BatchNorm), in double. */
    public abstract RunKernels runs();

    /** Whether the kernels' sums fuse multiply-adds (see {@link FusedMultiplyAdd}); never in the scalar set. */
    public abstract boolean fma();

    /** Bits per float vector the kernels use; 0 for the scalar set. */
    public abstract int vectorBits();

    /** Why this set runs: the module was found, or the fallback's cause. */
    public String reason() {
        return reason;
    }

    /** The cache sizes the passes fit their waves to. */
    public CacheSizes caches() {
        return caches;
    }

    @Override
    public String toString() {
        return name() + " (" + plane().getClass().getSimpleName() + "+" + rows().getClass().getSimpleName()
                + (vectorBits() > 0 ? ", " + vectorBits() + "-bit" : "") + (fma() ? ", FMA" : "") + "): " + reason;
    }
}
