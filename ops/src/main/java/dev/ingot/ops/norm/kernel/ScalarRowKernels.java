package dev.ingot.ops.norm.kernel;

import static dev.ingot.ops.norm.kernel.StatsLayout.SHIFT;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_DY;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_DY_X;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_SQ;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_X;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Plain Java channels-last kernels: the loops run along the memory order (rows outside, channels inside) with one
 * double accumulator per channel in the stats array, so no transposing copy is needed.
 */
final class ScalarRowKernels implements RowKernels {
    static final ScalarRowKernels INSTANCE = new ScalarRowKernels();

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private ScalarRowKernels() {
    }

    @Override
    public void means(MemorySegment x, long offset, long rows, int channels, double[] stats, int base) {
        final int acc = base + SHIFT * channels;
        for (int c = 0; c < channels; c++) {
            stats[acc + c] = 0;
        }
        for (long r = 0; r < rows; r++) {
            final long row = offset + r * channels;
            for (int c = 0; c < channels; c++) {
                stats[acc + c] += x.getAtIndex(F32, row + c);
            }
        }
        for (int c = 0; c < channels; c++) {
            stats[acc + c] /= rows;
        }
    }

    @Override
    public void centredSums(MemorySegment x, long offset, long rows, int channels, double[] stats, int base) {
        final int shift = base + SHIFT * channels;
        final int sum = base + SUM_X * channels;
        final int sq = base + SUM_SQ * channels;
        for (int c = 0; c < channels; c++) {
            stats[sum + c] = 0;
            stats[sq + c] = 0;
        }
        for (long r = 0; r < rows; r++) {
            final long row = offset + r * channels;
            for (int c = 0; c < channels; c++) {
                double d = x.getAtIndex(F32, row + c) - stats[shift + c];
                stats[sum + c] += d;
                stats[sq + c] += d * d;
            }
        }
    }

    @Override
    public void gradSums(MemorySegment x, long xOffset, MemorySegment dy, long dyOffset, long rows, int channels,
                         double[] stats, int base) {
        final int shift = base + SHIFT * channels;
        final int sum = base + SUM_X * channels;
        final int sq = base + SUM_SQ * channels;
        final int sumDy = base + SUM_DY * channels;
        final int sumDyX = base + SUM_DY_X * channels;
        for (int c = 0; c < channels; c++) {
            stats[sum + c] = 0;
            stats[sq + c] = 0;
            stats[sumDy + c] = 0;
            stats[sumDyX + c] = 0;
        }
        for (long r = 0; r < rows; r++) {
            final long row = r * channels;
            for (int c = 0; c < channels; c++) {
                double d = x.getAtIndex(F32, xOffset + row + c) - stats[shift + c];
                double g = dy.getAtIndex(F32, dyOffset + row + c);
                stats[sum + c] += d;
                stats[sq + c] += d * d;
                stats[sumDy + c] += g;
                stats[sumDyX + c] += g * d;
            }
        }
    }

    @Override
    public void normalize(MemorySegment x, long xOffset, MemorySegment y, long yOffset, long rows, int channels,
                          double[] mean, double[] scale, double[] bias, int param) {
        for (long r = 0; r < rows; r++) {
            final long row = r * channels;
            for (int c = 0; c < channels; c++) {
                double v = (x.getAtIndex(F32, xOffset + row + c) - mean[param + c]) * scale[param + c]
                        + bias[param + c];
                y.setAtIndex(F32, yOffset + row + c, (float) v);
            }
        }
    }

    @Override
    public void gradInput(MemorySegment x, long xOffset, MemorySegment dy, long dyOffset, MemorySegment dx,
                          long dxOffset, long rows, int channels,
                          double[] meanX, double[] meanDy, double[] a, double[] b, int param) {
        for (long r = 0; r < rows; r++) {
            final long row = r * channels;
            for (int c = 0; c < channels; c++) {
                int p = param + c;
                double v = a[p] * (dy.getAtIndex(F32, dyOffset + row + c) - meanDy[p])
                        + b[p] * (x.getAtIndex(F32, xOffset + row + c) - meanX[p]);
                dx.setAtIndex(F32, dxOffset + row + c, (float) v);
            }
        }
    }
}
