package dev.ingot.ops.norm.kernel;

import java.lang.foreign.MemorySegment;

/**
 * Kernels over a block of channels-last rows: {@code rows} consecutive spatial positions of one batch entry, each
 * holding {@code channels} float32 values, element (r, c) at {@code offset + r * channels + c} (offsets in
 * elements).
 *
 * <p>Each channel is summed over the rows in row order, in double; partial sums use the {@link StatsLayout} with
 * {@code channels} channels per unit, and per-channel parameters are read from arrays at {@code param + c}. Since
 * every channel is its own sequential sum, all implementations give bitwise the same results. Stateless,
 * thread-safe, allocation-free.
 */
public sealed interface RowKernels permits ScalarRowKernels, VectorRowKernels {

    /** Writes each channel's mean over the block into its {@code SHIFT} field. */
    void means(MemorySegment x, long offset, long rows, int channels, double[] stats, int base);

    /** Per channel, reads {@code SHIFT} and writes {@code SUM_X} and {@code SUM_SQ}. */
    void centredSums(MemorySegment x, long offset, long rows, int channels, double[] stats, int base);

    /** Per channel, reads {@code SHIFT} and writes {@code SUM_X}, {@code SUM_SQ}, {@code SUM_DY}, {@code SUM_DY_X}. */
    void gradSums(MemorySegment x, long xOffset, MemorySegment dy, long dyOffset, long rows, int channels,
                  double[] stats, int base);

    /** Writes {@code y = (x - mean[c]) * scale[c] + bias[c]} with the parameters read at {@code param + c}. */
    void normalize(MemorySegment x, long xOffset, MemorySegment y, long yOffset, long rows, int channels,
                   double[] mean, double[] scale, double[] bias, int param);

    /** Writes {@code dx = a[c] * (dy - meanDy[c]) + b[c] * (x - meanX[c])}; dx may be the memory of dy. */
    void gradInput(MemorySegment x, long xOffset, MemorySegment dy, long dyOffset, MemorySegment dx,
                   long dxOffset, long rows, int channels,
                   double[] meanX, double[] meanDy, double[] a, double[] b, int param);
}
