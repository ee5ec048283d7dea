package dev.ingot.ops.norm.kernel;

import static dev.ingot.ops.norm.kernel.DoubleLanes.D;
import static dev.ingot.ops.norm.kernel.DoubleLanes.F;
import static dev.ingot.ops.norm.kernel.DoubleLanes.F32;
import static dev.ingot.ops.norm.kernel.DoubleLanes.LANES;
import static dev.ingot.ops.norm.kernel.DoubleLanes.ORDER;
import static dev.ingot.ops.norm.kernel.StatsLayout.SHIFT;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_DY;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_DY_X;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_SQ;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_X;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;

/**
 * Channels-last kernels on the Vector API: a vector holds adjacent channels of one row, so each lane is one
 * channel's running sum, kept in registers while the rows go by (blocks of channels outside, rows inside; a unit
 * is small enough that the rows stay in cache across blocks). Channels left over after the last full vector are
 * done one at a time. Lane for lane the arithmetic is that of {@link ScalarRowKernels}, so the results are bitwise
 * the same. Only {@link VectorKernelSet} loads this class, and only when {@code jdk.incubator.vector} is present.
 */
final class VectorRowKernels implements RowKernels {
    /** Created by {@link VectorKernelSet}; throws when the platform has no usable vector shape. */
    VectorRowKernels() {
        DoubleLanes.requireUsable();
    }

    /** Channels covered by full vectors. */
    private static int vectorChannels(int channels) {
        return channels - channels % LANES;
    }

    @Override
    public void means(MemorySegment x, long offset, long rows, int channels, double[] stats, int base) {
        final int out = base + SHIFT * channels;
        final int full = vectorChannels(channels);
        for (int c = 0; c < full; c += LANES) {
            DoubleVector sum = DoubleVector.zero(D);
            for (long r = 0; r < rows; r++) {
                sum = sum.add(((DoubleVector) FloatVector.fromMemorySegment(F, x, (offset + r * channels + c) * Float.BYTES, ORDER).castShape(D, 0)));
            }
            sum.div(rows).intoArray(stats, out + c);
        }
        for (int c = full; c < channels; c++) {
            double sum = 0;
            for (long r = 0; r < rows; r++) {
                sum += x.getAtIndex(F32, offset + r * channels + c);
            }
            stats[out + c] = sum / rows;
        }
    }

    @Override
    public void centredSums(MemorySegment x, long offset, long rows, int channels, double[] stats, int base) {
        final int shift = base + SHIFT * channels;
        final int sumAt = base + SUM_X * channels;
        final int sqAt = base + SUM_SQ * channels;
        final int full = vectorChannels(channels);
        for (int c = 0; c < full; c += LANES) {
            DoubleVector s = DoubleVector.fromArray(D, stats, shift + c);
            DoubleVector sum = DoubleVector.zero(D);
            DoubleVector sq = DoubleVector.zero(D);
            for (long r = 0; r < rows; r++) {
                DoubleVector d = ((DoubleVector) FloatVector.fromMemorySegment(F, x, (offset + r * channels + c) * Float.BYTES, ORDER).castShape(D, 0)).sub(s);
                sum = sum.add(d);
                sq = sq.add(d.mul(d));
            }
            sum.intoArray(stats, sumAt + c);
            sq.intoArray(stats, sqAt + c);
        }
        for (int c = full; c < channels; c++) {
            double s = stats[shift + c];
            double sum = 0, sq = 0;
            for (long r = 0; r < rows; r++) {
                double d = x.getAtIndex(F32, offset + r * channels + c) - s;
                sum += d;
                sq += d * d;
            }
            stats[sumAt + c] = sum;
            stats[sqAt + c] = sq;
        }
    }

