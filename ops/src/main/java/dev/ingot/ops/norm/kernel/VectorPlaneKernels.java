package dev.ingot.ops.norm.kernel;

import static dev.ingot.ops.norm.kernel.StatsLayout.SHIFT;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_DY;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_DY_X;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_SQ;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_X;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Plane kernels on the Vector API. Only {@link Kernels} loads this class, and only when {@code jdk.incubator.vector}
 * is in the boot layer.
 *
 * <p>Floats are widened to double lanes (a float species of half the preferred double width, so both have the same
 * lane count): accumulations and the output arithmetic run in double like the scalar kernels, and only the
 * summation order differs. Tails are scalar rather than masked (masked tails can allocate). No FMA: the kernels are
 * memory-bound and FMA is emulated, and very slow, on CPUs without it.
 */
public final class VectorPlaneKernels implements PlaneKernels {
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> F =
            VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
    private static final int LANES = D.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** Created reflectively by {@link Kernels}; throws when the platform has no usable vector shape. */
    public VectorPlaneKernels() {
        if (LANES < 2 || F.length() != LANES) {
            throw new UnsupportedOperationException("no vector shape with at least 2 double lanes: " + D);
        }
    }

    /** The number of double lanes processed per step. */
    public static int lanes() {
        return LANES;
    }

    private static DoubleVector load(MemorySegment s, long index) {
        return (DoubleVector) FloatVector.fromMemorySegment(F, s, index * Float.BYTES, ORDER).castShape(D, 0);
    }

    private static void store(DoubleVector v, MemorySegment s, long index) {
        ((FloatVector) v.castShape(F, 0)).intoMemorySegment(s, index * Float.BYTES, ORDER);
    }

    @Override
    public double sum(MemorySegment x, long offset, long count) {
        DoubleVector acc0 = DoubleVector.zero(D);
        DoubleVector acc1 = DoubleVector.zero(D);
        final long end = offset + count;
        long i = offset;
        for (; i + 2L * LANES <= end; i += 2L * LANES) {
            acc0 = acc0.add(load(x, i));
            acc1 = acc1.add(load(x, i + LANES));
        }
        double s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < end; i++) {
            s += x.getAtIndex(F32, i);
        }
        return s;
    }

    @Override
    public void centredSums(MemorySegment x, long offset, long count, double[] stats, int base) {
        final double shift = stats[base + SHIFT];
        final DoubleVector vShift = DoubleVector.broadcast(D, shift);
        DoubleVector sum = DoubleVector.zero(D);
        DoubleVector sq = DoubleVector.zero(D);
        final long end = offset + count;
        long i = offset;
        for (; i + LANES <= end; i += LANES) {
            DoubleVector d = load(x, i).sub(vShift);
            sum = sum.add(d);
            sq = sq.add(d.mul(d));
        }
        double s = sum.reduceLanes(VectorOperators.ADD);
        double q = sq.reduceLanes(VectorOperators.ADD);
        for (; i < end; i++) {
            double d = x.getAtIndex(F32, i) - shift;
            s += d;
            q += d * d;
        }
        stats[base + SUM_X] = s;
        stats[base + SUM_SQ] = q;
    }

    @Override
    public void gradSums(MemorySegment x, long xOffset, MemorySegment dy, long dyOffset, long count,
                         double[] stats, int base) {
        final double shift = stats[base + SHIFT];
        final DoubleVector vShift = DoubleVector.broadcast(D, shift);
        DoubleVector sum = DoubleVector.zero(D);
        DoubleVector sq = DoubleVector.zero(D);
        DoubleVector sumDy = DoubleVector.zero(D);
        DoubleVector sumDyX = DoubleVector.zero(D);
        long i = 0;
        for (; i + LANES <= count; i += LANES) {
            DoubleVector d = load(x, xOffset + i).sub(vShift);
            DoubleVector g = load(dy, dyOffset + i);
            sum = sum.add(d);
            sq = sq.add(d.mul(d));
            sumDy = sumDy.add(g);
            sumDyX = sumDyX.add(g.mul(d));
        }
        double s = sum.reduceLanes(VectorOperators.ADD);
        double q = sq.reduceLanes(VectorOperators.ADD);
        double sg = sumDy.reduceLanes(VectorOperators.ADD);
        double sgd = sumDyX.reduceLanes(VectorOperators.ADD);
        for (; i < count; i++) {
            double d = x.getAtIndex(F32, xOffset + i) - shift;
            double g = dy.getAtIndex(F32, dyOffset + i);
            s += d;
            q += d * d;
            sg += g;
            sgd += g * d;
        }
        stats[base + SUM_X] = s;
        stats[base + SUM_SQ] = q;
        stats[base + SUM_DY] = sg;
        stats[base + SUM_DY_X] = sgd;
    }

    @Override
    public void normalize(MemorySegment x, long xOffset, MemorySegment y, long yOffset, long count,
                          double mean, double scale, double bias) {
        final DoubleVector vMean = DoubleVector.broadcast(D, mean);
        final DoubleVector vScale = DoubleVector.broadcast(D, scale);
        final DoubleVector vBias = DoubleVector.broadcast(D, bias);
        long i = 0;
        for (; i + LANES <= count; i += LANES) {
            store(load(x, xOffset + i).sub(vMean).mul(vScale).add(vBias), y, yOffset + i);
        }
        for (; i < count; i++) {
            double v = (x.getAtIndex(F32, xOffset + i) - mean) * scale + bias;
            y.setAtIndex(F32, yOffset + i, (float) v);
        }
    }

    @Override
    public void gradInput(MemorySegment x, long xOffset, MemorySegment dy, long dyOffset, MemorySegment dx,
                          long dxOffset, long count, double meanX, double meanDy, double a, double b) {
        final DoubleVector vMeanX = DoubleVector.broadcast(D, meanX);
        final DoubleVector vMeanDy = DoubleVector.broadcast(D, meanDy);
        final DoubleVector vA = DoubleVector.broadcast(D, a);
        final DoubleVector vB = DoubleVector.broadcast(D, b);
        long i = 0;
        for (; i + LANES <= count; i += LANES) {
            DoubleVector g = load(dy, dyOffset + i).sub(vMeanDy).mul(vA);
            DoubleVector d = load(x, xOffset + i).sub(vMeanX).mul(vB);
            store(g.add(d), dx, dxOffset + i);
        }
        for (; i < count; i++) {
            double v = a * (dy.getAtIndex(F32, dyOffset + i) - meanDy) + b * (x.getAtIndex(F32, xOffset + i) - meanX);
            dx.setAtIndex(F32, dxOffset + i, (float) v);
        }
    }
}
