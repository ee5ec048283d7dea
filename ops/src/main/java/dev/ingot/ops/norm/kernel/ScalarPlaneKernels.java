package dev.ingot.ops.norm.kernel;

import static dev.ingot.ops.norm.kernel.StatsLayout.SHIFT;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_DY;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_DY_ERR;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_DY_SQ;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_DY_X;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_DY_X_ERR;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_SQ;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_X;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_X_ERR;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Plain Java plane kernels: the fallback when the Vector API is absent, and the reference the vector ones are tested against. */
final class ScalarPlaneKernels implements PlaneKernels {
    static final ScalarPlaneKernels INSTANCE = new ScalarPlaneKernels();

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private ScalarPlaneKernels() {
    }

    @Override
    public double sum(MemorySegment x, long offset, long count) {
        // Four accumulators hide the add latency; their order of combination is fixed.
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        long i = offset;
        final long end = offset + count;
        for (; i + 4 <= end; i += 4) {
            s0 += x.getAtIndex(F32, i);
            s1 += x.getAtIndex(F32, i + 1);
            s2 += x.getAtIndex(F32, i + 2);
            s3 += x.getAtIndex(F32, i + 3);
        }
        for (; i < end; i++) {
            s0 += x.getAtIndex(F32, i);
        }
        return (s0 + s1) + (s2 + s3);
    }

    @Override
    public void centredSums(MemorySegment x, long offset, long count, double[] stats, int base) {
        final double shift = stats[base + SHIFT];
        double sum = 0, sq = 0;
        final long end = offset + count;
        for (long i = offset; i < end; i++) {
            double d = x.getAtIndex(F32, i) - shift;
            sum += d;
            sq += d * d;
        }
        stats[base + SUM_X] = sum;
        stats[base + SUM_SQ] = sq;
        stats[base + SUM_X_ERR] = 0;
    }

    @Override
    public void gradSums(MemorySegment x, long xOffset, MemorySegment dy, long dyOffset, long count,
                         double[] stats, int base) {
        final double shift = stats[base + SHIFT];
        double sum = 0, sq = 0, sumDy = 0, sumDyX = 0, sumDySq = 0;
        for (long i = 0; i < count; i++) {
            double d = x.getAtIndex(F32, xOffset + i) - shift;
            double g = dy.getAtIndex(F32, dyOffset + i);
            sum += d;
            sq += d * d;
            sumDy += g;
            sumDyX += g * d;
            sumDySq += g * g;
        }
        stats[base + SUM_X] = sum;
        stats[base + SUM_SQ] = sq;
        stats[base + SUM_DY] = sumDy;
        stats[base + SUM_DY_X] = sumDyX;
        stats[base + SUM_DY_SQ] = sumDySq;
        stats[base + SUM_X_ERR] = 0;
        stats[base + SUM_DY_ERR] = 0;
        stats[base + SUM_DY_X_ERR] = 0;
    }

    @Override
    public void centredSumsInDouble(MemorySegment x, long offset, long count, double[] stats, int base) {
        centredSums(x, offset, count, stats, base);
    }

    /** Always false: every sum here is in double. */
    @Override
    public boolean sumsInFloat(long count) {
        return false;
    }

    @Override
    public void gradSumsInDouble(MemorySegment x, long xOffset, MemorySegment dy, long dyOffset, long count,
                                 double[] stats, int base) {
        gradSums(x, xOffset, dy, dyOffset, count, stats, base);
    }

    @Override
    public void normalize(MemorySegment x, long xOffset, MemorySegment y, long yOffset, long count,
                          double mean, double scale, double bias) {
        final float meanF = (float) mean;
        final float scaleF = (float) scale;
        final float biasF = (float) (bias - (mean - meanF) * scale);
        for (long i = 0; i < count; i++) {
            y.setAtIndex(F32, yOffset + i, (x.getAtIndex(F32, xOffset + i) - meanF) * scaleF + biasF);
        }
    }

    @Override
    public void gradInput(MemorySegment x, long xOffset, MemorySegment dy, long dyOffset, MemorySegment dx,
                          long dxOffset, long count, double meanX, double meanDy, double a, double b) {
        for (long i = 0; i < count; i++) {
            double v = a * (dy.getAtIndex(F32, dyOffset + i) - meanDy) + b * (x.getAtIndex(F32, xOffset + i) - meanX);
            dx.setAtIndex(F32, dxOffset + i, (float) v);
        }
    }

    @Override
    public void gradInputFloat(MemorySegment x, long xOffset, MemorySegment dy, long dyOffset, MemorySegment dx,
                               long dxOffset, long count, double meanX, double meanDy, double a, double b) {
        final float meanXF = (float) meanX;
        final float meanDyF = (float) meanDy;
        final float aF = (float) a;
        final float bF = (float) b;
        final float cF = (float) (-a * (meanDy - meanDyF) - b * (meanX - meanXF));
        for (long i = 0; i < count; i++) {
            float g = (dy.getAtIndex(F32, dyOffset + i) - meanDyF) * aF;
            float d = (x.getAtIndex(F32, xOffset + i) - meanXF) * bF + cF;
            dx.setAtIndex(F32, dxOffset + i, g + d);
        }
    }
}