    @Override
    public void gradSums(MemorySegment x, long xOffset, MemorySegment dy, long dyOffset, long rows, int channels,
                         double[] stats, int base) {
        final int shift = base + SHIFT * channels;
        final int sumAt = base + SUM_X * channels;
        final int sqAt = base + SUM_SQ * channels;
        final int dyAt = base + SUM_DY * channels;
        final int dyXAt = base + SUM_DY_X * channels;
        final int full = vectorChannels(channels);
        for (int c = 0; c < full; c += LANES) {
            DoubleVector s = DoubleVector.fromArray(D, stats, shift + c);
            DoubleVector sum = DoubleVector.zero(D);
            DoubleVector sq = DoubleVector.zero(D);
            DoubleVector sumDy = DoubleVector.zero(D);
            DoubleVector sumDyX = DoubleVector.zero(D);
            for (long r = 0; r < rows; r++) {
                long row = r * channels + c;
                DoubleVector d = ((DoubleVector) FloatVector.fromMemorySegment(F, x, (xOffset + row) * Float.BYTES, ORDER).castShape(D, 0)).sub(s);
                DoubleVector g = ((DoubleVector) FloatVector.fromMemorySegment(F, dy, (dyOffset + row) * Float.BYTES, ORDER).castShape(D, 0));
                sum = sum.add(d);
                sq = sq.add(d.mul(d));
                sumDy = sumDy.add(g);
                sumDyX = sumDyX.add(g.mul(d));
            }
            sum.intoArray(stats, sumAt + c);
            sq.intoArray(stats, sqAt + c);
            sumDy.intoArray(stats, dyAt + c);
            sumDyX.intoArray(stats, dyXAt + c);
        }
        for (int c = full; c < channels; c++) {
            double s = stats[shift + c];
            double sum = 0, sq = 0, sumDy = 0, sumDyX = 0;
            for (long r = 0; r < rows; r++) {
                long row = r * channels + c;
                double d = x.getAtIndex(F32, xOffset + row) - s;
                double g = dy.getAtIndex(F32, dyOffset + row);
                sum += d;
                sq += d * d;
                sumDy += g;
                sumDyX += g * d;
            }
            stats[sumAt + c] = sum;
            stats[sqAt + c] = sq;
            stats[dyAt + c] = sumDy;
            stats[dyXAt + c] = sumDyX;
        }
    }

    @Override
    public void normalize(MemorySegment x, long xOffset, MemorySegment y, long yOffset, long rows, int channels,
                          double[] mean, double[] scale, double[] bias, int param) {
        final int full = vectorChannels(channels);
        for (int c = 0; c < full; c += LANES) {
            DoubleVector m = DoubleVector.fromArray(D, mean, param + c);
            DoubleVector k = DoubleVector.fromArray(D, scale, param + c);
            DoubleVector b = DoubleVector.fromArray(D, bias, param + c);
            for (long r = 0; r < rows; r++) {
                long row = r * channels + c;
                ((FloatVector) ((DoubleVector) FloatVector.fromMemorySegment(F, x, (xOffset + row) * Float.BYTES, ORDER).castShape(D, 0)).sub(m).mul(k).add(b).castShape(F, 0)).intoMemorySegment(y, (yOffset + row) * Float.BYTES, ORDER);
            }
        }
        for (int c = full; c < channels; c++) {
            int p = param + c;
            for (long r = 0; r < rows; r++) {
                long row = r * channels + c;
                double v = (x.getAtIndex(F32, xOffset + row) - mean[p]) * scale[p] + bias[p];
                y.setAtIndex(F32, yOffset + row, (float) v);
            }
        }
    }

    @Override
    public void gradInput(MemorySegment x, long xOffset, MemorySegment dy, long dyOffset, MemorySegment dx,
                          long dxOffset, long rows, int channels,
                          double[] meanX, double[] meanDy, double[] a, double[] b, int param) {
        final int full = vectorChannels(channels);
        for (int c = 0; c < full; c += LANES) {
            DoubleVector mx = DoubleVector.fromArray(D, meanX, param + c);
            DoubleVector mdy = DoubleVector.fromArray(D, meanDy, param + c);
            DoubleVector va = DoubleVector.fromArray(D, a, param + c);
            DoubleVector vb = DoubleVector.fromArray(D, b, param + c);
            for (long r = 0; r < rows; r++) {
                long row = r * channels + c;
                DoubleVector g = va.mul(((DoubleVector) FloatVector.fromMemorySegment(F, dy, (dyOffset + row) * Float.BYTES, ORDER).castShape(D, 0)).sub(mdy));
                DoubleVector d = vb.mul(((DoubleVector) FloatVector.fromMemorySegment(F, x, (xOffset + row) * Float.BYTES, ORDER).castShape(D, 0)).sub(mx));
                ((FloatVector) g.add(d).castShape(F, 0)).intoMemorySegment(dx, (dxOffset + row) * Float.BYTES, ORDER);
            }
        }
        for (int c = full; c < channels; c++) {
            int p = param + c;
            for (long r = 0; r < rows; r++) {
                long row = r * channels + c;
                double v = a[p] * (dy.getAtIndex(F32, dyOffset + row) - meanDy[p])
                        + b[p] * (x.getAtIndex(F32, xOffset + row) - meanX[p]);
                dx.setAtIndex(F32, dxOffset + row, (float) v);
            }
        }
    }
}
