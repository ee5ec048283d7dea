package dev.ingot.ops.norm.kernel;

/**
 * The kernels a pass uses: one implementation for NCHW planes and one for channels-last rows, both scalar or both
 * Vector API (see {@link Kernels}).
 *
 * @param plane kernels over contiguous runs (NCHW)
 * @param rows  kernels over blocks of channels-last rows
 */
public record KernelSet(PlaneKernels plane, RowKernels rows) {
    public KernelSet {
        if (plane == null || rows == null) {
            throw new IllegalArgumentException("kernels: expected plane and row kernels, got " + plane + ", " + rows);
        }
    }

    @Override
    public String toString() {
        return plane.getClass().getSimpleName() + "+" + rows.getClass().getSimpleName();
    }
}
