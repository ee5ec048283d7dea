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
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Plane kernels on the Vector API, in float lanes of the preferred species. Only {@link VectorKernelSet} loads this class,
 * and only when {@code jdk.incubator.vector} is in the boot layer.
 *
 * <p><b>Sums.</b> Elements are centred on the shift rounded to float ({@code x - shift} is then exact near the
 * mean), and summed in float lanes over short blocks of {@link #BLOCK} elements (the last one may be shorter; only
 * the last few elements, less than a vector, are added in double): each lane adds at most {@value #TERMS_PER_LANE}
 * terms, so a block sum is good to about 1e-6 of the sum of its absolute terms (statistically about 1e-7). Block
 * sums are widened to double and added in block order. (Adding a block's lanes in double, or a compensated sum per
 * lane, would halve the error of sums that cancel, such as an ordinary plane's sum of x - shift, about 1/sqrt(M)
 * of its terms; both were measured to slow the in-cache forward by a tenth or more.) Float lanes move twice the elements per instruction of double
 * lanes, which is what keeps the planes that sit in cache near the load bandwidth. When a unit's float sums
 * cannot be trusted — a square or product overflowed float, or the squares are so small that they were subnormal
 * (constant and near-constant planes) — the unit is summed again in double lanes, which is also where NaN ends up;
 * so is a plain sum whose float blocks overflowed. {@link BackwardPass} also asks for double sums
 * ({@link #gradSumsInDouble}) where dx cancels too much for float-lane sums.
 * The shift actually used is written back to {@code SHIFT}.
 *
 * <p><b>Writes.</b> {@link #normalize} and {@link #gradInputFloat} in float lanes, {@link #gradInput} in double lanes
 * (floats widened, rounded once), for the instances whose dx cancels (see {@link PlaneKernels}). Lane for lane the
 * arithmetic of {@link ScalarPlaneKernels}, so the outputs are bitwise equal.
 *
 * <p><b>No vector crosses a call.</b> Loads, stores and lane sums are written out in each kernel rather than in
 * helper methods: C2 always inlines the Vector API's own methods, but may leave a call to a method of ours out
 * (for instance when a caller that inlined several kernels reaches its node budget), and then every vector passed
 * or returned there is allocated on the heap, tens of bytes per element. Kernel entry points take only segments
 * and scalars, so wherever C2 draws its inlining line, nothing allocates.
 *
 * <p>Tails are scalar rather than masked (masked tails can allocate). The float block sums use fused multiply-adds
 * where the CPU has them ({@link FusedMultiplyAdd}): one instruction instead of two per square or product, and one
 * rounding less. The writes do not, so that they stay bitwise equal to the scalar kernels on every CPU.
 */
final class VectorPlaneKernels implements PlaneKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Double lanes of the same bit size: half of {@link #F}'s lanes, so a float vector widens into two. */
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = F.length();
    private static final int TERMS_PER_LANE = 16;
    /** Elements per float block: two accumulators per sum, {@value #TERMS_PER_LANE} terms each per lane. */
    static final int BLOCK = 2 * TERMS_PER_LANE * LANES;
    /** The rounding error of {@link #gradSums}: one chain of {@code BLOCK / LANES} terms per lane and sum. */
    private static final ErrorModel GRAD_ERRORS = new ErrorModel(BLOCK / LANES, LANES);
    /** The rounding error of {@link #centredSums}: two chains of {@value #TERMS_PER_LANE} terms, then their sum. */
    private static final ErrorModel CENTRED_ERRORS = new ErrorModel(TERMS_PER_LANE + 2, LANES);
    /** Below this (about 2^-100) a sum of float squares may hold subnormal terms: redo the unit in double. */
    private static final double SMALLEST_TRUSTED_SQUARES = 0x1p-100;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /*
     * Block sums add their lanes in a fixed tree (lane i with lane i ^ 8, then i ^ 4, ...), written out at each use,
     * then widen lane 0. Not reduceLanes: its order of additions is unspecified and differs between the interpreter
     * and compiled code, which would make results depend on JIT state.
     */
    private static final VectorShuffle<Float> SWAP_8 = swap(8);
    /** Lane i with lane i + LANES / 2 and back: the first level of a tree, for two trees at once. */
    private static final VectorShuffle<Float> SWAP_HALF = swap(LANES / 2);
    /** The upper half of the lanes. */
    private static final VectorMask<Float> UPPER_HALF = VectorMask.fromLong(F, -1L << (LANES / 2));
    private static final VectorShuffle<Float> SWAP_4 = swap(4);
    private static final VectorShuffle<Float> SWAP_2 = swap(2);
    private static final VectorShuffle<Float> SWAP_1 = swap(1);
    private static final VectorShuffle<Double> D_SWAP_4 = swapDouble(4);
    private static final VectorShuffle<Double> D_SWAP_2 = swapDouble(2);
    private static final VectorShuffle<Double> D_SWAP_1 = swapDouble(1);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Whether the float block sums fuse their products into the additions (see {@link FusedMultiplyAdd}). */
    private static final boolean FMA = FusedMultiplyAdd.ENABLED;

    /** Created by {@link VectorKernelSet}; throws when the platform has no usable vector shape. */
    VectorPlaneKernels() {
        if (LANES < 4 || D.length() * 2 != LANES) {
            throw new UnsupportedOperationException("no float vector shape with at least 4 lanes: " + F + ", " + D);
        }
    }

    /** The number of float lanes processed per step. */
    static int lanes() {
        return LANES;
    }

    private static VectorShuffle<Float> swap(int step) {
        return step < LANES ? VectorShuffle.fromOp(F, i -> i ^ step) : null;
    }

    private static VectorShuffle<Double> swapDouble(int step) {
        return step < D.length() ? VectorShuffle.fromOp(D, i -> i ^ step) : null;
    }

    private static boolean trustedSquares(double sumSq) {
        return sumSq >= SMALLEST_TRUSTED_SQUARES && sumSq <= Float.MAX_VALUE * 0.5;
    }


    @Override
    public double sum(MemorySegment x, long offset, long count) {
        double s = 0;
        final long end = offset + count;
        long i = offset;
        while (end - i >= 2L * LANES) {
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            for (long blockEnd = i + Math.min(BLOCK, (end - i) & -(2L * LANES)); i < blockEnd; i += 2L * LANES) {
                a0 = a0.add(FloatVector.fromMemorySegment(F, x, i * Float.BYTES, ORDER));
                a1 = a1.add(FloatVector.fromMemorySegment(F, x, (i + LANES) * Float.BYTES, ORDER));
            }
            FloatVector rs = a0.add(a1);
            rs = LANES >= 16 ? rs.add(rs.rearrange(SWAP_8)) : rs;
            rs = LANES >= 8 ? rs.add(rs.rearrange(SWAP_4)) : rs;
            rs = rs.add(rs.rearrange(SWAP_2));
            s += rs.add(rs.rearrange(SWAP_1)).lane(0);
        }
        for (; i < end; i++) {
            s += x.getAtIndex(F32, i);
        }
        // a float block overflowed (values near the float maximum), or the plane holds a NaN or an infinity
        return Double.isFinite(s) ? s : DoubleLanes.sum(x, offset, count);
    }

    @Override
    public void centredSumsInDouble(MemorySegment x, long offset, long count, double[] stats, int base) {
        DoubleLanes.centredSums(x, offset, count, stats[base + SHIFT], stats, base);
    }

    @Override
    public boolean sumsInFloat(long count) {
        return count >= LANES;
    }

    @Override
    public void gradSumsInDouble(MemorySegment x, long xOffset, MemorySegment dy, long dyOffset, long count,
                                 double[] stats, int base) {
        DoubleLanes.gradSums(x, xOffset, dy, dyOffset, count, stats[base + SHIFT], stats, base);
    }

    @Override
    public void centredSums(MemorySegment x, long offset, long count, double[] stats, int base) {
        final float shift = (float) stats[base + SHIFT];
        final FloatVector vShift = FloatVector.broadcast(F, shift);
        double s = 0, q = 0;
        double blocks = 0; // the squared block sums (see ErrorModel)
        final long end = offset + count;
        long i = offset;
        while (end - i >= 2L * LANES) {
            FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F);
            FloatVector q0 = FloatVector.zero(F), q1 = FloatVector.zero(F);
            for (long blockEnd = i + Math.min(BLOCK, (end - i) & -(2L * LANES)); i < blockEnd; i += 2L * LANES) {
                FloatVector d0 = FloatVector.fromMemorySegment(F, x, i * Float.BYTES, ORDER).sub(vShift);
                FloatVector d1 = FloatVector.fromMemorySegment(F, x, (i + LANES) * Float.BYTES, ORDER).sub(vShift);
                s0 = s0.add(d0);
                s1 = s1.add(d1);
                q0 = FMA ? d0.fma(d0, q0) : q0.add(d0.mul(d0));
                q1 = FMA ? d1.fma(d1, q1) : q1.add(d1.mul(d1));
            }
            FloatVector rs = s0.add(s1);
            FloatVector rq = q0.add(q1);
            // both lane trees in one: the sum's lanes in the lower half, the squares' in the upper
            FloatVector sq = rs.blend(rq, UPPER_HALF).add(rq.blend(rs, UPPER_HALF).rearrange(SWAP_HALF));
            sq = LANES >= 16 ? sq.add(sq.rearrange(SWAP_4)) : sq;
            sq = LANES >= 8 ? sq.add(sq.rearrange(SWAP_2)) : sq;
            sq = sq.add(sq.rearrange(SWAP_1));
            double bs = sq.lane(0);
            s += bs;
            q += sq.lane(LANES / 2);
            blocks = Math.fma(bs, bs, blocks);
        }
        for (; i < end; i++) {
            double d = (double) x.getAtIndex(F32, i) - shift; // in double: float - float would round
            s += d;
            q += d * d;
        }
        stats[base + SHIFT] = shift;
        if (count >= 2 * LANES && !trustedSquares(q)) {
            DoubleLanes.centredSums(x, offset, count, shift, stats, base);
            return;
        }
        stats[base + SUM_X] = s;
        stats[base + SUM_SQ] = q;
        stats[base + SUM_X_ERR] = CENTRED_ERRORS.variance(q, blocks);
    }

    @Override
    public void gradSums(MemorySegment x, long xOffset, MemorySegment dy, long dyOffset, long count,
                         double[] stats, int base) {
        final float shift = (float) stats[base + SHIFT];
        final FloatVector vShift = FloatVector.broadcast(F, shift);
        double s = 0, q = 0, sg = 0, sgd = 0, sgg = 0;
        double blocksDy = 0, blocksDyX = 0; // the squared block sums of dy and dy * (x - shift) (see ErrorModel)
        long i = 0;
        while (count - i >= LANES) {
            // one accumulator per sum: five are independent already, and more would not stay in registers
            FloatVector sv = FloatVector.zero(F), qv = FloatVector.zero(F);
            FloatVector gv = FloatVector.zero(F), pv = FloatVector.zero(F), ggv = FloatVector.zero(F);
            for (long blockEnd = i + Math.min(BLOCK, (count - i) & -LANES); i < blockEnd; i += LANES) {
                FloatVector d = FloatVector.fromMemorySegment(F, x, (xOffset + i) * Float.BYTES, ORDER).sub(vShift);
                FloatVector e = FloatVector.fromMemorySegment(F, dy, (dyOffset + i) * Float.BYTES, ORDER);
                sv = sv.add(d);
                qv = FMA ? d.fma(d, qv) : qv.add(d.mul(d));
                gv = gv.add(e);
                pv = FMA ? e.fma(d, pv) : pv.add(e.mul(d));
                ggv = FMA ? e.fma(e, ggv) : ggv.add(e.mul(e));
            }
            // two lane trees in one: one sum's lanes in the lower half, the other's in the upper (the same
            // additions, in the same order, as a tree each)
            FloatVector sq = sv.blend(qv, UPPER_HALF).add(qv.blend(sv, UPPER_HALF).rearrange(SWAP_HALF));
            sq = LANES >= 16 ? sq.add(sq.rearrange(SWAP_4)) : sq;
            sq = LANES >= 8 ? sq.add(sq.rearrange(SWAP_2)) : sq;
            sq = sq.add(sq.rearrange(SWAP_1));
            s += sq.lane(0);
            q += sq.lane(LANES / 2);
            FloatVector gp = gv.blend(pv, UPPER_HALF).add(pv.blend(gv, UPPER_HALF).rearrange(SWAP_HALF));
            gp = LANES >= 16 ? gp.add(gp.rearrange(SWAP_4)) : gp;
            gp = LANES >= 8 ? gp.add(gp.rearrange(SWAP_2)) : gp;
            gp = gp.add(gp.rearrange(SWAP_1));
            double bsg = gp.lane(0);
            double bsgd = gp.lane(LANES / 2);
            sg += bsg;
            sgd += bsgd;
            blocksDy = Math.fma(bsg, bsg, blocksDy);
            blocksDyX = Math.fma(bsgd, bsgd, blocksDyX);
            FloatVector rsgg = ggv;
            rsgg = LANES >= 16 ? rsgg.add(rsgg.rearrange(SWAP_8)) : rsgg;
            rsgg = LANES >= 8 ? rsgg.add(rsgg.rearrange(SWAP_4)) : rsgg;
            rsgg = rsgg.add(rsgg.rearrange(SWAP_2));
            sgg += rsgg.add(rsgg.rearrange(SWAP_1)).lane(0);
        }
        for (; i < count; i++) {
            double d = (double) x.getAtIndex(F32, xOffset + i) - shift;
            double g = dy.getAtIndex(F32, dyOffset + i);
            s += d;
            q += d * d;
            sg += g;
            sgd += g * d;
            sgg += g * g;
        }
        stats[base + SHIFT] = shift;
        if (count >= LANES && !(trustedSquares(q) && Math.abs(sg) + Math.abs(sgd) + sgg <= Float.MAX_VALUE * 0.5)) {
            DoubleLanes.gradSums(x, xOffset, dy, dyOffset, count, shift, stats, base);
            return;
        }
        stats[base + SUM_X] = s;
        stats[base + SUM_SQ] = q;
        stats[base + SUM_DY] = sg;
        stats[base + SUM_DY_X] = sgd;
        stats[base + SUM_DY_SQ] = sgg;
        stats[base + SUM_X_ERR] = GRAD_ERRORS.variance(q, 0);
        stats[base + SUM_DY_ERR] = GRAD_ERRORS.variance(sgg, blocksDy);
        // the squares of dy * (x - shift) are not summed: sum(dy^2) sum((x - shift)^2) / M is what they come to
        // where dy and x are unrelated, and the squared block sums where they are alike
        stats[base + SUM_DY_X_ERR] = GRAD_ERRORS.variance(sgg * (q / count), blocksDyX);
    }

    @Override
    public void normalize(MemorySegment x, long xOffset, MemorySegment y, long yOffset, long count,
                          double mean, double scale, double bias) {
        final float meanF = (float) mean;
        final float scaleF = (float) scale;
        final float biasF = (float) (bias - (mean - meanF) * scale);
        final FloatVector vMean = FloatVector.broadcast(F, meanF);
        final FloatVector vScale = FloatVector.broadcast(F, scaleF);
        final FloatVector vBias = FloatVector.broadcast(F, biasF);
        long i = 0;
        for (long bound = count - LANES; i <= bound; i += LANES) {
            FloatVector.fromMemorySegment(F, x, (xOffset + i) * Float.BYTES, ORDER).sub(vMean).mul(vScale).add(vBias)
                    .intoMemorySegment(y, (yOffset + i) * Float.BYTES, ORDER);
        }
        for (; i < count; i++) {
            y.setAtIndex(F32, yOffset + i, (x.getAtIndex(F32, xOffset + i) - meanF) * scaleF + biasF);
        }
    }

    @Override
    public void gradInput(MemorySegment x, long xOffset, MemorySegment dy, long dyOffset, MemorySegment dx,
                          long dxOffset, long count, double meanX, double meanDy, double a, double b) {
        final DoubleVector vMeanX = DoubleVector.broadcast(D, meanX);
        final DoubleVector vMeanDy = DoubleVector.broadcast(D, meanDy);
        final DoubleVector vA = DoubleVector.broadcast(D, a);
        final DoubleVector vB = DoubleVector.broadcast(D, b);
        final int n = D.length();
        long i = 0;
        for (long bound = count - n; i <= bound; i += n) {
            DoubleVector g = ((DoubleVector) FloatVector.fromMemorySegment(DoubleLanes.HALF, dy, (dyOffset + i) * Float.BYTES, ORDER).castShape(D, 0)).sub(vMeanDy).mul(vA);
            DoubleVector d = ((DoubleVector) FloatVector.fromMemorySegment(DoubleLanes.HALF, x, (xOffset + i) * Float.BYTES, ORDER).castShape(D, 0)).sub(vMeanX).mul(vB);
            ((FloatVector) g.add(d).castShape(DoubleLanes.HALF, 0)).intoMemorySegment(dx, (dxOffset + i) * Float.BYTES, ORDER);
        }
        for (; i < count; i++) {
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
        final FloatVector vMeanX = FloatVector.broadcast(F, meanXF);
        final FloatVector vMeanDy = FloatVector.broadcast(F, meanDyF);
        final FloatVector vA = FloatVector.broadcast(F, aF);
        final FloatVector vB = FloatVector.broadcast(F, bF);
        final FloatVector vC = FloatVector.broadcast(F, cF);
        long i = 0;
        for (long bound = count - LANES; i <= bound; i += LANES) {
            FloatVector g = FloatVector.fromMemorySegment(F, dy, (dyOffset + i) * Float.BYTES, ORDER).sub(vMeanDy).mul(vA);
            FloatVector d = FloatVector.fromMemorySegment(F, x, (xOffset + i) * Float.BYTES, ORDER).sub(vMeanX).mul(vB).add(vC);
            g.add(d).intoMemorySegment(dx, (dxOffset + i) * Float.BYTES, ORDER);
        }
        for (; i < count; i++) {
            float g = (dy.getAtIndex(F32, dyOffset + i) - meanDyF) * aF;
            float d = (x.getAtIndex(F32, xOffset + i) - meanXF) * bF + cF;
            dx.setAtIndex(F32, dxOffset + i, g + d);
        }
    }

    /** Double lanes: the writes, and the sums again for units whose float sums cannot be trusted. */
    private static final class DoubleLanes {
        private static final VectorSpecies<Float> HALF =
                VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
        private static final int N = D.length();

        private DoubleLanes() {
        }

        /*
         * Lanes are added in the fixed tree of the float sums (lane i with lane i ^ 4, then i ^ 2, then i ^ 1),
         * written out at each use: a helper taking the vector would box it wherever C2 leaves the call in place,
         * and lane(i) with a variable i copies the vector to an array.
         */

        static double sum(MemorySegment x, long offset, long count) {
            DoubleVector sum = DoubleVector.zero(D);
            long i = 0;
            for (; i + N <= count; i += N) {
                sum = sum.add((DoubleVector) FloatVector.fromMemorySegment(HALF, x, (offset + i) * Float.BYTES, ORDER).castShape(D, 0));
            }
            sum = N >= 8 ? sum.add(sum.rearrange(D_SWAP_4)) : sum;
            sum = N >= 4 ? sum.add(sum.rearrange(D_SWAP_2)) : sum;
            double s = sum.add(sum.rearrange(D_SWAP_1)).lane(0);
            for (; i < count; i++) {
                s += x.getAtIndex(F32, offset + i);
            }
            return s;
        }

        static void centredSums(MemorySegment x, long offset, long count, double shift, double[] stats, int base) {
            DoubleVector vShift = DoubleVector.broadcast(D, shift);
            DoubleVector sum = DoubleVector.zero(D);
            DoubleVector sq = DoubleVector.zero(D);
            long i = 0;
            for (; i + N <= count; i += N) {
                DoubleVector d = ((DoubleVector) FloatVector.fromMemorySegment(HALF, x, (offset + i) * Float.BYTES, ORDER).castShape(D, 0)).sub(vShift);
                sum = sum.add(d);
                sq = sq.add(d.mul(d));
            }
            sum = N >= 8 ? sum.add(sum.rearrange(D_SWAP_4)) : sum;
            sum = N >= 4 ? sum.add(sum.rearrange(D_SWAP_2)) : sum;
            double s = sum.add(sum.rearrange(D_SWAP_1)).lane(0);
            sq = N >= 8 ? sq.add(sq.rearrange(D_SWAP_4)) : sq;
            sq = N >= 4 ? sq.add(sq.rearrange(D_SWAP_2)) : sq;
            double q = sq.add(sq.rearrange(D_SWAP_1)).lane(0);
            for (; i < count; i++) {
                double d = x.getAtIndex(F32, offset + i) - shift;
                s += d;
                q += d * d;
            }
            stats[base + SUM_X] = s;
            stats[base + SUM_SQ] = q;
            stats[base + SUM_X_ERR] = 0;
        }

        static void gradSums(MemorySegment x, long xOffset, MemorySegment dy, long dyOffset, long count,
                             double shift, double[] stats, int base) {
            DoubleVector vShift = DoubleVector.broadcast(D, shift);
            DoubleVector sum = DoubleVector.zero(D);
            DoubleVector sq = DoubleVector.zero(D);
            DoubleVector sumDy = DoubleVector.zero(D);
            DoubleVector sumDyX = DoubleVector.zero(D);
            DoubleVector sumDySq = DoubleVector.zero(D);
            long i = 0;
            for (; i + N <= count; i += N) {
                DoubleVector d = ((DoubleVector) FloatVector.fromMemorySegment(HALF, x, (xOffset + i) * Float.BYTES, ORDER).castShape(D, 0)).sub(vShift);
                DoubleVector g = ((DoubleVector) FloatVector.fromMemorySegment(HALF, dy, (dyOffset + i) * Float.BYTES, ORDER).castShape(D, 0));
                sum = sum.add(d);
                sq = sq.add(d.mul(d));
                sumDy = sumDy.add(g);
                sumDyX = sumDyX.add(g.mul(d));
                sumDySq = sumDySq.add(g.mul(g));
            }
            sum = N >= 8 ? sum.add(sum.rearrange(D_SWAP_4)) : sum;
            sum = N >= 4 ? sum.add(sum.rearrange(D_SWAP_2)) : sum;
            double s = sum.add(sum.rearrange(D_SWAP_1)).lane(0);
            sq = N >= 8 ? sq.add(sq.rearrange(D_SWAP_4)) : sq;
            sq = N >= 4 ? sq.add(sq.rearrange(D_SWAP_2)) : sq;
            double q = sq.add(sq.rearrange(D_SWAP_1)).lane(0);
            sumDy = N >= 8 ? sumDy.add(sumDy.rearrange(D_SWAP_4)) : sumDy;
            sumDy = N >= 4 ? sumDy.add(sumDy.rearrange(D_SWAP_2)) : sumDy;
            double sg = sumDy.add(sumDy.rearrange(D_SWAP_1)).lane(0);
            sumDyX = N >= 8 ? sumDyX.add(sumDyX.rearrange(D_SWAP_4)) : sumDyX;
            sumDyX = N >= 4 ? sumDyX.add(sumDyX.rearrange(D_SWAP_2)) : sumDyX;
            double sgd = sumDyX.add(sumDyX.rearrange(D_SWAP_1)).lane(0);
            sumDySq = N >= 8 ? sumDySq.add(sumDySq.rearrange(D_SWAP_4)) : sumDySq;
            sumDySq = N >= 4 ? sumDySq.add(sumDySq.rearrange(D_SWAP_2)) : sumDySq;
            double sgg = sumDySq.add(sumDySq.rearrange(D_SWAP_1)).lane(0);

            for (; i < count; i++) {
                double d = x.getAtIndex(F32, xOffset + i) - shift;
                double g = dy.getAtIndex(F32, dyOffset + i);
                s += d;
                q += d * d;
                sg += g;
                sgd += g * d;
                sgg += g * g;
            }
            stats[base + SUM_X] = s;
            stats[base + SUM_SQ] = q;
            stats[base + SUM_DY] = sg;
            stats[base + SUM_DY_X] = sgd;
            stats[base + SUM_DY_SQ] = sgg;
            stats[base + SUM_X_ERR] = 0;
            stats[base + SUM_DY_ERR] = 0;
            stats[base + SUM_DY_X_ERR] = 0;
        }
    }
}
